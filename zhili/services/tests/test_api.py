"""The API twins of the pages: the catalogue, my tasks, recording an outcome."""

from __future__ import annotations

import pytest

from zhili.services.actions import do_generate_outreach
from zhili.services.models import OutreachTask
from zhili.services.states import TaskStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated(region, people, service):
    subsidy = service(name="残疾人两项补贴", tag_codes=["disabled"])
    do_generate_outreach()
    return subsidy


def test_the_catalogue_endpoint_hides_a_sealed_tag_from_those_who_may_not_see_it(client, login, generated):
    login("grid_worker_a")
    [item] = client.get("/api/v1/services/").json()
    assert item["name"] == "残疾人两项补贴" and "残疾人" in item["rule"].replace("残疾人两项补贴", "")
    login("leader")
    [item] = client.get("/api/v1/services/").json()
    assert "残疾人" not in item["rule"]
    login("outsider")
    assert client.get("/api/v1/services/").json() == []


def test_my_tasks_and_recording_an_outcome(client, login, region, people, generated):
    login("grid_worker_a")
    [task] = client.get("/api/v1/services/tasks/").json()
    assert task["person"] == "赵*" and task["service"] == "残疾人两项补贴" and task["overdue"] is False
    assert "赵明" not in str(task)
    refused = client.post(
        f"/api/v1/services/tasks/{task['id']}/outcome",
        {"outcome": "unreachable"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["code"] == "note_required"
    done = client.post(
        f"/api/v1/services/tasks/{task['id']}/outcome",
        {"outcome": "informed", "note": "已告知申请流程"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == TaskStatus.DONE
    again = client.post(
        f"/api/v1/services/tasks/{task['id']}/outcome",
        {"outcome": "informed"},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["code"] == "not_open"
    assert client.get("/api/v1/services/tasks/").json() == []


def test_other_grids_get_404_from_the_api(client, login, region, generated):
    task = OutreachTask.objects.get()
    for persona in ("grid_worker_b", "outsider", "leader"):
        login(persona)
        assert client.get("/api/v1/services/tasks/").json() == []
        response = client.post(
            f"/api/v1/services/tasks/{task.pk}/outcome",
            {"outcome": "informed"},
            content_type="application/json",
        )
        assert response.status_code == 404
    assert OutreachTask.objects.get().status == TaskStatus.OPEN
