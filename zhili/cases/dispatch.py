"""Dispatch rules: category × area → department or grid.

Among the active rules whose category is the case's category or one of its parents (or any) and
whose area contains the case's node (or anywhere), the highest priority wins; ties go to the more
specific category, then to the smaller area.
"""

from __future__ import annotations

from django.db.models import Q

from zhili.cases.models import Category, DispatchRule
from zhili.territory.models import Node


def match_rule(category: Category | None, node: Node, grid: Node | None) -> DispatchRule | None:
    lineage = category.lineage() if category else []
    category_rank = {c.pk: len(lineage) - i for i, c in enumerate(lineage)}  # own category ranks highest
    area_ids = node.ancestors()
    rules = (
        DispatchRule.objects.filter(active=True)
        .filter(Q(category_id__in=list(category_rank)) | Q(category__isnull=True))
        .filter(Q(area_id__in=area_ids) | Q(area__isnull=True))
        .select_related("department", "grid", "area")
    )
    best: DispatchRule | None = None
    best_key: tuple[int, int, int] | None = None
    for rule in rules:
        if rule.to_case_grid and grid is None:
            continue
        key = (
            rule.priority,
            category_rank.get(rule.category_id, 0) if rule.category_id else 0,
            rule.area.depth if rule.area_id and rule.area else -1,
        )
        if best_key is None or key > best_key:
            best, best_key = rule, key
    return best
