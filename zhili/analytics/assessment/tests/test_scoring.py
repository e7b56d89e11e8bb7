"""The scoring rules and the ranking, over wide inputs."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhili.analytics.assessment.scoring import competition_ranks, points_for, raw_value, weighted

D = Decimal
# Hundredths as integers: cheap to draw on a busy machine, and exactly the values a rate takes.
values = st.integers(min_value=0, max_value=20000).map(lambda n: D(n) / 100)
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(value=values, floor=values, target=values)
def test_linear_points_stay_within_0_and_100_and_hit_both_ends(value, floor, target):
    config = {"rule": "linear", "floor": floor, "target": target}
    points = points_for(value, config)
    assert D(0) <= points <= D(100)
    if floor != target:
        assert points_for(floor, config) == D(0)
        assert points_for(target, config) == D(100)


@relaxed
@given(a=values, b=values)
def test_linear_points_never_fall_as_the_value_moves_towards_the_target(a, b):
    up = {"rule": "linear", "floor": D(60), "target": D(100)}
    down = {"rule": "linear", "floor": D(20), "target": D(0)}  # a reopen rate: lower is better
    low, high = min(a, b), max(a, b)
    assert points_for(low, up) <= points_for(high, up)
    assert points_for(low, down) >= points_for(high, down)


@relaxed
@given(count=st.integers(min_value=0, max_value=1000))
def test_per_item_points_stop_at_the_cap(count):
    points = points_for(D(count), {"rule": "per_item", "points_per_item": "2.5", "cap": "30"})
    assert points == min(D("2.5") * count, D(30))


def test_threshold_and_missing_data():
    assert points_for(D("90"), {"rule": "threshold", "target": "90"}) == D(100)
    assert points_for(D("89.99"), {"rule": "threshold", "target": "90"}) == D(0)
    assert points_for(D("5"), {"rule": "threshold", "target": "10"}, higher_is_better=False) == D(100)
    assert points_for(None, {"rule": "linear", "no_data": "full"}) == D(100)
    assert points_for(None, {"rule": "linear", "no_data": "zero"}) == D(0)
    assert raw_value(2, 3, is_rate=True) == D("66.67")
    assert raw_value(0, 0, is_rate=True) is None
    assert raw_value(4, None, is_rate=False) == D(4)
    assert weighted(D("16.68"), D(20)) == D("3.34")


@relaxed
@given(st.lists(st.integers(min_value=0, max_value=10000).map(lambda n: D(n) / 100), max_size=30))
def test_ranks_share_places_on_ties_and_skip_after(totals):
    ranks = competition_ranks(totals)
    for i, t in enumerate(totals):
        assert ranks[i] == 1 + sum(1 for other in totals if other > t)


def test_ranks_of_a_tie():
    assert competition_ranks([D(90), D(80), D(90), D(70)]) == [1, 3, 1, 4]
