"""Pages and endpoints: drafting through the form, the steps on the alert page, the API twins."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from zhili.core.testing import square
from zhili.emergency.models import Alert, CheckTask
from zhili.emergency.states import AlertStatus

pytestmark = pytest.mark.django_db


def _form(region, **overrides):
    now = timezone.localtime().replace(second=0, microsecond=0)
    data = {
        "node": region.street.pk,
        "cap_status": "Actual",
        "msg_type": "Alert",
        "scope": "Public",
        "category": "Met",
        "event": "暴雨",
        "urgency": "Expected",
        "severity": "Severe",
        "certainty": "Likely",
        "headline": "暴雨红色预警",
        "description": "",
        "instruction": "请勿外出",
        "effective": now.strftime("%Y-%m-%dT%H:%M"),
        "expires": (now + timezone.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
        "area_desc": "",
        "polygon": "",
        "references": "",
    }
    data.update(overrides)
    return data


def test_drafting_with_a_drawn_polygon_through_the_form(client, login, region):
    login("dispatcher")
    page = client.get("/emergency/alerts/new/")
    assert page.status_code == 200 and 'id="area-map"' in page.content.decode()
    polygon = json.dumps(square(116.305, 39.902, 116.315, 39.908))
    response = client.post("/emergency/alerts/new/", _form(region, polygon=polygon))
    assert response.status_code == 302
    alert = Alert.objects.get()
    assert alert.polygon["type"] == "Polygon" and alert.status == AlertStatus.DRAFT
    assert alert.drafted_by == region.user("dispatcher")


def test_the_form_shows_the_area_refusal(client, login, region):
    login("dispatcher")
    outside = json.dumps(square(120.0, 30.0, 120.01, 30.01))
    response = client.post("/emergency/alerts/new/", _form(region, polygon=outside))
    assert response.status_code == 200
    assert Alert.objects.count() == 0
    assert "errorlist" in response.content.decode()


def test_grid_workers_and_leaders_cannot_draft(client, login, region):
    for persona in ("grid_worker_a", "leader"):
        login(persona)
        assert client.get("/emergency/alerts/new/").status_code == 403
    login("nobody")
    assert client.get("/emergency/alerts/new/").status_code == 404


def test_the_alert_page_offers_each_person_their_own_steps(client, login, region, draft):
    alert = draft()
    login("dispatcher")
    body = client.get(f"/emergency/alerts/{alert.pk}/").content.decode()
    assert 'data-step="submit"' in body
    client.post(f"/emergency/alerts/{alert.pk}/act/submit/")
    body = client.get(f"/emergency/alerts/{alert.pk}/").content.decode()
    assert 'data-step="approve"' not in body  # not to the drafter
    # The page refuses the drafter's own approval with a message, the state unchanged.
    client.post(f"/emergency/alerts/{alert.pk}/act/approve/")
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.PENDING
    login("supervisor")
    body = client.get(f"/emergency/alerts/{alert.pk}/").content.decode()
    assert 'data-step="approve"' in body
    client.post(f"/emergency/alerts/{alert.pk}/act/approve/")
    client.post(f"/emergency/alerts/{alert.pk}/act/send/")
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.SENT
    assert client.get("/emergency/").status_code == 200


def test_mobilising_from_the_alert_page(client, login, region, approved, people):
    alert = approved()
    login("community_staff")  # drafts in community 1, but the alert is the street's
    assert (
        client.post(f"/emergency/alerts/{alert.pk}/mobilise/", {"tags": ["elderly_alone"]}).status_code == 404
    )
    login("dispatcher")
    client.post(f"/emergency/alerts/{alert.pk}/mobilise/", {"tags": ["elderly_alone"]})
    assert CheckTask.objects.filter(alert=alert).count() == 3


def test_the_alert_page_names_the_tags_of_a_mobilisation(client, login, region, tags, approved, people):
    alert = approved()
    login("dispatcher")
    client.post(f"/emergency/alerts/{alert.pk}/mobilise/", {"tags": ["elderly_alone"]})
    page = client.get(f"/emergency/alerts/{alert.pk}/").content.decode()
    # The run and its history line show the tag's name, never its code.
    assert page.count(tags["elderly_alone"].name) >= 2
    assert "elderly_alone" not in page.split('id="mobilisation"')[1].split("</form>")[1]


def test_a_draft_says_when_check_tasks_can_be_generated(client, login, region, draft):
    alert = draft()
    login("dispatcher")
    assert 'id="mobilise-later"' in client.get(f"/emergency/alerts/{alert.pk}/").content.decode()


def test_the_api_twins(client, login, region, draft, approved, people):
    alert = draft()
    login("dispatcher")
    ok = client.post(
        f"/api/v1/emergency/alerts/{alert.pk}/transitions/submit", {}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "pending"
    refused = client.post(
        f"/api/v1/emergency/alerts/{alert.pk}/transitions/approve", {}, content_type="application/json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "four_eyes"
    other = approved()
    client.post(f"/emergency/alerts/{other.pk}/mobilise/", {"tags": ["elderly_alone"]})
    login("grid_worker_a")
    tasks = client.get("/api/v1/emergency/tasks/").json()
    assert len(tasks) == 1
    done = client.post(
        f"/api/v1/emergency/tasks/{tasks[0]['id']}/check",
        {"outcome": "unreachable"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["outcome"] == "unreachable"
    login("dispatcher")
    board = client.get(f"/api/v1/emergency/alerts/{other.pk}/board").json()
    assert board["total"]["total"] == 3 and board["total"]["unreachable"] == 1
    login("outsider")
    assert client.get(f"/api/v1/emergency/alerts/{other.pk}/board").status_code == 404
    assert (
        client.post(
            f"/api/v1/emergency/tasks/{tasks[0]['id']}/check",
            {"outcome": "safe"},
            content_type="application/json",
        ).status_code
        == 404
    )


def _tasks_page(client) -> str:
    response = client.get("/emergency/tasks/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_worker_still_sees_the_checks_of_past_alerts_read_only(client, login, region, approved, people):
    from datetime import timedelta

    from zhili.emergency.actions import do_expire_alerts, do_mobilise, do_record_check, do_transition_alert
    from zhili.emergency.states import AlertTransition as T

    dispatcher, worker = region.user("dispatcher"), region.user("grid_worker_a")
    older = approved(headline="大风蓝色预警", effective=timezone.now() - timedelta(days=3))
    older = do_transition_alert(older, T.SEND, actor=dispatcher)
    do_mobilise(older, actor=dispatcher, tag_codes=["elderly_alone"])
    newer = approved(headline="暴雨红色预警", effective=timezone.now() - timedelta(days=1))
    newer = do_transition_alert(newer, T.SEND, actor=dispatcher)
    do_mobilise(newer, actor=dispatcher, tag_codes=["elderly_alone", "disabled"])
    checked = CheckTask.objects.get(alert=newer, household=people.a_alone)
    do_record_check(checked, actor=worker, outcome="needs_help", note="一楼进水，需要转移")
    do_expire_alerts(now=max(older.expires, newer.expires))
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.EXPIRED}

    login("grid_worker_a")
    page = _tasks_page(client)
    current, past = page.split('id="past-tasks"')
    assert "暂无排查任务" in current and 'class="task-link"' not in page  # nothing to do any more
    # Most recent alert first; grid A's tasks only, each with what was found.
    assert past.index("暴雨红色预警") < past.index("大风蓝色预警")
    assert past.count('class="task past-task"') == 3  # 2 households of grid A, then 1
    assert "需要帮助" in past and "一楼进水，需要转移" in past and "未排查" in past
    checked.refresh_from_db()
    assert f"/cases/{checked.case_id}/" in past
    # Read-only: no way into the check form from the past list.
    assert "/emergency/tasks/" not in past and "<form" not in past
    assert "测试路2号" not in page  # grid B's households


def test_past_checks_do_not_mix_with_current_tasks(client, login, region, approved, people):
    from zhili.emergency.actions import do_mobilise, do_transition_alert
    from zhili.emergency.states import AlertTransition as T

    dispatcher = region.user("dispatcher")
    cancelled = do_transition_alert(approved(headline="已取消的预警"), T.SEND, actor=dispatcher)
    do_mobilise(cancelled, actor=dispatcher, tag_codes=["elderly_alone"])
    do_transition_alert(cancelled, T.CANCEL, actor=dispatcher)
    live = do_transition_alert(approved(headline="正在生效的预警"), T.SEND, actor=dispatcher)
    do_mobilise(live, actor=dispatcher, tag_codes=["elderly_alone"])
    login("grid_worker_a")
    current, past = _tasks_page(client).split('id="past-tasks"')
    assert "正在生效的预警" in current and current.count('class="task-link"') == 1
    assert "已取消的预警" in past and "正在生效的预警" not in past
    login("grid_worker_b")
    assert "已取消的预警" in _tasks_page(client)  # grid B's household of the cancelled alert
    login("outsider")
    assert 'id="past-tasks"' not in _tasks_page(client)
