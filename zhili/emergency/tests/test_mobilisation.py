"""Mobilisation: check tasks for exactly the tagged households of the area, the board, 需要帮助 → case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from zhili.cases.models import Case, SlaUnit, Urgency
from zhili.core.errors import DomainError, Forbidden
from zhili.core.testing import square
from zhili.emergency.actions import do_mobilise, do_record_check
from zhili.emergency.models import CheckTask
from zhili.emergency.selectors import board, my_tasks
from zhili.emergency.states import CheckOutcome

pytestmark = pytest.mark.django_db


def test_tasks_go_to_exactly_the_tagged_households_of_the_area_and_their_grid(region, approved, people):
    alert = approved(grids=[region.grid_a, region.grid_b])
    mobilisation = do_mobilise(alert, actor=region.user("dispatcher"), tag_codes=["elderly_alone"])
    tasks = {t.household_id: t.grid_id for t in CheckTask.objects.filter(alert=alert)}
    assert tasks == {
        people.a_alone.pk: region.grid_a.pk,
        people.b_west_alone.pk: region.grid_b.pk,
        people.b_east_alone.pk: region.grid_b.pk,
    }
    assert mobilisation.new_tasks == 3


def test_mobilising_again_adds_only_what_is_new(region, approved, people):
    alert = approved(grids=[region.grid_a, region.grid_b])
    do_mobilise(alert, actor=region.user("dispatcher"), tag_codes=["elderly_alone"])
    again = do_mobilise(alert, actor=region.user("dispatcher"), tag_codes=["elderly_alone"])
    assert again.new_tasks == 0
    # A sensitive (sealed) tag is found too; the household already checked for another tag is not doubled.
    more = do_mobilise(alert, actor=region.user("dispatcher"), tag_codes=["elderly_alone", "disabled"])
    assert more.new_tasks == 1
    assert CheckTask.objects.filter(alert=alert, household=people.a_disabled).exists()
    assert CheckTask.objects.filter(alert=alert).count() == 4


def test_a_polygon_area_mobilises_the_buildings_it_covers(region, approved, people):
    alert = approved(grids=[], polygon=square(116.316, 39.900, 116.330, 39.910))  # B east and all of C
    do_mobilise(alert, actor=region.user("dispatcher"), tag_codes=["elderly_alone"])
    assert set(CheckTask.objects.filter(alert=alert).values_list("household_id", flat=True)) == {
        people.b_east_alone.pk,
        people.c_alone.pk,
    }


def test_mobilisation_needs_an_approved_alert_and_a_known_tag(region, draft, approved, people):
    with pytest.raises(DomainError) as info:
        do_mobilise(draft(), actor=region.user("dispatcher"), tag_codes=["elderly_alone"])
    assert info.value.code == "not_approved"
    with pytest.raises(DomainError) as info:
        do_mobilise(approved(), actor=region.user("dispatcher"), tag_codes=["no_such_tag"])
    assert info.value.code == "tag_invalid"
    with pytest.raises(Forbidden):
        do_mobilise(approved(), actor=region.user("grid_worker_a"), tag_codes=["elderly_alone"])


def _tasks(region, approved):
    alert = approved(grids=[region.grid_a, region.grid_b])
    do_mobilise(alert, actor=region.user("dispatcher"), tag_codes=["elderly_alone", "disabled"])
    return alert, {t.household_id: t for t in CheckTask.objects.filter(alert=alert).select_related("grid")}


def test_the_board_counts_outcomes_per_grid(region, approved, people):
    alert, tasks = _tasks(region, approved)
    worker_a, worker_b = region.user("grid_worker_a"), region.user("grid_worker_b")
    do_record_check(tasks[people.a_alone.pk], actor=worker_a, outcome=CheckOutcome.SAFE)
    do_record_check(tasks[people.a_disabled.pk], actor=worker_a, outcome=CheckOutcome.UNREACHABLE)
    do_record_check(
        tasks[people.b_west_alone.pk], actor=worker_b, outcome=CheckOutcome.NEEDS_HELP, note="屋内进水"
    )
    data = board(alert)
    rows = {row.name: (row.total, row.done, row.safe, row.needs_help, row.unreachable) for row in data.rows}
    assert rows == {"Grid A": (2, 2, 1, 0, 1), "Grid B": (2, 1, 0, 1, 0)}
    assert (data.total.total, data.total.done, data.total.open) == (4, 3, 1)


def test_needs_help_opens_an_emergency_case_on_natural_hours(region, approved, people):
    _alert, tasks = _tasks(region, approved)
    now = timezone.now()
    task = do_record_check(
        tasks[people.a_alone.pk],
        actor=region.user("grid_worker_a"),
        outcome=CheckOutcome.NEEDS_HELP,
        note="老人行动不便，需要转移",
        now=now,
    )
    case = Case.objects.get(pk=task.case_id)
    assert case.urgency == Urgency.EMERGENCY and case.sla_unit == SlaUnit.NATURAL_HOURS
    assert case.grid == region.grid_a and case.body == "老人行动不便，需要转移"
    # Natural hours: the deadline is wall-clock time from intake, day or night.
    assert case.finish_due_at - case.sla_started_at == timedelta(hours=24)
    assert "王秀兰" not in case.title


def test_needs_help_needs_a_note_and_a_task_is_checked_once(region, approved, people):
    _alert, tasks = _tasks(region, approved)
    worker = region.user("grid_worker_a")
    with pytest.raises(DomainError) as info:
        do_record_check(tasks[people.a_alone.pk], actor=worker, outcome=CheckOutcome.NEEDS_HELP)
    assert info.value.code == "note_required"
    do_record_check(tasks[people.a_alone.pk], actor=worker, outcome=CheckOutcome.SAFE)
    with pytest.raises(DomainError) as info:
        do_record_check(tasks[people.a_alone.pk], actor=worker, outcome=CheckOutcome.UNREACHABLE)
    assert info.value.code == "already_checked"


@pytest.mark.parametrize("status", ["expired", "cancelled"])
def test_no_check_is_recorded_once_the_alert_is_over(region, approved, people, status):
    from zhili.emergency.models import Alert

    alert, tasks = _tasks(region, approved)
    Alert.objects.filter(pk=alert.pk).update(status=status)
    with pytest.raises(DomainError) as info:
        do_record_check(
            tasks[people.a_alone.pk], actor=region.user("grid_worker_a"), outcome=CheckOutcome.SAFE
        )
    assert info.value.code == "alert_over"
    assert not CheckTask.objects.filter(alert=alert).exclude(outcome="").exists()


def test_grid_workers_see_and_check_only_their_grid(client, login, region, approved, people):
    _alert, tasks = _tasks(region, approved)
    mine = set(my_tasks(region.user("grid_worker_a")).values_list("household_id", flat=True))
    assert mine == {people.a_alone.pk, people.a_disabled.pk}
    task_b = tasks[people.b_west_alone.pk]
    with pytest.raises(Forbidden):
        do_record_check(task_b, actor=region.user("grid_worker_a"), outcome=CheckOutcome.SAFE)
    login("grid_worker_a")
    assert client.get(f"/emergency/tasks/{task_b.pk}/").status_code == 404
    assert client.post(f"/emergency/tasks/{task_b.pk}/", {"outcome": "safe"}).status_code == 404
    login("outsider")
    assert client.get(f"/emergency/tasks/{tasks[people.a_alone.pk].pk}/").status_code == 404


def test_the_task_page_shows_the_household_as_the_registry_shows_it(client, login, region, approved, people):
    _alert, tasks = _tasks(region, approved)
    task = tasks[people.a_alone.pk]
    login("grid_worker_a")
    page = client.get(f"/emergency/tasks/{task.pk}/").content.decode()
    assert "王秀兰" in page  # grid workers see names in full in the registry too
    assert "139****0001" in page and "13900000001" not in page  # the mobile only masked
    response = client.post(f"/emergency/tasks/{task.pk}/", {"outcome": "safe", "note": ""})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.outcome == "safe" and task.done_by == region.user("grid_worker_a")


def test_the_board_page_chart_table_and_excel(
    client, login, region, approved, people, django_assert_max_num_queries
):
    alert, _tasks_by_household = _tasks(region, approved)
    login("leader")
    from zhili.emergency.actions import do_transition_alert
    from zhili.emergency.states import AlertTransition

    do_transition_alert(alert, AlertTransition.SEND, actor=region.user("dispatcher"))
    page = client.get(f"/emergency/alerts/{alert.pk}/board/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="board-chart"' in body and "echarts.min.js" in body and 'hx-trigger="every 15s"' in body
    with django_assert_max_num_queries(12):
        partial = client.get(f"/emergency/alerts/{alert.pk}/board/", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "Grid A" in partial.content.decode()
    xlsx = client.get(f"/emergency/alerts/{alert.pk}/board.xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("Grid A", 2, 0) and rows[-1][1] == 4
