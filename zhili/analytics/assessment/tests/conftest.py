"""The worked example: October 2026, grids A and B of street S, cases with known timings and ratings.

grid A  a1  signed in time, resolved in time, closed, 满意
        a2  signed late,    resolved in time, rated,  基本满意
        a3  signed in time, still pending
        a4  a patrol report by grid worker A, rejected
grid B  b1  signed in time, resolved late,    closed, 不满意, reopened once
        b2  signed in time, resolved in time, closed, 满意
not counted: a case of grid A filed on 1 November 00:10 Beijing time (still 31 October in UTC),
one filed in September, one of grid D in another street.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from zhili.analytics.assessment.models import Indicator, IndicatorSet, SubjectKind
from zhili.cases.models import Case, Channel, Evaluation, Rating, RatingSource
from zhili.cases.states import CaseStatus as S

BJ = ZoneInfo("Asia/Shanghai")
OCTOBER = dt.date(2026, 10, 1)
AFTER_OCTOBER = dt.datetime(2026, 11, 2, 9, 0, tzinfo=BJ)


def at(day: int, month: int = 10, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BJ)


_counter = iter(range(1, 10_000))


def make_case(
    node,
    *,
    created,
    status,
    signed=None,
    resolved=None,
    rating=None,
    reopen=0,
    channel=Channel.H5,
    reporter=None,
    assignee=None,
    department=None,
) -> Case:
    case = Case.objects.create(
        code=f"T{next(_counter):06d}",
        title="t",
        body="b",
        channel=channel,
        status=status,
        node=node,
        grid=node,
        reporter=reporter,
        assignee=assignee,
        department=department,
        accept_due_at=created + dt.timedelta(hours=1),
        finish_due_at=created + dt.timedelta(days=3),
        signed_at=signed,
        resolved_at=resolved,
        reopen_count=reopen,
    )
    Case.objects.filter(pk=case.pk).update(created_at=created)
    if rating:
        Evaluation.objects.create(case=case, rating=rating, source=RatingSource.RESIDENT)
    return case


@dataclass
class Example:
    cases: dict[str, Case]
    grid_set: IndicatorSet


IN_TIME_SIGN = dt.timedelta(minutes=30)
LATE_SIGN = dt.timedelta(hours=2)
IN_TIME_FINISH = dt.timedelta(days=1)
LATE_FINISH = dt.timedelta(days=4)


def grid_indicator_set(node, **kwargs) -> IndicatorSet:
    s = IndicatorSet.objects.create(
        name="网格考核",
        subject_kind=kwargs.get("kind", SubjectKind.GRID),
        node=node,
        valid_from=dt.date(2026, 1, 1),
    )
    d = Decimal
    rows = [
        # code, weight, rule, floor, target, per item, cap, no data
        ("response_rate", d(20), "linear", d(60), d(100), None, None, "zero"),
        ("on_time_rate", d(20), "linear", d(50), d(100), None, None, "zero"),
        ("resolution_rate", d(20), "threshold", None, d(90), None, None, "zero"),
        ("satisfaction_rate", d(20), "linear", d(60), d(95), None, None, "zero"),
        ("reopen_rate", d(10), "linear", d(20), d(0), None, None, "full"),
        ("patrol_reports", d(10), "per_item", None, None, d(25), d(100), "zero"),
    ]
    for pos, (code, weight, rule, floor, target, per, cap, nodata) in enumerate(rows):
        Indicator.objects.create(
            indicator_set=s,
            code=code,
            weight=weight,
            rule=rule,
            floor=floor,
            target=target,
            points_per_item=per,
            cap=cap,
            no_data=nodata,
            position=pos,
        )
    return s


@pytest.fixture
def example(region) -> Example:
    A, B = region.grid_a, region.grid_b
    wa = region.user("grid_worker_a")
    c = {}
    t = at(5)
    c["a1"] = make_case(
        A,
        created=t,
        status=S.CLOSED,
        signed=t + IN_TIME_SIGN,
        resolved=t + IN_TIME_FINISH,
        rating=Rating.SATISFIED,
        assignee=wa,
    )
    c["a2"] = make_case(
        A,
        created=t,
        status=S.RATED,
        signed=t + LATE_SIGN,
        resolved=t + IN_TIME_FINISH,
        rating=Rating.BASICALLY,
        assignee=wa,
    )
    c["a3"] = make_case(A, created=at(31, hour=23), status=S.ACCEPTED, signed=at(31, hour=23) + IN_TIME_SIGN)
    c["a4"] = make_case(A, created=at(12), status=S.REJECTED, channel=Channel.PATROL, reporter=wa)
    c["b1"] = make_case(
        B,
        created=at(8),
        status=S.CLOSED,
        signed=at(8) + IN_TIME_SIGN,
        resolved=at(8) + LATE_FINISH,
        rating=Rating.UNSATISFIED,
        reopen=1,
    )
    c["b2"] = make_case(
        B,
        created=at(9),
        status=S.CLOSED,
        signed=at(9) + IN_TIME_SIGN,
        resolved=at(9) + IN_TIME_FINISH,
        rating=Rating.SATISFIED,
    )
    # Not October's: 1 November 00:10 in Beijing is 31 October 16:10 UTC.
    c["nov"] = make_case(A, created=at(1, month=11, hour=0, minute=10), status=S.PENDING)
    c["sep"] = make_case(A, created=at(30, month=9), status=S.CLOSED, signed=at(30, month=9) + LATE_SIGN)
    c["other_street"] = make_case(region.grid_d, created=at(6), status=S.PENDING, channel=Channel.PATROL)
    return Example(cases=c, grid_set=grid_indicator_set(region.street))


def month_cases(grid, month: dt.date = OCTOBER):
    from zhili.analytics.assessment.registry import month_bounds

    start, end = month_bounds(month)
    return Case.objects.filter(node=grid, created_at__gte=start, created_at__lt=end)
