"""The dashboard benchmark in its short mode: it loads, builds, times, and the two paths agree."""

from __future__ import annotations

import pytest

from zhili.analytics import bench

pytestmark = pytest.mark.django_db


def test_short_dashboard_benchmark_reports_every_tile_and_both_paths_agree():
    figures = bench.run_benchmark(2000, streets=1, days=60, runs=2, baseline_runs=1, seed=3)
    assert figures["cases"] == 2000
    assert figures["ratings"] > 0
    names = {(t["name"], t["scope"], t["period"]) for t in figures["tiles"]}
    assert len(names) == 6 * 3 * 2
    for t in figures["tiles"]:
        assert t["p95_ms"] >= 0 and t["baseline_ms"] >= 0
        assert t["equal"], t
    assert figures["all_equal"] is True
    assert figures["rollup_rows"]["nodeday"] > 0


def test_p95_is_the_value_below_which_95_percent_fall():
    assert bench.p95([float(i) for i in range(1, 101)]) == 95.0
    assert bench.p95([3.0]) == 3.0


def test_the_timed_periods_can_end_on_a_given_day():
    from datetime import date, timedelta

    from zhili.analytics.scope import today

    end = today() - timedelta(days=1)
    figures = bench.run_benchmark(500, streets=1, days=60, runs=1, baseline_runs=1, seed=5, end=end)
    assert figures["periods"]["30d"] == [(end - timedelta(days=29)).isoformat(), end.isoformat()]
    assert figures["periods"]["365d"][1] == end.isoformat()
    assert isinstance(end, date) and figures["all_equal"] is True
