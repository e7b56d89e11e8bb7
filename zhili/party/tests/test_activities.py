"""Activities: the states table, planning, holding, attendance and volunteer hours, the pages."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import DomainError, Forbidden
from zhili.party import selectors
from zhili.party.actions import do_plan_activity, do_record_attendance, do_transition_activity
from zhili.party.models import Activity, Attendance
from zhili.party.states import (
    ACTIVITY_TRANSITIONS,
    MEMBER_TRANSITIONS,
    ActivityStatus,
    ActivityTransition,
    MemberStatus,
    MemberTransition,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("transition", list(ActivityTransition))
@pytest.mark.parametrize("status", list(ActivityStatus))
def test_the_activity_table_is_what_the_action_does(region, party, transition, status):
    activity = party.held
    Activity.objects.filter(pk=activity.pk).update(status=status)
    sources, target = ACTIVITY_TRANSITIONS[transition]
    if status in sources:
        assert (
            do_transition_activity(activity, transition, actor=region.user("party_secretary")).status
            == target
        )
    else:
        with pytest.raises(DomainError) as exc:
            do_transition_activity(activity, transition, actor=region.user("party_secretary"))
        assert exc.value.code == "transition_not_allowed"
        activity.refresh_from_db()
        assert activity.status == status


def test_the_member_table_covers_every_status():
    assert set(MEMBER_TRANSITIONS) == set(MemberTransition)
    assert MEMBER_TRANSITIONS[MemberTransition.MOVE_OUT] == (
        frozenset({MemberStatus.ACTIVE}),
        MemberStatus.MOVED_OUT,
    )


def test_an_activity_is_held_on_or_after_its_date(region, party):
    with pytest.raises(DomainError) as exc:
        do_transition_activity(party.planned, ActivityTransition.HOLD, actor=region.user("party_secretary"))
    assert exc.value.code == "not_yet"
    party.planned.refresh_from_db()
    assert party.planned.status == ActivityStatus.PLANNED


def test_who_plans_and_holds(region, party):
    tomorrow = timezone.localdate() + timedelta(days=1)
    staff = do_plan_activity(
        org=party.c1, actor=region.user("community_staff"), kind="org_life", title="支部会", date=tomorrow
    )
    assert staff.created_by == region.user("community_staff")
    for persona in ("grid_worker_a", "leader", "outsider"):
        with pytest.raises(Forbidden):
            do_plan_activity(
                org=party.c1, actor=region.user(persona), kind="org_life", title="x", date=tomorrow
            )
        with pytest.raises(Forbidden):
            do_transition_activity(staff, ActivityTransition.CANCEL, actor=region.user(persona))
    with pytest.raises(Forbidden):
        do_plan_activity(  # community staff of community 1 at the street's committee
            org=party.street, actor=region.user("community_staff"), kind="org_life", title="x", date=tomorrow
        )
    assert Activity.objects.count() == 3


def test_a_grid_worker_records_only_their_grids_members(region, party):
    worker = region.user("grid_worker_a")
    n = do_record_attendance(
        party.held, entries={party.member_a.pk: "2.5", party.member_a2.pk: ""}, actor=worker
    )
    assert n == 2
    rows = {a.member_id: a.hours for a in Attendance.objects.filter(activity=party.held)}
    assert rows == {party.member_a.pk: Decimal("2.5"), party.member_a2.pk: Decimal("0")}
    with pytest.raises(DomainError) as exc:
        do_record_attendance(party.held, entries={party.member_c1.pk: 1}, actor=worker)
    assert exc.value.code == "member_invalid"
    assert Attendance.objects.filter(activity=party.held).count() == 2  # nothing half-written
    with pytest.raises(DomainError) as exc:  # grid B's worker records grid B's members only
        do_record_attendance(party.held, entries={party.member_a.pk: 1}, actor=region.user("grid_worker_b"))
    assert exc.value.code == "member_invalid"
    with pytest.raises(Forbidden):
        do_record_attendance(party.held, entries={}, actor=region.user("outsider"))
    with pytest.raises(Forbidden):
        do_record_attendance(party.held, entries={}, actor=region.user("leader"))


def test_recording_again_replaces_the_recorders_part_only(region, party):
    do_record_attendance(party.held, entries={party.member_c1.pk: 3}, actor=region.user("community_staff"))
    do_record_attendance(party.held, entries={party.member_a.pk: 2}, actor=region.user("grid_worker_a"))
    do_record_attendance(
        party.held, entries={}, actor=region.user("grid_worker_a")
    )  # member A absent after all
    assert set(Attendance.objects.filter(activity=party.held).values_list("member_id", flat=True)) == {
        party.member_c1.pk
    }
    assert AuditEvent.objects.filter(action=AuditAction.PARTY_ACTIVITY_CHANGED).last().details["removed"] == [
        party.member_a.pk
    ]


@pytest.mark.parametrize("hours", ["-1", "25", "abc", "NaN", "Infinity"])
def test_bad_hours_are_refused_and_nothing_is_written(region, party, hours):
    with pytest.raises(DomainError) as exc:
        do_record_attendance(
            party.held,
            entries={party.member_a.pk: 1, party.member_a2.pk: hours},
            actor=region.user("party_secretary"),
        )
    assert exc.value.code == "hours_invalid"
    assert not Attendance.objects.exists()


def test_attendance_waits_until_the_activity_is_held(region, party):
    with pytest.raises(DomainError) as exc:
        do_record_attendance(
            party.planned, entries={party.member_a.pk: 1}, actor=region.user("party_secretary")
        )
    assert exc.value.code == "not_held" and not Attendance.objects.exists()


def test_volunteer_hours_add_up_per_member_and_per_grid(region, party):
    sec = region.user("party_secretary")
    do_record_attendance(
        party.held,
        entries={party.member_a.pk: 2, party.member_a2.pk: "1.5", party.member_c1.pk: 3},
        actor=sec,
    )
    year = (
        timezone.localdate().year
        if party.held.date.year == timezone.localdate().year
        else party.held.date.year
    )
    by_node = {r["name"]: r for r in selectors.hours_by_node(sec, year)}
    assert by_node["Grid A"]["hours"] == Decimal("3.5") and by_node["Grid A"]["people"] == 2
    assert by_node["Community 1"]["hours"] == Decimal("3")
    per_member = [(r["member"].name, r["hours"], r["activities"]) for r in selectors.member_hours(sec, year)]
    assert per_member == [
        ("陈志强", Decimal("3"), 1),
        ("张建华", Decimal("2"), 1),
        ("刘芳", Decimal("1.5"), 1),
    ]
    # Grid worker B sees no names and no hours of grid A.
    assert selectors.member_hours(region.user("grid_worker_b"), year) == []


def test_the_activity_page_records_attendance(client, login, region, party):
    login("grid_worker_a")
    url = f"/party/activities/{party.held.pk}/"
    body = client.get(url).content.decode()
    assert 'id="attendance-form"' in body and "张建华" in body and "陈志强" not in body
    assert 'data-step="cancel"' not in body
    response = client.post(
        url + "attendance/", {"present": [party.member_a.pk], f"hours-{party.member_a.pk}": "2"}
    )
    assert response.status_code == 302
    assert Attendance.objects.get(activity=party.held).hours == Decimal("2")
    login("leader")
    assert client.get(url).status_code == 200
    assert client.post(url + "attendance/", {"present": [party.member_a.pk]}).status_code == 403
    assert client.post(url + "act/cancel/").status_code == 403
    login("outsider")
    assert client.get(url).status_code == 404
    assert client.post(url + "attendance/", {}).status_code == 404
    login("resident")
    assert client.get(url).status_code == 404


def test_the_activity_pages_plan_and_cancel(client, login, region, party):
    login("community_staff")
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        "/party/activities/new/", {"org": party.c1.pk, "kind": "volunteer", "title": "", "date": day}
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = client.post(
        "/party/activities/new/",
        {"org": party.c1.pk, "kind": "volunteer", "title": "义诊", "date": day, "place": "广场"},
    )
    activity = Activity.objects.get(title="义诊")
    assert response.status_code == 302
    assert 'data-step="cancel"' in client.get(f"/party/activities/{activity.pk}/").content.decode()
    client.post(f"/party/activities/{activity.pk}/act/hold/")  # too early: a message, no change
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.PLANNED
    client.post(f"/party/activities/{activity.pk}/act/cancel/")
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.CANCELLED
    assert client.post(f"/party/activities/{activity.pk}/act/expire/").status_code == 404
    for persona, status in (("grid_worker_a", 403), ("leader", 403), ("resident", 404)):
        login(persona)
        assert client.get("/party/activities/new/").status_code == status


def test_the_activity_list_and_its_export(client, login, region, party):
    do_record_attendance(party.held, entries={party.member_a.pk: 2}, actor=region.user("party_secretary"))
    login("leader")
    body = client.get("/party/activities/").content.decode()
    assert "清理楼道杂物" in body and "主题党日：学习党章" in body
    response = client.get("/party/activities.xlsx?status=held")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][3] == "清理楼道杂物" and rows[1][6] == 1 and rows[1][7] == 2.0
    login("outsider")
    assert "清理楼道杂物" not in client.get("/party/activities/").content.decode()


def test_the_hours_page_has_the_chart_data(client, login, region, party):
    do_record_attendance(party.held, entries={party.member_a.pk: 4}, actor=region.user("party_secretary"))
    login("leader")
    response = client.get(f"/party/hours/?year={party.held.date.year}")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="hours-data"' in body and "echarts" in body
    assert response.context["chart"]["names"] == ["Grid A"] and response.context["chart"]["hours"] == [4.0]
    assert response.context["members"] is None  # leaders: no names
    login("party_secretary")
    response = client.get(f"/party/hours/?year={party.held.date.year}")
    assert [r["member"].name for r in response.context["members"]] == ["张建华"]
