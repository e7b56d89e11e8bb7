"""Dispatch rules: category × area → department or grid.

Among the active rules whose category is the case's category or one of its parents (or any) and
whose area contains the case's node (or anywhere), the highest priority wins; ties go to the more
specific category, then to the smaller area.

A rule sends a case to a grid only when a grid worker holds a post there (the rulebook knows
where they do): otherwise nobody could sign for it, and the case waits for the dispatcher instead.

The rules come from the process's rulebook (``zhili.cases.rulebook``), so choosing one reads no
rows; only a rule that sends cases to a fixed grid loads that grid.
"""

from __future__ import annotations

from zhili.cases.models import Category, DispatchRule
from zhili.cases.rulebook import Rule, rulebook
from zhili.territory.models import Node


def match_rule(category: Category | None, node: Node, grid: Node | None) -> DispatchRule | None:
    book = rulebook()
    lineage = book.lineage_ids(category.pk) if category is not None else []
    category_rank = {pk: len(lineage) - i for i, pk in enumerate(lineage)}  # own category ranks highest
    # The areas that contain the node are its ancestors: their order on the path is their depth.
    area_depth = {pk: depth for depth, pk in enumerate(node.ancestors())}
    best: Rule | None = None
    best_key: tuple[int, int, int] | None = None
    for rule in book.rules:
        if rule.category_id is not None and rule.category_id not in category_rank:
            continue
        if rule.area_id is not None and rule.area_id not in area_depth:
            continue
        if rule.to_case_grid and grid is None:
            continue
        key = (
            rule.priority,
            category_rank[rule.category_id] if rule.category_id is not None else 0,
            area_depth[rule.area_id] if rule.area_id is not None else -1,
        )
        if best_key is None or key > best_key:
            best, best_key = rule, key
    if best is None:
        return None
    grid_path = grid.path if best.to_case_grid and grid is not None else best.grid_path
    if (best.to_case_grid or best.grid_id is not None) and not (grid_path and book.staffed(grid_path)):
        return None  # no grid worker could sign for it: the dispatcher decides
    chosen = DispatchRule(
        pk=best.pk,
        category_id=best.category_id,
        area_id=best.area_id,
        department_id=best.department_id,
        grid_id=best.grid_id,
        to_case_grid=best.to_case_grid,
        priority=best.priority,
        active=True,
    )
    chosen._state.adding = False
    if best.department_id is not None:
        department = book.department(best.department_id)
        if department is not None:
            chosen.department = department
    return chosen
