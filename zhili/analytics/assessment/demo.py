"""Demo data of assessment, called by the demo loader (zhili.demo.extras) after the demo cases.

Default indicator sets for the demo street (网格考核, 网格员考核, 部门考核), the last three complete
months computed and published, and the current month computed as a draft.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

# code, weight, rule, floor, target, points per item, cap, when nothing to count
GRID_INDICATORS: list[tuple[str, int, str, Any, Any, Any, Any, str]] = [
    ("response_rate", 15, "linear", 60, 100, None, None, "full"),
    ("on_time_rate", 20, "linear", 60, 100, None, None, "full"),
    ("resolution_rate", 15, "linear", 50, 95, None, None, "full"),
    ("satisfaction_rate", 20, "linear", 60, 95, None, None, "full"),
    ("reopen_rate", 10, "linear", 20, 0, None, None, "full"),
    ("patrol_reports", 5, "per_item", None, None, 25, 100, "zero"),
    ("tagged_visits", 5, "per_item", None, None, 5, 100, "zero"),
    ("warnings_handled", 5, "linear", 50, 100, None, None, "full"),
    ("outreach_on_time", 5, "linear", 50, 100, None, None, "full"),
]
# A grid worker: no warnings or outreach indicators (areas only); patrols and visits weigh more.
WORKER_INDICATORS = [row for row in GRID_INDICATORS if row[0] not in ("warnings_handled", "outreach_on_time")]
WORKER_INDICATORS = [
    (r[0], 10, *r[2:]) if r[0] in ("tagged_visits", "patrol_reports") else r for r in WORKER_INDICATORS
]
DEPARTMENT_INDICATORS: list[tuple[str, int, str, Any, Any, Any, Any, str]] = [
    ("response_rate", 20, "linear", 60, 100, None, None, "full"),
    ("on_time_rate", 30, "linear", 60, 100, None, None, "full"),
    ("resolution_rate", 20, "threshold", None, 90, None, None, "full"),
    ("satisfaction_rate", 20, "linear", 60, 95, None, None, "full"),
    ("reopen_rate", 10, "linear", 20, 0, None, None, "full"),
]
SETS = [
    ("网格考核", "grid", GRID_INDICATORS),
    ("网格员考核", "grid_worker", WORKER_INDICATORS),
    ("部门考核", "department", DEPARTMENT_INDICATORS),
]
MONTHS_BACK = 3


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def ensure_sets(street: Any) -> list[Any]:
    from zhili.analytics.assessment.models import Indicator, IndicatorSet

    sets = []
    for name, kind, rows in SETS:
        indicator_set, created = IndicatorSet.objects.get_or_create(
            node=street,
            name=name,
            defaults={"subject_kind": kind, "valid_from": dt.date(2026, 1, 1)},
        )
        if created:
            Indicator.objects.bulk_create(
                [
                    Indicator(
                        indicator_set=indicator_set,
                        code=code,
                        weight=Decimal(weight),
                        rule=rule,
                        floor=_dec(floor),
                        target=_dec(target),
                        points_per_item=_dec(per),
                        cap=_dec(cap),
                        no_data=no_data,
                        position=position,
                    )
                    for position, (code, weight, rule, floor, target, per, cap, no_data) in enumerate(rows)
                ]
            )
        sets.append(indicator_set)
    return sets


def months_to_show(today: dt.date) -> list[dt.date]:
    """The last complete months, oldest first, then the current month."""
    first = today.replace(day=1)
    months = [first]
    for _ in range(MONTHS_BACK):
        months.insert(0, (months[0] - dt.timedelta(days=1)).replace(day=1))
    return months


def load_for(street: Any, today: dt.date) -> None:
    from zhili.analytics.assessment import actions
    from zhili.analytics.assessment.models import AssessmentRun
    from zhili.analytics.assessment.states import RunState

    with transaction.atomic():
        sets = ensure_sets(street)
        months = months_to_show(today)
        for indicator_set in sets:
            for month in months:
                done = AssessmentRun.objects.filter(
                    indicator_set=indicator_set, month=month, state=RunState.PUBLISHED
                ).exists()
                if done:
                    continue
                run = actions.do_compute_run(indicator_set=indicator_set, month=month, actor=None)
                if month < months[-1]:
                    actions.do_publish_run(run, actor=None)


def load_demo(seed: int) -> None:
    """Safe to call twice: sets are found by name, published months are left alone, drafts recomputed."""
    from zhili.demo.plan import STREET_CODE
    from zhili.territory.models import Node

    street = Node.objects.filter(code=STREET_CODE).first()
    if street is None:
        return
    load_for(street, timezone.localdate())
