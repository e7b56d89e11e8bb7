from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from zhili.intelligence.spikes import (
    day_type,
    detect_spikes,
    expected,
    repeated_reports,
    tail_probability,
)

START, END = date(2023, 11, 1), date(2024, 4, 30)
RATES = {
    ("环境保护", "c1"): 6.0,
    ("环境保护", "c2"): 3.0,
    ("交通运输", "c1"): 10.0,
    ("劳动和社会保障", "c2"): 4.0,
}


def synthetic_history(seed: int = 7) -> dict:
    """Working days at the series' rate, weekends at a third, the Spring Festival holiday at a tenth."""
    rng = np.random.default_rng(seed)
    series = {}
    for key, rate in RATES.items():
        counts = {}
        d = START
        while d <= END:
            kind = day_type(d)
            lam = rate if kind == "work" else rate / 3 if kind == "weekend" else rate / 10
            counts[d] = int(rng.poisson(lam))
            d += timedelta(days=1)
        series[key] = counts
    return series


def all_warnings(series, first: date, last: date):
    found = []
    d = first
    while d <= last:
        found += detect_spikes(series, d)
        d += timedelta(days=1)
    return found


def test_calendar_day_types_know_the_spring_festival_and_make_up_days():
    assert day_type(date(2024, 2, 12)) == "holiday"  # 春节
    assert day_type(date(2024, 2, 18)) == "work"  # a Sunday, worked (调休)
    assert day_type(date(2024, 3, 2)) == "weekend"
    assert day_type(date(2024, 3, 4)) == "work"


def test_injected_spike_gives_exactly_that_warning():
    series = synthetic_history()
    key, day = ("环境保护", "c2"), date(2024, 3, 20)
    series[key][day] = 18
    warnings = all_warnings(series, date(2024, 1, 15), END)
    assert [(w.key, w.day) for w in warnings] == [(key, day)]
    w = warnings[0]
    assert w.observed == 18 and 2 <= w.expected <= 4 and w.p_value < 1e-3
    assert w.severity == "high"
    assert w.evidence()["observed"] == 18


def test_holiday_dip_and_return_to_normal_raise_nothing():
    series = synthetic_history()
    assert all_warnings(series, date(2024, 1, 15), END) == []
    # the test can fail: a baseline of the last seven days, blind to the calendar, warns in the
    # week after the festival
    naive = []
    for key, counts in series.items():
        for day in (date(2024, 2, 18) + timedelta(days=k) for k in range(6)):
            week = [counts[day - timedelta(days=k)] for k in range(1, 8)]
            m = float(np.mean(week))
            if counts[day] >= 5 and tail_probability(counts[day], m, m) < 1e-3:
                naive.append((key, day))
    assert naive
    counts = series[("交通运输", "c1")]
    back = date(2024, 2, 19)
    mean, _, n = expected(counts, back)
    assert n >= 30 and 8 <= mean <= 12


def test_a_small_rise_is_not_a_warning():
    series = synthetic_history()
    series[("交通运输", "c1")][date(2024, 3, 20)] = 15  # 1.5 × the usual working day
    assert detect_spikes(series, date(2024, 3, 20)) == []


def test_repeated_reports_from_one_household_within_the_window():
    t = datetime(2024, 3, 1, 9)
    events = [("户-12", t + timedelta(days=d), f"c{d}") for d in (0, 5, 11, 40)]
    events += [("户-7", t + timedelta(days=d), f"x{d}") for d in (0, 20, 45)]
    events += [("", t, "anon1"), ("", t, "anon2"), ("", t, "anon3")]
    found = repeated_reports(events, window_days=30, threshold=3)
    assert [(r.key, r.ids) for r in found] == [("户-12", ["c0", "c5", "c11"])]


def test_holiday_arrangements_entered_by_administrators_decide_the_day_type():
    from zhili.cases import sla

    unknown = date(2031, 1, 2)  # a Thursday of a year the package does not know
    assert day_type(date(2031, 1, 1)) == "holiday"  # 元旦, a fixed-date statutory holiday
    assert day_type(unknown) == "work" and day_type(date(2031, 1, 4)) == "weekend"
    try:
        sla.use_overrides(((unknown, False), (date(2031, 1, 4), True)))
        assert day_type(unknown) == "holiday" and day_type(date(2031, 1, 4)) == "work"
    finally:
        sla.use_overrides(())
    assert day_type(unknown) == "work"
