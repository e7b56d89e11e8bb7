"""REST endpoints of analytics, mounted under /api/v1/analytics/: the cockpit's tiles as JSON."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from zhili.analytics import scope, tiles
from zhili.core.errors import NotFound

router = Router(tags=["analytics"])


def _envelope(
    name: str, request: HttpRequest, data: Any, node: Any, choice: scope.PeriodChoice
) -> dict[str, Any]:
    return {
        "tile": name,
        "node": {"id": node.pk, "name": node.name, "kind": node.kind},
        "period": {"key": choice.key, "start": choice.period.start, "end": choice.period.end},
        "data": data,
    }


@router.get("/tiles/{name}", summary="One cockpit tile for a node and a period")
def tile(
    request: HttpRequest,
    name: str,
    node: int | None = None,
    period: str = scope.DEFAULT_PERIOD,
    start: str = "",
    end: str = "",
    parent: int | None = None,
) -> dict[str, Any]:
    """``name``: kpis, trend, categories (``parent``: a category id to drill into), grids,
    departments, satisfaction. ``period``: 7, 30, 90, 365 (days up to today) or custom with
    ``start`` and ``end`` (YYYY-MM-DD). ``node`` defaults to the top of the user's area."""
    if name not in tiles.TILES:
        raise NotFound()
    target = scope.cockpit_node(request.user, node)
    choice = scope.parse_period({"period": period, "start": start, "end": end})
    options: dict[str, Any] = {"parent": parent} if name == "categories" else {}
    return _envelope(name, request, tiles.tile(name, target, choice.period, **options), target, choice)


@router.get("/cockpit", summary="Every cockpit tile for a node and a period")
def cockpit(
    request: HttpRequest,
    node: int | None = None,
    period: str = scope.DEFAULT_PERIOD,
    start: str = "",
    end: str = "",
) -> dict[str, Any]:
    target = scope.cockpit_node(request.user, node)
    choice = scope.parse_period({"period": period, "start": start, "end": end})
    data = tiles.board(target, choice.period)
    return _envelope("cockpit", request, data, target, choice)
