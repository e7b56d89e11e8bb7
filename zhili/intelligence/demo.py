"""Demo warnings and hotspots, called by the demo loader (zhili.demo.extras) after the demo cases.

It runs what the periodic scan runs, over the last 30 days, on whatever cases exist. When that
finds no unusual rise (or no repeated reports), it files a small cluster that says it is a demo
example in its text — ten reports of one construction site's night noise in the busiest community
today, and three reports from one address — and scans again, so that the pages have something to
show. Safe to call twice: the examples are filed once, and a warning is never raised twice.
"""

from __future__ import annotations

import random
from typing import Any

from django.db.models import Count
from django.utils import timezone

# The planted cases carry this reference (not a mark in their text, which hotspots would read).
DEMO_REF = "zhili-demo-warning-sample"
SPIKE_TEXTS = [
    ("明珠花园旁工地夜间施工噪音扰民", "明珠花园旁边的工地晚上十一点还在打桩，噪音太大，孩子没法睡觉。"),
    ("明珠花园工地半夜施工", "明珠花园东侧工地连续几天夜间施工，噪音扰民，请尽快制止。"),
    ("投诉明珠花园旁工地夜间打桩", "工地夜间打桩施工，噪音严重影响明珠花园居民休息。"),
]
REPEAT_TEXTS = [
    ("楼上漏水又一次渗到我家", "楼上卫生间漏水，协调多次未果，天花板又湿了。"),
    ("楼上漏水问题仍未解决", "上次反映的楼上漏水问题没有解决，邻居不配合维修。"),
    ("邻居漏水纠纷请社区调解", "楼上漏水已经三次了，双方吵了几次，请社区出面调解。"),
]
REPEAT_ADDRESS = "丰泽园 3 号楼 2 单元 502"


def _category(prefer: tuple[str, ...]) -> Any:
    from zhili.cases.models import Category

    active = Category.objects.filter(active=True)
    for code in prefer:
        found = active.filter(code=code).first() or active.filter(name__contains=code).first()
        if found is not None:
            return found
    return active.order_by("-level", "code").first()


def _busiest_grid() -> Any:
    from zhili.cases.models import Case
    from zhili.territory.models import Node, NodeKind

    busiest = (
        Case.objects.filter(grid__isnull=False).values("grid").annotate(n=Count("id")).order_by("-n").first()
    )
    if busiest is not None:
        return Node.objects.get(pk=busiest["grid"])
    return Node.objects.filter(kind=NodeKind.GRID).order_by("sort_key").first()


def _file(rows: list[tuple[str, str]], *, grid: Any, category: Any, address: str = "") -> None:
    from zhili.cases.actions import SYSTEM_ACTOR, do_submit_case
    from zhili.cases.models import Channel

    for title, body in rows:
        do_submit_case(
            actor=SYSTEM_ACTOR,
            channel=Channel.WEBHOOK,
            title=title,
            body=body,
            external_ref=DEMO_REF,
            node=grid,
            category=category,
            address=address,
        )


def load_demo(seed: int) -> None:
    """Safe to call twice."""
    from zhili.cases.models import Case
    from zhili.intelligence.actions import do_refresh_hotspots, do_scan_warnings
    from zhili.intelligence.models import EarlyWarning
    from zhili.intelligence.states import WarningKind

    now = timezone.now()
    do_scan_warnings(now=now, days=30)
    grid = _busiest_grid()
    if grid is not None and not Case.objects.filter(external_ref=DEMO_REF).exists():
        rng = random.Random(seed)
        if not EarlyWarning.objects.filter(kind=WarningKind.SPIKE).exists():
            rows = [rng.choice(SPIKE_TEXTS) for _ in range(10)]
            _file(rows, grid=grid, category=_category(("HB-ZS-SG", "噪音")))
        if not EarlyWarning.objects.filter(kind=WarningKind.REPEATED).exists():
            _file(REPEAT_TEXTS, grid=grid, category=_category(("ZA-MD-LL", "纠纷")), address=REPEAT_ADDRESS)
        do_scan_warnings(now=timezone.now(), days=1)
    do_refresh_hotspots(now=timezone.now())


def load_demo_classifier(seed: int) -> None:
    """A first classifier version trained on the demo's confirmed cases, so that intake and the
    classifier page show a model rather than the cold-start keyword rules. Safe to call twice."""
    from zhili.intelligence.actions import do_retrain_classifier
    from zhili.intelligence.models import ClassifierModel

    if not ClassifierModel.objects.exists():
        do_retrain_classifier(folds=3)
