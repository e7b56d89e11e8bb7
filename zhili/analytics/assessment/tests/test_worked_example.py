"""Scoring on the worked example of conftest.py: exact figures, points, totals and ranks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhili.analytics.assessment.actions import do_compute_run
from zhili.analytics.assessment.models import Score
from zhili.analytics.assessment.tests.conftest import OCTOBER, month_cases
from zhili.cases.selectors import three_rates

pytestmark = pytest.mark.django_db

D = Decimal


def scores_of(run, node):
    result = run.results.get(subject_node=node)
    return result, {s.code: s for s in Score.objects.filter(result=result).select_related("trace")}


def test_the_worked_example_scores_and_ranks_exactly(region, example):
    run = do_compute_run(indicator_set=example.grid_set, month=OCTOBER, actor=region.user("supervisor"))
    c = example.cases

    a, sa = scores_of(run, region.grid_a)
    # response 2 of 3 in time = 66.67 % → (66.67 − 60) / 40 × 100 = 16.68 points × 20 % = 3.34
    assert (sa["response_rate"].numerator, sa["response_rate"].denominator) == (2, 3)
    assert (sa["response_rate"].raw_value, sa["response_rate"].points) == (D("66.67"), D("16.68"))
    assert sa["response_rate"].weighted_points == D("3.34")
    assert (sa["on_time_rate"].raw_value, sa["on_time_rate"].weighted_points) == (D("100.00"), D("20.00"))
    # resolution 2 of 3 taken on (the rejected patrol report is not) = 66.67 % < 90 % → nothing
    assert (sa["resolution_rate"].numerator, sa["resolution_rate"].denominator) == (2, 3)
    assert sa["resolution_rate"].points == D("0")
    assert (sa["satisfaction_rate"].raw_value, sa["satisfaction_rate"].weighted_points) == (
        D("100.00"),
        D("20.00"),
    )
    # nothing reopened: 0 % with target 0 and floor 20 → 100 points × 10 %
    assert (sa["reopen_rate"].raw_value, sa["reopen_rate"].weighted_points) == (D("0.00"), D("10.00"))
    # one patrol report × 25 points = 25 × 10 %
    assert (sa["patrol_reports"].numerator, sa["patrol_reports"].denominator) == (1, None)
    assert (sa["patrol_reports"].points, sa["patrol_reports"].weighted_points) == (D("25.00"), D("2.50"))
    assert a.total == D("55.84")

    b, sb = scores_of(run, region.grid_b)
    assert sb["response_rate"].weighted_points == D("20.00")
    assert (sb["on_time_rate"].raw_value, sb["on_time_rate"].points) == (D("50.00"), D("0.00"))
    assert sb["resolution_rate"].weighted_points == D("20.00")
    assert (sb["satisfaction_rate"].raw_value, sb["satisfaction_rate"].points) == (D("50.00"), D("0.00"))
    assert (sb["reopen_rate"].raw_value, sb["reopen_rate"].points) == (D("50.00"), D("0.00"))
    assert b.total == D("40.00")

    # Grid C had no case: the rates score nothing (rule: no points), the reopen rate full (rule: full).
    cgrid, sc = scores_of(run, region.grid_c)
    assert sc["response_rate"].raw_value is None and sc["response_rate"].points == D("0")
    assert sc["reopen_rate"].points == D("100")
    assert cgrid.total == D("10.00")

    assert [(r.label, r.rank) for r in run.results.order_by("rank")] == [
        ("Grid A", 1),
        ("Grid B", 2),
        ("Grid C", 3),
    ]
    # Grid D lies in another street.
    assert not run.results.filter(subject_node=region.grid_d).exists()

    # The trace names the cases behind each figure; cases of November, September and grid D stay out.
    trace = sa["response_rate"].trace
    assert trace.source == "cases"
    assert trace.numerator_ids == sorted([c["a1"].pk, c["a3"].pk])
    assert trace.denominator_ids == sorted([c["a1"].pk, c["a2"].pk, c["a3"].pk])
    assert sa["patrol_reports"].trace.numerator_ids == [c["a4"].pk]
    assert sb["reopen_rate"].trace.numerator_ids == [c["b1"].pk]


def test_grid_figures_agree_with_the_three_rates_of_the_cases_module(region, example):
    run = do_compute_run(indicator_set=example.grid_set, month=OCTOBER, actor=region.user("supervisor"))
    for grid in (region.grid_a, region.grid_b):
        rates = three_rates(month_cases(grid))
        _result, scores = scores_of(run, grid)
        for code in ("response_rate", "on_time_rate", "resolution_rate", "satisfaction_rate"):
            expected = rates[code]
            got = scores[code].raw_value
            assert got == (None if expected is None else (D(str(expected)) * 100).quantize(D("0.01"))), code


def test_grid_workers_are_assessed_on_the_cases_assigned_to_them_and_their_own_reports(region, example):
    from zhili.analytics.assessment.models import SubjectKind
    from zhili.analytics.assessment.tests.conftest import grid_indicator_set

    workers = grid_indicator_set(region.street, kind=SubjectKind.GRID_WORKER)
    run = do_compute_run(indicator_set=workers, month=OCTOBER, actor=region.user("supervisor"))
    wa = run.results.get(subject_user=region.user("grid_worker_a"))
    scores = {s.code: s for s in wa.scores.all()}
    assert (scores["response_rate"].numerator, scores["response_rate"].denominator) == (1, 2)  # a1, a2
    assert scores["patrol_reports"].numerator == 1
    wb = run.results.get(subject_user=region.user("grid_worker_b"))
    assert wb.scores.get(code="response_rate").denominator == 0
    # The outsider is a grid worker of another street.
    assert not run.results.filter(subject_user=region.user("outsider")).exists()


def test_communities_add_up_their_grids(region, example):
    from zhili.analytics.assessment.models import SubjectKind
    from zhili.analytics.assessment.tests.conftest import grid_indicator_set

    communities = grid_indicator_set(region.street, kind=SubjectKind.COMMUNITY)
    run = do_compute_run(indicator_set=communities, month=OCTOBER, actor=region.user("supervisor"))
    c1 = run.results.get(subject_node=region.c1).scores.get(code="response_rate")
    assert (c1.numerator, c1.denominator) == (4, 5)  # a1, a3, b1, b2 of a1, a2, a3, b1, b2
    assert run.results.get(subject_node=region.c2).scores.get(code="response_rate").denominator == 0


def test_warnings_handled_counts_the_decided_warnings_raised_in_the_month(region, example):
    import datetime as dt

    from zhili.analytics.assessment.models import Indicator, IndicatorSet, SubjectKind
    from zhili.analytics.assessment.tests.conftest import at
    from zhili.intelligence.models import EarlyWarning

    def warning(node, state, created, n):
        return EarlyWarning.objects.create(
            kind="spike",
            fingerprint=f"fp{n}",
            node=node,
            day=created.date(),
            severity="low",
            state=state,
            created_at=created,
        )

    w1 = warning(region.c1, "confirmed", at(3), 1)
    w2 = warning(region.c1, "new", at(4), 2)
    warning(region.c1, "dismissed", at(3, month=9), 3)  # September's
    w4 = warning(region.c2, "dismissed", at(7), 4)
    s = IndicatorSet.objects.create(
        name="社区", subject_kind=SubjectKind.COMMUNITY, node=region.street, valid_from=dt.date(2026, 1, 1)
    )
    Indicator.objects.create(
        indicator_set=s,
        code="warnings_handled",
        weight=D(100),
        rule="linear",
        floor=D(0),
        target=D(100),
        no_data="zero",
    )
    run = do_compute_run(indicator_set=s, month=OCTOBER, actor=None)
    c1 = run.results.get(subject_node=region.c1).scores.get(code="warnings_handled")
    assert (c1.numerator, c1.denominator, c1.points) == (1, 2, D("50.00"))
    assert (c1.trace.source, c1.trace.numerator_ids, c1.trace.denominator_ids) == (
        "warnings",
        [w1.pk],
        [w1.pk, w2.pk],
    )
    c2 = run.results.get(subject_node=region.c2).scores.get(code="warnings_handled")
    assert (c2.numerator, c2.denominator, c2.trace.numerator_ids) == (1, 1, [w4.pk])
