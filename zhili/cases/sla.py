"""SLA clocks on China's official working-day calendar.

The working day is the standard 8 hours of government offices: 09:00–12:00 and 13:00–18:00,
Beijing time, on working days. Working days come from ``chinese_calendar`` (the State Council's
holiday notices): weekends and public holidays are off, and make-up workdays (调休, e.g. Sunday
28 Sep 2025 before the National Day week) are on. Years the package has no data for fall back to
Monday–Friday without the fixed-date holidays (元旦, 劳动节, 国庆节); until the package knows the next
year, administrators enter its notice as ``WorkdayOverride`` days, which win over the package.

Units:
- ``working_hours``: hours inside the working periods above;
- ``working_days``: one working day is 8 working hours, so "1 working day" from Monday 10:00 ends
  on Tuesday 10:00 (the next working day at the same working moment);
- ``natural_hours``: wall-clock hours, day and night (emergencies).

Adding working time from a moment outside working hours starts at the next working period; a
positive amount always ends inside a working period or at its end, never on a day off.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

from zhili.cases.models import SlaUnit

BEIJING = ZoneInfo("Asia/Shanghai")
WORKING_PERIODS: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(13, 0), time(18, 0)))
WORKING_DAY = sum(
    (datetime.combine(date.min, end) - datetime.combine(date.min, start) for start, end in WORKING_PERIODS),
    timedelta(),
)
assert timedelta(hours=8) == WORKING_DAY
# No SLA is anywhere near this long; the bound keeps a bad policy from looping for ever.
_MAX_DAYS = 366 * 5


# Days of statutory holidays that fall on the same date every year (《全国年节及纪念日放假办法》,
# 2024 revision): 元旦, 劳动节 and 国庆节. Used only for years neither the package nor an
# administrator's entries know, so that 1 January is never counted as a working day.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})

# Days entered by administrators (``WorkdayOverride``): day → is a working day. They win over the
# package. Set by the rulebook whenever the configuration is loaded (``use_overrides``).
_overrides: dict[date, bool] = {}
_overrides_source: object = None


def use_overrides(entries: tuple[tuple[date, bool], ...]) -> None:
    """Take the administrators' entries (the rulebook's); the cache of days is dropped if they changed."""
    global _overrides, _overrides_source
    if entries is _overrides_source:
        return
    mapping = dict(entries)
    _overrides_source = entries
    if mapping != _overrides:
        _overrides = mapping
        is_workday.cache_clear()


def entered_day(day: date) -> bool | None:
    """An administrator's entry for ``day``: True a make-up working day, False a day off, None none."""
    return _overrides.get(day)


def calendar_known(year: int) -> bool:
    """Whether the year's holidays are known: the package has the year, or an administrator entered
    days of it. The admin warns about the next year in December when neither holds."""
    if any(day.year == year for day in _overrides):
        return True
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    """An official working day: holidays are off, make-up workdays (调休) are on."""
    if day in _overrides:
        return _overrides[day]
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no data for
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("SLA arithmetic needs aware datetimes")
    # Beijing time has had no daylight saving since 1991, so naive local arithmetic is exact.
    return moment.astimezone(BEIJING).replace(tzinfo=None)


def _aware(local: datetime) -> datetime:
    return local.replace(tzinfo=BEIJING)


def _periods(day: date) -> list[tuple[datetime, datetime]]:
    if not is_workday(day):
        return []
    return [(datetime.combine(day, start), datetime.combine(day, end)) for start, end in WORKING_PERIODS]


def add_working_duration(start: datetime, amount: timedelta) -> datetime:
    """``start`` plus ``amount`` of working time (see the module docstring)."""
    if amount < timedelta(0):
        raise ValueError("cannot add a negative working time")
    if amount == timedelta(0):
        return start
    cursor = _local(start)
    remaining = amount
    day = cursor.date()
    for _ in range(_MAX_DAYS):
        for period_start, period_end in _periods(day):
            if cursor >= period_end:
                continue
            begin = max(cursor, period_start)
            available = period_end - begin
            if remaining <= available:
                return _aware(begin + remaining)
            remaining -= available
            cursor = period_end
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0))
    raise ValueError("working time too long to add")


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """Working time in [start, end); zero when end is not after start."""
    a, b = _local(start), _local(end)
    if b <= a:
        return timedelta(0)
    total = timedelta(0)
    day = a.date()
    while day <= b.date():
        for period_start, period_end in _periods(day):
            lo, hi = max(a, period_start), min(b, period_end)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def duration(amount: float, unit: str) -> timedelta:
    """``amount`` of ``unit`` as a timedelta of (working or natural) time."""
    if unit == SlaUnit.WORKING_DAYS:
        return WORKING_DAY * amount
    if unit in (SlaUnit.WORKING_HOURS, SlaUnit.NATURAL_HOURS):
        return timedelta(hours=amount)
    raise ValueError(f"unknown SLA unit {unit!r}")


def add_time(start: datetime, amount: timedelta, unit: str) -> datetime:
    """Add a duration in the clock of ``unit``: working time, or wall-clock time for natural hours."""
    if unit == SlaUnit.NATURAL_HOURS:
        return start + amount
    return add_working_duration(start, amount)


def add_working_time(start: datetime, amount: float, unit: str) -> datetime:
    """``start`` plus ``amount`` hours or days in ``unit`` (working_hours, working_days, natural_hours)."""
    return add_time(start, duration(amount, unit), unit)


def elapsed(start: datetime, end: datetime, unit: str) -> timedelta:
    """Time between two moments as the clock of ``unit`` counts it."""
    if unit == SlaUnit.NATURAL_HOURS:
        return max(end - start, timedelta(0))
    return working_time_between(start, end)
