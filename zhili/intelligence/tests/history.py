"""Cases with a chosen history, written straight to the table (intake would stamp them 'now')."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.utils import timezone

from zhili.cases.models import Case, Channel
from zhili.cases.states import CaseStatus
from zhili.intelligence.spikes import day_type

_codes = itertools.count(1)


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def add_cases(rows: list[dict[str, Any]]) -> list[Case]:
    """Rows: node, created_at; optionally title, body, category, reporter, address, status, channel."""
    objs = []
    for row in rows:
        n = next(_codes)
        objs.append(
            Case(
                code=f"T{n:09d}",
                title=row.get("title", f"诉求 {n}"),
                body=row.get("body", "测试内容"),
                channel=row.get("channel", Channel.HOTLINE),
                status=row.get("status", CaseStatus.PENDING),
                node=row["node"],
                category=row.get("category"),
                reporter=row.get("reporter"),
                address=row.get("address", ""),
            )
        )
    made = Case.objects.bulk_create(objs)
    if made and made[0].pk is None:  # backends that do not return ids
        made = list(Case.objects.filter(code__in=[o.code for o in objs]).order_by("id"))
    for case, row in zip(made, rows, strict=True):
        case.created_at = row["created_at"]
    Case.objects.bulk_update(made, ["created_at"])
    return made


def poisson_history(
    series: dict[tuple[Any, Any], float], start: date, end: date, *, seed: int = 7
) -> dict[tuple[Any, Any], dict[date, int]]:
    """Per (category, node): working days at the rate, weekends at a third, holidays at a tenth."""
    rng = np.random.default_rng(seed)
    out: dict[tuple[Any, Any], dict[date, int]] = {}
    for key, rate in series.items():
        counts = {}
        d = start
        while d <= end:
            kind = day_type(d)
            lam = rate if kind == "work" else rate / 3 if kind == "weekend" else rate / 10
            counts[d] = int(rng.poisson(lam))
            d += timedelta(days=1)
        out[key] = counts
    return out


def write_history(history: dict[tuple[Any, Any], dict[date, int]]) -> list[Case]:
    rows = []
    for (category, node), counts in history.items():
        for day, n in counts.items():
            rows += [
                {"node": node, "category": category, "created_at": at(day, 8 + k % 10)} for k in range(n)
            ]
    return add_cases(rows)
