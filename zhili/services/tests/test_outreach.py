"""服务找人: generation matches the rule exactly, is safe to run twice, respects the interval, and
withdraws tasks nobody needs any more; the states table holds the actions."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import Forbidden
from zhili.residents.models import Person
from zhili.services import states
from zhili.services.actions import do_generate_outreach, do_record_outreach, do_save_service
from zhili.services.matching import born_on_or_before
from zhili.services.models import OutreachTask
from zhili.services.states import Outcome, TaskStatus, TaskTransition

pytestmark = pytest.mark.django_db


def _open(service) -> dict[int, int]:
    return dict(
        OutreachTask.objects.filter(service=service, status=TaskStatus.OPEN).values_list(
            "person_id", "grid_id"
        )
    )


def test_a_tag_rule_matches_the_tagged_residents_of_the_subtree_in_their_grids(region, people, service):
    visits = service(name="独居老人每月探访", tag_codes=["elderly_alone"], interval_days=30)
    result = do_generate_outreach()
    assert _open(visits) == {
        people.a_alone_old.pk: region.grid_a.pk,
        people.b_alone.pk: region.grid_b.pk,
        people.c_alone.pk: region.grid_c.pk,
    }  # not grid D's: another street
    assert result.created == 3 and result.matched == 3
    task = OutreachTask.objects.get(person=people.a_alone_old)
    assert task.due_on == timezone.localdate() + timedelta(days=7)
    assert task.household_id == people.a_alone_old.household_id


def test_an_age_rule_a_sealed_tag_and_both_together(region, people, service):
    allowance = service(name="高龄津贴", min_age=80)
    subsidy = service(name="残疾人两项补贴", tag_codes=["disabled"])
    alone_80 = service(name="高龄独居", tag_codes=["elderly_alone"], min_age=80)
    community = service(name="社区高龄", min_age=80, node=region.c1, by="community_staff")
    do_generate_outreach()
    assert set(_open(allowance)) == {people.a_alone_old.pk, people.b_old.pk, people.c_alone.pk}
    assert set(_open(subsidy)) == {people.a_disabled.pk}  # sealed in the registry, found server-side
    assert set(_open(alone_80)) == {people.a_alone_old.pk, people.c_alone.pk}
    assert set(_open(community)) == {people.a_alone_old.pk, people.b_old.pk}  # community 1 only


def test_the_age_counts_the_birthday():
    today = date(2026, 3, 1)
    assert born_on_or_before(today, 80) == date(1946, 3, 1)
    assert born_on_or_before(date(2028, 2, 29), 80) == date(1948, 2, 29)
    assert born_on_or_before(date(2028, 2, 29), 81) == date(1947, 2, 28)  # 1 March 1947: still 80


def test_generating_twice_adds_nothing_and_is_not_audited_again(region, people, service):
    visits = service(tag_codes=["elderly_alone"], interval_days=30)
    do_generate_outreach()
    before = AuditEvent.objects.filter(action=AuditAction.OUTREACH_GENERATED).count()
    again = do_generate_outreach()
    assert again.created == 0 and again.matched == 3
    assert OutreachTask.objects.filter(service=visits).count() == 3
    assert AuditEvent.objects.filter(action=AuditAction.OUTREACH_GENERATED).count() == before


def test_one_open_task_per_person_and_service_is_a_database_rule(region, people, service):
    visits = service(tag_codes=["elderly_alone"])
    do_generate_outreach()
    task = OutreachTask.objects.filter(service=visits).first()
    assert task is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        OutreachTask.objects.create(
            service=visits,
            person=task.person,
            household=task.household,
            grid=task.grid,
            created_at=timezone.now(),
            due_on=task.due_on,
        )


def test_a_concurrent_run_that_inserted_first_wins_without_doubling(region, people, service, monkeypatch):
    """Another process creates a task between this run's read and its insert: the insert skips it."""
    from zhili.services import actions

    visits = service(tag_codes=["elderly_alone"])
    real = actions._recently_reached

    def race(svc, now):
        if not OutreachTask.objects.exists():
            OutreachTask.objects.create(
                service=svc,
                person=people.b_alone,
                household=people.b_alone.household,
                grid=region.grid_b,
                created_at=now - timedelta(seconds=1),
                due_on=timezone.localdate(),
            )
        return real(svc, now)

    monkeypatch.setattr(actions, "_recently_reached", race)
    result = do_generate_outreach()
    assert OutreachTask.objects.filter(service=visits, person=people.b_alone).count() == 1
    assert OutreachTask.objects.filter(service=visits).count() == 3
    assert result.created == 2


def test_reached_residents_wait_for_the_interval_and_unreached_ones_are_asked_again(region, people, service):
    worker = region.user("grid_worker_a")
    monthly = service(name="每月探访", tag_codes=["elderly_alone"], interval_days=30)
    once = service(name="一次告知", tag_codes=["elderly_alone"])
    do_generate_outreach()
    for svc in (monthly, once):
        task = OutreachTask.objects.get(service=svc, person=people.a_alone_old)
        do_record_outreach(task, actor=worker, outcome=Outcome.INFORMED)
    unreached = OutreachTask.objects.get(service=monthly, person=people.b_alone)
    do_record_outreach(
        unreached, actor=region.user("grid_worker_b"), outcome=Outcome.UNREACHABLE, note="敲门无人"
    )
    again = do_generate_outreach()
    assert again.created == 1  # only the unreached resident of the monthly visit
    assert OutreachTask.objects.filter(service=monthly, person=people.b_alone, status="open").exists()
    later = do_generate_outreach(now=timezone.now() + timedelta(days=31))
    assert later.created == 1  # the monthly visit is due again; the once-only service is not
    assert OutreachTask.objects.filter(service=monthly, person=people.a_alone_old, status="open").exists()
    assert not OutreachTask.objects.filter(service=once, person=people.a_alone_old, status="open").exists()


def test_tasks_nobody_needs_any_more_are_withdrawn(region, people, service):
    visits = service(name="每月探访", tag_codes=["elderly_alone"], interval_days=30)
    do_generate_outreach()
    Person.objects.filter(pk=people.b_alone.pk).update(moved_out_on=timezone.localdate())
    result = do_generate_outreach()
    assert result.withdrawn == 1
    assert OutreachTask.objects.get(service=visits, person=people.b_alone).status == TaskStatus.WITHDRAWN
    do_save_service(visits, actor=region.user("admin"), node=region.street, name=visits.name,
                    tag_codes=["elderly_alone"], interval_days=30, active=False)  # fmt: skip
    assert do_generate_outreach().withdrawn == 2
    assert not OutreachTask.objects.filter(status="open").exists()


def test_generation_is_audited_with_counts_and_no_names(region, people, service):
    service(name="残疾人两项补贴", tag_codes=["disabled"])
    do_generate_outreach(actor=region.user("admin"))
    event = AuditEvent.objects.filter(action=AuditAction.OUTREACH_GENERATED).get()
    text = json.dumps(event.details, ensure_ascii=False)
    assert event.details["created"] == 1 and event.details["matched"] == 1
    assert "赵明" not in text and str(people.a_disabled.pk) not in json.dumps(event.details["per_service"])
    assert "disabled" not in text


def test_a_person_generates_only_for_services_they_manage(region, people, service):
    street = service(name="高龄津贴", min_age=80)
    community = service(name="社区高龄", min_age=80, node=region.c1, by="community_staff")
    do_generate_outreach(actor=region.user("community_staff"))
    assert not OutreachTask.objects.filter(service=street).exists()
    assert OutreachTask.objects.filter(service=community).count() == 2
    for persona in ("grid_worker_a", "leader"):
        with pytest.raises(Forbidden):
            do_generate_outreach(actor=region.user(persona))


def test_the_command_runs_generation_and_prints_counts(region, people, service):
    service(tag_codes=["elderly_alone"])
    out = StringIO()
    call_command("services", "outreach", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"services": 1, "matched": 3, "created": 3, "withdrawn": 0}
    out = StringIO()
    call_command("services", "outreach", stdout=out)
    assert "tasks created 0" in out.getvalue()


def test_the_states_table_holds_the_actions(region, people, service):
    assert states.allowed(TaskTransition.RECORD, TaskStatus.OPEN)
    assert not states.allowed(TaskTransition.RECORD, TaskStatus.DONE)
    assert not states.allowed(TaskTransition.WITHDRAW, TaskStatus.DONE)
    assert states.target_of(TaskTransition.WITHDRAW) == TaskStatus.WITHDRAWN
    visits = service(tag_codes=["elderly_alone"])
    do_generate_outreach()
    task = OutreachTask.objects.get(service=visits, person=people.a_alone_old)
    done = do_record_outreach(task, actor=region.user("grid_worker_a"), outcome=Outcome.APPLIED)
    assert done.status == states.target_of(TaskTransition.RECORD)
    # A done task is not withdrawn when its person no longer matches: it is the record of the visit.
    Person.objects.filter(pk=people.a_alone_old.pk).update(moved_out_on=timezone.localdate())
    do_generate_outreach()
    done.refresh_from_db()
    assert done.status == TaskStatus.DONE
