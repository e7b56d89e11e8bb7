"""The demo loader and `zhili assessment compute`."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from zhili.analytics.assessment.demo import load_for, months_to_show
from zhili.analytics.assessment.models import AssessmentRun, IndicatorSet
from zhili.analytics.assessment.states import RunState

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_the_complete_months_leaves_this_one_a_draft_and_runs_twice(region):
    today = dt.date(2026, 11, 29)
    assert months_to_show(today) == [dt.date(2026, m, 1) for m in (8, 9, 10, 11)]
    load_for(region.street, today)
    load_for(region.street, today)
    assert sorted(IndicatorSet.objects.values_list("name", flat=True)) == sorted(
        ["网格考核", "网格员考核", "部门考核"]
    )
    for indicator_set in IndicatorSet.objects.all():
        assert sum(i.weight for i in indicator_set.indicators.all()) == 100
        runs = AssessmentRun.objects.filter(indicator_set=indicator_set)
        assert {(r.month.month, r.state, r.version) for r in runs} == {
            (8, RunState.PUBLISHED, 1),
            (9, RunState.PUBLISHED, 1),
            (10, RunState.PUBLISHED, 1),
            (11, RunState.DRAFT, 1),
        }
    grid_run = AssessmentRun.objects.get(indicator_set__name="网格考核", month=dt.date(2026, 10, 1))
    assert grid_run.results.count() == 3  # grids A, B and C of the street


def test_the_command_computes_and_publishes_a_month(region, example):
    out = StringIO()
    call_command(
        "assessment", "compute", "--node", "S", "--month", "2026-10", "--publish", "--json", stdout=out
    )
    [row] = json.loads(out.getvalue())
    assert row["state"] == RunState.PUBLISHED and row["subjects"] == 3
    assert row["top"][0] == ["Grid A", "55.84"]
    # Published: computing again is refused, with a non-zero exit.
    with pytest.raises(SystemExit):
        call_command("assessment", "compute", "--node", "S", "--month", "2026-10", stdout=StringIO())
