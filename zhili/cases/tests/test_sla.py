"""The SLA clock on China's working-day calendar (working day 09:00–12:00 and 13:00–18:00)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.cases.sla import (
    BEIJING,
    WORKING_PERIODS,
    add_working_duration,
    add_working_time,
    is_workday,
    working_time_between,
)


def bj(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=BEIJING)


def test_the_2025_national_day_calendar_is_what_the_state_council_announced():
    # 国办发明电〔2024〕12号: Oct 1–8 off, Sunday Sep 28 and Saturday Oct 11 are make-up workdays.
    assert [is_workday(date(2025, 10, d)) for d in range(1, 9)] == [False] * 8
    assert is_workday(date(2025, 9, 28)) and date(2025, 9, 28).weekday() == 6
    assert is_workday(date(2025, 10, 11)) and date(2025, 10, 11).weekday() == 5
    assert not is_workday(date(2025, 9, 27)) and not is_workday(date(2025, 10, 12))
    assert chinese_calendar.is_holiday(date(2025, 10, 6))  # Mid-Autumn falls inside the week


def test_one_working_day_from_the_eve_of_national_day_ends_after_the_holiday():
    # Tue 30 Sep 16:00: two hours left that day, then nothing until Thu 9 Oct.
    assert add_working_time(bj(2025, 9, 30, 16), 1, "working_days") == bj(2025, 10, 9, 16)
    assert add_working_time(bj(2025, 9, 30, 16), 8, "working_hours") == bj(2025, 10, 9, 16)


def test_the_make_up_sunday_before_national_day_counts_as_a_working_day():
    # Fri 26 Sep 17:00 + 2h: one hour on Friday, Saturday off, the second hour on Sunday the 28th.
    assert add_working_time(bj(2025, 9, 26, 17), 2, "working_hours") == bj(2025, 9, 28, 10)


def test_the_make_up_saturday_after_national_day_counts_and_the_sunday_does_not():
    # Fri 10 Oct 17:00 + 3 working days (24h): 1h Fri, 8h Sat 11 (调休), Sun off, 8h Mon, 7h Tue.
    assert add_working_time(bj(2025, 10, 10, 17), 3, "working_days") == bj(2025, 10, 14, 17)


def test_a_case_filed_during_the_holiday_starts_counting_on_the_first_working_morning():
    assert add_working_time(bj(2025, 10, 3, 11), 1, "working_hours") == bj(2025, 10, 9, 10)


def test_lunch_break_is_skipped():
    assert add_working_time(bj(2025, 10, 9, 11, 30), 1, "working_hours") == bj(2025, 10, 9, 13, 30)


def test_natural_hours_run_through_holidays_and_nights():
    assert add_working_time(bj(2025, 10, 1, 22), 24, "natural_hours") == bj(2025, 10, 2, 22)


def test_working_time_between_counts_only_working_periods():
    assert working_time_between(bj(2025, 9, 30, 9), bj(2025, 10, 9, 9)) == timedelta(hours=8)
    assert working_time_between(bj(2025, 10, 2), bj(2025, 10, 5)) == timedelta(0)
    assert working_time_between(bj(2025, 10, 9, 12), bj(2025, 10, 9, 13)) == timedelta(0)


def test_other_time_zones_are_converted_to_beijing_time():
    from datetime import UTC

    start = datetime(2025, 9, 30, 8, 0, tzinfo=UTC)  # 16:00 in Beijing
    assert add_working_time(start, 1, "working_days") == bj(2025, 10, 9, 16)


# Properties ---------------------------------------------------------------------------------------

starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 6, 30)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=BEIJING)
)
amounts = st.integers(min_value=1, max_value=20 * 8 * 60).map(lambda m: timedelta(minutes=m))


def in_working_period(moment: datetime) -> bool:
    local = moment.astimezone(BEIJING)
    if not is_workday(local.date()):
        return False
    t = local.time()
    return any(start < t <= end for start, end in WORKING_PERIODS)


@settings(max_examples=300, deadline=None)
@given(starts, amounts)
def test_a_positive_amount_never_ends_on_a_day_off_or_outside_working_hours(start, amount):
    assert in_working_period(add_working_duration(start, amount))


@settings(max_examples=300, deadline=None)
@given(starts, amounts, amounts)
def test_adding_a_then_b_is_adding_a_plus_b(start, a, b):
    assert add_working_duration(add_working_duration(start, a), b) == add_working_duration(start, a + b)


@settings(max_examples=300, deadline=None)
@given(starts, amounts, amounts)
def test_more_time_never_ends_earlier(start, a, b):
    small, large = sorted((a, b))
    assert add_working_duration(start, small) <= add_working_duration(start, large)


@settings(max_examples=200, deadline=None)
@given(starts, starts, amounts)
def test_a_later_start_never_ends_earlier(s1, s2, amount):
    early, late = sorted((s1, s2))
    assert add_working_duration(early, amount) <= add_working_duration(late, amount)


@settings(max_examples=300, deadline=None)
@given(starts, amounts)
def test_working_time_between_inverts_adding(start, amount):
    assert working_time_between(start, add_working_duration(start, amount)) == amount
