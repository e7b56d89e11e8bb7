"""A grid worker's outreach tasks: the phone list (masked names, no tags), recording an outcome
(a visit in the person's history, the task closed), and every refusal."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import DomainError, Forbidden
from zhili.residents.models import LogKind, PersonLog, Visit, VisitKind
from zhili.services.actions import do_generate_outreach, do_record_outreach
from zhili.services.models import OutreachTask
from zhili.services.states import Outcome, TaskStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated(region, people, service):
    subsidy = service(name="残疾人两项补贴", tag_codes=["disabled"], department="残联")
    visits = service(name="独居老人每月探访", tag_codes=["elderly_alone"], interval_days=30)
    do_generate_outreach()
    return subsidy, visits


def test_recording_an_outcome_adds_a_visit_to_the_history_and_closes_the_task(region, people, generated):
    subsidy, _visits = generated
    task = OutreachTask.objects.get(service=subsidy)
    worker = region.user("grid_worker_a")
    done = do_record_outreach(task, actor=worker, outcome=Outcome.APPLIED, note="已代为提交申请材料")
    assert done.status == TaskStatus.DONE and done.outcome == "applied" and done.done_by == worker
    visit = Visit.objects.get(pk=done.visit_id)
    assert visit.person_id == people.a_disabled.pk and visit.household_id == people.a_disabled.household_id
    assert visit.kind == VisitKind.CARE and visit.visitor == worker
    # The subsidy names a sensitive tag: the history, read by more roles, does not carry its name.
    assert visit.note.startswith("主动服务走访。") and "已代为提交申请材料" in visit.note
    assert "残疾人" not in visit.note
    assert PersonLog.objects.filter(person=people.a_disabled, kind=LogKind.VISITED).exists()
    event = AuditEvent.objects.get(action=AuditAction.OUTREACH_RECORDED)
    assert event.details == {"service": subsidy.pk, "outcome": "applied", "visit": visit.pk}
    assert "已代为" not in json.dumps(event.details, ensure_ascii=False)


def test_a_service_without_a_sensitive_tag_is_named_in_the_visit(region, people, generated):
    _subsidy, visits = generated
    task = OutreachTask.objects.get(service=visits, person=people.a_alone_old)
    done = do_record_outreach(task, actor=region.user("grid_worker_a"), outcome=Outcome.INFORMED)
    assert Visit.objects.get(pk=done.visit_id).note.startswith("主动服务：独居老人每月探访。")


def test_tasks_of_a_service_naming_a_tag_the_user_may_not_see_are_not_shown(
    client, login, region, people, tags, generated
):
    subsidy, _visits = generated
    task = OutreachTask.objects.get(service=subsidy)
    tags["disabled"].visible_roles = ["community_staff"]  # grid workers no longer see it
    tags["disabled"].save()
    login("grid_worker_a")
    body = client.get("/services/tasks/").content.decode()
    assert body.count('class="task-link"') == 1 and "残疾人两项补贴" not in body and "赵*" not in body
    assert client.get(f"/services/tasks/{task.pk}/").status_code == 404
    assert [t["service"] for t in client.get("/api/v1/services/tasks/").json()] == ["独居老人每月探访"]
    assert (
        client.post(
            f"/api/v1/services/tasks/{task.pk}/outcome",
            {"outcome": "informed"},
            content_type="application/json",
        ).status_code
        == 404
    )
    login("community_staff")
    assert "残疾人两项补贴" in client.get("/services/tasks/").content.decode()
    assert client.get(f"/services/tasks/{task.pk}/").status_code == 200
    tags["disabled"].visible_roles = []  # a sensitive tag naming no role is seen by none
    tags["disabled"].save()
    assert "残疾人两项补贴" not in client.get("/services/tasks/").content.decode()
    assert OutreachTask.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_the_tag_is_judged_by_the_roles_held_where_the_task_lies(region, people, tags, generated):
    """Community staff of community 1 who are also the grid worker of grid A see a grid worker's tag
    in grid A, not in grid B."""
    from zhili.accounts.models import Membership, User
    from zhili.accounts.roles import Role
    from zhili.services.policies import visible_tasks

    subsidy, _visits = generated
    tags["disabled"].visible_roles = ["grid_worker"]
    tags["disabled"].save()
    staff = region.user("community_staff")
    assert not visible_tasks(staff).filter(service=subsidy).exists()
    Membership.objects.create(user=staff, role=Role.GRID_WORKER, node=region.grid_b)
    staff = User.objects.get(pk=staff.pk)  # memberships are cached on the user object
    assert not visible_tasks(staff).filter(service=subsidy).exists()  # 赵明 lives in grid A
    Membership.objects.create(user=staff, role=Role.GRID_WORKER, node=region.grid_a)
    staff = User.objects.get(pk=staff.pk)
    assert list(visible_tasks(staff).filter(service=subsidy).values_list("grid_id", flat=True)) == [
        region.grid_a.pk
    ]


def test_refusals_leave_nothing_half_written(region, people, generated):
    subsidy, _visits = generated
    task = OutreachTask.objects.get(service=subsidy)
    cases = [
        ("grid_worker_a", "maybe", "", "outcome_invalid"),
        ("grid_worker_a", Outcome.UNREACHABLE, "  ", "note_required"),
        ("grid_worker_a", Outcome.INFORMED, "长" * 501, "too_long"),
    ]
    for persona, outcome, note, code in cases:
        with pytest.raises(DomainError) as info:
            do_record_outreach(task, actor=region.user(persona), outcome=outcome, note=note)
        assert info.value.code == code
    for persona in ("grid_worker_b", "leader", "admin"):
        with pytest.raises(Forbidden):
            do_record_outreach(task, actor=region.user(persona), outcome=Outcome.INFORMED)
    assert not Visit.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.OUTREACH_RECORDED).exists()
    do_record_outreach(task, actor=region.user("community_staff"), outcome=Outcome.NOT_NEEDED)
    with pytest.raises(DomainError) as info:
        do_record_outreach(task, actor=region.user("grid_worker_a"), outcome=Outcome.INFORMED)
    assert info.value.code == "not_open" and info.value.status == 409
    assert Visit.objects.count() == 1


def test_the_phone_list_shows_masked_names_and_service_names_never_tags(
    client, login, region, people, generated
):
    login("grid_worker_a")
    response = client.get("/services/tasks/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="task-link"') == 2  # grid A: 赵明 (subsidy) and 王秀兰 (visits)
    assert "赵*" in body and "王*兰" in body and "赵明" not in body and "王秀兰" not in body
    assert "残疾人两项补贴" in body and "测试路1号 103" in body
    assert "孙*英" not in body  # grid B's
    assert "独居老人每月探访" in body and ">残疾人<" not in body


def test_recording_through_the_phone_page(client, login, region, people, generated):
    _subsidy, visits = generated
    task = OutreachTask.objects.get(service=visits, person=people.a_alone_old)
    login("grid_worker_a")
    page = client.get(f"/services/tasks/{task.pk}/").content.decode()
    assert 'value="unreachable"' in page and f"/residents/persons/{people.a_alone_old.pk}/" in page
    refused = client.post(f"/services/tasks/{task.pk}/", {"outcome": "unreachable", "note": ""})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    assert OutreachTask.objects.get(pk=task.pk).status == TaskStatus.OPEN
    done = client.post(f"/services/tasks/{task.pk}/", {"outcome": "unreachable", "note": "电话未接通"})
    assert done.status_code == 302 and done["Location"].endswith("/services/tasks/")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.visit.kind == VisitKind.OTHER
    page = client.get(f"/services/tasks/{task.pk}/").content.decode()
    assert 'id="task-outcome"' in page and 'id="outcome-form"' not in page


def test_task_pages_refuse_others_grids_with_404_and_readers_with_403(
    client, login, region, people, generated
):
    task = OutreachTask.objects.filter(grid=region.grid_a).first()
    assert task is not None
    for persona in ("grid_worker_b", "outsider", "leader"):
        login(persona)
        assert client.get(f"/services/tasks/{task.pk}/").status_code == 404
        assert client.post(f"/services/tasks/{task.pk}/", {"outcome": "informed"}).status_code == 404
    login("leader")
    assert client.get("/services/tasks/").status_code == 403
    login("resident")
    assert client.get("/services/tasks/").status_code == 404
    assert OutreachTask.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_the_task_list_reads_a_fixed_number_of_queries(client, login, region, people, service):
    from zhili.residents.models import Tag
    from zhili.services.tests.conftest import make_person
    from zhili.territory.actions import do_create_household

    service(name="独居老人每月探访", tag_codes=["elderly_alone"], interval_days=30)
    login("grid_worker_a")

    def count() -> int:
        do_generate_outreach()
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/services/tasks/").status_code == 200
        return len(queries)

    few = count()
    alone = Tag.objects.get(code="elderly_alone")
    for n in range(5):
        household = do_create_household(people.a_young.household.building, f"3{n:02d}", actor=None)
        make_person(household, f"新居民{n}", people.a_alone_old.birth_date, [alone])
    assert count() == few
