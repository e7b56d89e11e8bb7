"""The assessment indicator of proactive services: tasks due in the month recorded by their due day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from zhili.analytics.assessment.actions import do_compute_run
from zhili.analytics.assessment.models import Indicator, IndicatorSet, SubjectKind
from zhili.analytics.assessment.selectors import explain
from zhili.analytics.assessment.tests.conftest import OCTOBER, at
from zhili.services.models import OutreachTask, Service
from zhili.services.states import TaskStatus
from zhili.services.tests.conftest import IN_A, IN_C, make_person
from zhili.territory.actions import do_create_building, do_create_household

pytestmark = pytest.mark.django_db


def _task(service, person, grid, *, due, status=TaskStatus.OPEN, done_at=None):
    return OutreachTask.objects.create(
        service=service,
        person=person,
        household=person.household,
        grid=grid,
        status=status,
        created_at=at(1),
        due_on=due,
        done_at=done_at,
        outcome="informed" if status == TaskStatus.DONE else "",
    )


def test_outreach_on_time_counts_the_tasks_due_in_the_month_recorded_by_their_due_day(region, client, login):
    service = Service.objects.create(node=region.street, name="高龄津贴", min_age=80)
    people = []
    for grid, n, point in ((region.grid_a, 3, IN_A), (region.grid_c, 1, IN_C)):
        building = do_create_building(grid, grid.code, f"测试路{grid.pk}号", *point, actor=None)
        for i in range(n):
            household = do_create_household(building, f"10{i}", actor=None)
            people.append((grid, make_person(household, f"居民{grid.pk}{i}", dt.date(1930, 1, 1), [])))
    (ga, p1), (_g, p2), (_g2, p3), (gc, p4) = people
    on_time = _task(
        service, p1, ga, due=dt.date(2026, 10, 10), status=TaskStatus.DONE, done_at=at(10, hour=23)
    )
    late = _task(service, p2, ga, due=dt.date(2026, 10, 10), status=TaskStatus.DONE, done_at=at(11, hour=0))
    still_open = _task(service, p3, ga, due=dt.date(2026, 10, 20))
    _task(service, p3, ga, due=dt.date(2026, 11, 3), status=TaskStatus.WITHDRAWN)  # November's
    withdrawn = _task(service, p4, gc, due=dt.date(2026, 10, 5), status=TaskStatus.WITHDRAWN)
    s = IndicatorSet.objects.create(
        name="社区", subject_kind=SubjectKind.COMMUNITY, node=region.street, valid_from=dt.date(2026, 1, 1)
    )
    Indicator.objects.create(
        indicator_set=s, code="outreach_on_time", weight=D(100), rule="linear", floor=D(0), target=D(100),
        no_data="zero",
    )  # fmt: skip
    run = do_compute_run(indicator_set=s, month=OCTOBER, actor=None)
    c1 = run.results.get(subject_node=region.c1).scores.get(code="outreach_on_time")
    assert (c1.numerator, c1.denominator) == (1, 3)
    assert (c1.trace.source, c1.trace.numerator_ids) == ("outreach", [on_time.pk])
    assert sorted(c1.trace.denominator_ids) == sorted([on_time.pk, late.pk, still_open.pk])
    c2 = run.results.get(subject_node=region.c2).scores.get(code="outreach_on_time")
    assert c2.denominator == 0 and withdrawn.pk not in c2.trace.denominator_ids
    rows = explain(c1)["rows"]
    assert [row["counted"] for row in rows] == [True, False, False]
    assert all(row["task"].service.name == "高龄津贴" for row in rows)
    login("supervisor")
    page = client.get(f"/assessment/runs/{run.pk}/scores/{c1.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and html.count("高龄津贴") == 3 and "2026-10-10" in html
    assert p1.name not in html  # the service and the grid, never the person
