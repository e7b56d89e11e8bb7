"""The leader cockpit (驾驶舱), its category drill-down, the .xlsx exports and the big screen (大屏)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from zhili.analytics import present, scope, tiles
from zhili.analytics.scope import PeriodChoice
from zhili.core.errors import DomainError
from zhili.core.http import page_errors
from zhili.territory.models import GridBoundary, Node, NodeKind


def _query(node: Node, choice: PeriodChoice, **extra: Any) -> str:
    params: dict[str, Any] = {"node": node.pk, "period": choice.key}
    if choice.key == "custom":
        params.update(start=choice.period.start.isoformat(), end=choice.period.end.isoformat())
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(params)


def _parent(request: HttpRequest) -> int | None:
    value = request.GET.get("cat", "")
    return int(value) if value.isdigit() else None


def _choice(request: HttpRequest) -> PeriodChoice:
    try:
        return scope.parse_period(request.GET)
    except DomainError:
        # A hand-edited URL with bad dates: the default period rather than an error page.
        return scope.parse_period({})


def _category_parent(request: HttpRequest, tree: dict[int, tiles.CategoryInfo]) -> int | None:
    parent = _parent(request)
    return parent if parent in tree else None


def _category_context(
    request: HttpRequest,
    node: Node,
    choice: PeriodChoice,
    *,
    tree: dict[int, tiles.CategoryInfo] | None = None,
    rows: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The category tile; ``tree`` and ``rows`` when the cockpit has read them with the other tiles."""
    if tree is None:
        tree = tiles.category_tree()
    parent = _category_parent(request, tree)
    if rows is None:
        rows = tiles.categories(node, choice.period, parent=parent, tree=tree)
    base = reverse("analytics:categories")
    for row in rows:
        row["drill_url"] = f"{base}?{_query(node, choice, cat=row['id'])}" if row["drill"] else ""
    trail = []
    info = tree.get(parent) if parent is not None else None
    while info is not None:
        trail.append({"name": info.name, "url": f"{base}?{_query(node, choice, cat=info.id)}"})
        info = tree.get(info.parent_id) if info.parent_id else None
    trail.reverse()
    return {
        "category_rows": rows,
        # Drilling from the table keeps the table open on the next level.
        "category_table": present.table(
            "categories",
            rows,
            lambda row: (row["drill_url"] + "&view=table") if row.get("drill_url") else None,
        ),
        "show_table": request.GET.get("view") == "table",
        "category_trail": trail,
        "category_top_url": f"{base}?{_query(node, choice)}",
        "category_parent": parent,
        "category_export": reverse("analytics:export", args=["categories"])
        + "?"
        + _query(node, choice, cat=parent),
    }


def _map_features(node: Node, grid_rows: list[dict[str, Any]], choice: PeriodChoice) -> dict[str, Any]:
    boundaries = {
        b.grid_id: b.geometry
        for b in GridBoundary.objects.filter(is_current=True, grid_id__in=[r["id"] for r in grid_rows])
    }
    cockpit = reverse("analytics:cockpit")
    features = []
    for row in grid_rows:
        geometry = boundaries.get(row["id"])
        if geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": row["id"],
                "properties": {
                    "id": row["id"],
                    "name": row["name"],
                    "received": row["received"],
                    "overdue": row["overdue"],
                    "overdue_rate": row["overdue_rate"],
                    "url": f"{cockpit}?{_query_for_id(row['id'], choice)}",
                },
                "geometry": geometry,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _query_for_id(node_id: int, choice: PeriodChoice) -> str:
    params: dict[str, Any] = {"node": node_id, "period": choice.key}
    if choice.key == "custom":
        params.update(start=choice.period.start.isoformat(), end=choice.period.end.isoformat())
    return urlencode(params)


def _indented(nodes: list[Node]) -> list[tuple[Node, str]]:
    """The area choices with their indent, counted from the top of the user's area (not the tree's)."""
    top = min((n.depth for n in nodes), default=0)
    return [(n, "· " * (n.depth - top)) for n in nodes]


def cockpit_context(request: HttpRequest, *, navigation: bool = True) -> dict[str, Any]:
    """The cockpit's figures; ``navigation``: also the area choices and the breadcrumbs (the big
    screen shows neither)."""
    from zhili.analytics.governance import governance
    from zhili.emergency.selectors import active_emergency
    from zhili.intelligence.selectors import open_warnings, top_hotspots

    node = scope.cockpit_node(request.user, request.GET.get("node"))
    choice = _choice(request)
    period = choice.period
    tree = tiles.category_tree()
    board = tiles.board(node, period, parent=_category_parent(request, tree), tree=tree)
    kpis = board["kpis"]
    trend = board["trend"]
    grid_rows = board["grids"]
    department_rows = board["departments"]
    satisfaction = board["satisfaction"]
    cockpit = reverse("analytics:cockpit")

    def grid_link(row: dict[str, Any]) -> str | None:
        return None if row["id"] == node.pk else f"{cockpit}?{_query_for_id(row['id'], choice)}"

    query = _query(node, choice)
    exports = {
        name: reverse("analytics:export", args=[name]) + "?" + query
        for name in ("kpis", "trend", "grids", "departments", "satisfaction")
    }
    return {
        "node": node,
        "choice": choice,
        "period": period,
        "periods": scope.PERIODS,
        "node_choices": _indented(scope.node_choices(request.user)) if navigation else [],
        "breadcrumbs": scope.breadcrumbs(request.user, node) if navigation else [],
        "is_grid": node.kind == NodeKind.GRID,
        "query": query,
        "kpis": kpis,
        "tables": {
            "kpis": present.table("kpis", kpis),
            "trend": present.table("trend", trend),
            "grids": present.table("grids", grid_rows, grid_link),
            "departments": present.table("departments", department_rows),
            "satisfaction": present.table("satisfaction", satisfaction),
        },
        "exports": exports,
        "charts": {
            "trend": trend,
            "grids": grid_rows,
            "departments": department_rows,
            "satisfaction": satisfaction,
            "labels": {
                "received": _("Received"),
                "closed": pgettext("case count", "Closed"),
                "overdue_rate": _("Overdue rate"),
                "response_rate": _("Response rate"),
                "on_time_rate": _("On-time rate"),
                "resolution_rate": _("Resolution rate"),
                "satisfaction_rate": _("Satisfaction rate"),
                "volume": _("Volume"),
                "no_data": _("No cases in this period."),
                "no_ratings": _("No case of this period has been rated yet."),
            },
        },
        "map": _map_features(node, grid_rows, choice),
        "emergency": active_emergency(node),
        "hotspots": top_hotspots(request.user, node, 5),
        "warnings": open_warnings(request.user, node, 5),
        "governance": governance(request.user, node),
        **_category_context(request, node, choice, tree=tree, rows=board["categories"]),
    }


@login_required
@page_errors
def cockpit(request: HttpRequest) -> HttpResponse:
    return render(request, "analytics/cockpit.html", cockpit_context(request))


@login_required
@page_errors
def categories(request: HttpRequest) -> HttpResponse:
    """The category tile one level down (htmx swaps it in place; a plain request gets the cockpit)."""
    if not request.headers.get("HX-Request"):
        return cockpit(request)
    node = scope.cockpit_node(request.user, request.GET.get("node"))
    choice = _choice(request)
    context = {"node": node, "choice": choice, **_category_context(request, node, choice)}
    return render(request, "analytics/_categories.html", context)


@login_required
@page_errors
def export(request: HttpRequest, name: str) -> HttpResponse:
    if name not in tiles.TILES:
        raise Http404()
    node = scope.cockpit_node(request.user, request.GET.get("node"))
    choice = _choice(request)
    options: dict[str, Any] = {}
    if name == "categories":
        options["parent"] = _parent(request)
    data = tiles.tile(name, node, choice.period, **options)
    content = present.xlsx(name, data, node_name=node.name, period=choice.period)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"{name}-{node.code}-{choice.period.start.isoformat()}-{choice.period.end.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@page_errors
def screen(request: HttpRequest) -> HttpResponse:
    """The command centre's big screen: dark, 1920×1080, refreshes itself every minute (htmx)."""
    context = cockpit_context(request, navigation=False)
    context["refresh_url"] = reverse("analytics:screen") + "?" + context["query"]
    context["top_grids"] = [
        {**row, "satisfaction": present.percent(row["satisfaction_rate"])}
        for row in sorted(context["charts"]["grids"], key=lambda r: -r["received"])[:10]
    ]
    return render(request, "analytics/screen.html", context)
