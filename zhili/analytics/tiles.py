"""The cockpit's tiles for a node and a period, from the rollups or (``raw=True``) from the case table.

The two paths give the same figures (``tests/test_rollups.py`` holds them equal after random action
sequences); the raw one is the benchmark's baseline and the reference of the tests. Every tile is a
list of rows or a dict of plain numbers, ready for JSON, a chart, a table and a workbook.

A tile read alone folds the journal first; ``board`` reads every tile of a page after one fold
(``rollups.folded``), and the days once for the trend and the satisfaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from zhili.accounts.models import Department
from zhili.analytics.models import (
    COUNTERS,
    NodeCategoryDay,
    NodeCategoryMonth,
    NodeDay,
    NodeDepartmentDay,
    NodeDepartmentMonth,
    NodeMonth,
)
from zhili.analytics.rollups import (
    BEIJING,
    DONE_STATUSES,
    NOT_TAKEN,
    PLEASED,
    day_start,
    fold_before_reading,
    folded,
)
from zhili.cases.models import Case, Category, Evaluation, SlaState
from zhili.cases.states import OPEN_STATUSES
from zhili.territory.models import Node, NodeKind

MONTH_MODELS: dict[Any, Any] = {
    NodeDay: NodeMonth,
    NodeCategoryDay: NodeCategoryMonth,
    NodeDepartmentDay: NodeDepartmentMonth,
}

TILES = ("kpis", "trend", "categories", "grids", "departments", "satisfaction")


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end`` inclusive, Beijing time."""

    start: date
    end: date

    @classmethod
    def last(cls, days: int, today: date) -> Period:
        return cls(today - timedelta(days=days - 1), today)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def with_rates(row: dict[str, Any]) -> dict[str, Any]:
    """The 三率 (and the overdue rate) of a row of counters."""
    row["response_rate"] = rate(row["signed_on_time"], row["signed"])
    row["on_time_rate"] = rate(row["resolved_on_time"], row["resolved"])
    row["resolution_rate"] = rate(row["finished"], row["taken"])
    row["satisfaction_rate"] = rate(row["satisfied"], row["rated"])
    row["overdue_rate"] = rate(row["overdue"], row["received"])
    return row


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


# From the rollups --------------------------------------------------------------------------------

_SUMS = {name: Sum(name) for name in COUNTERS}


def _sums(values: dict[str, Any]) -> dict[str, int]:
    return {name: int(values.get(name) or 0) for name in COUNTERS}


def _rollup_days(model: Any, node_ids: list[int] | int, period: Period) -> QuerySet[Any]:
    fold_before_reading()  # the actions' changes not yet in the rows
    rows = model.objects.filter(day__gte=period.start, day__lte=period.end)
    if isinstance(node_ids, int):
        return rows.filter(node_id=node_ids)
    return rows.filter(node_id__in=node_ids)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def whole_months(period: Period) -> tuple[date, date] | None:
    """The first day of the first and of the last calendar month wholly inside the period, if any."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    after = period.end + timedelta(days=1)
    last = (
        period.end.replace(day=1)
        if after.day == 1
        else (period.end.replace(day=1) - timedelta(days=1)).replace(day=1)
    )
    return (first, last) if first <= last else None


def _rollup_sums(
    day_model: Any, node_ids: list[int] | int, period: Period, key: str | None
) -> dict[Any, dict[str, int]]:
    """Counters summed over the period (per value of ``key`` when given), in one query.

    Whole calendar months come from the month rows, the days at either edge from the day rows,
    each part an index range ``(node, day)``.
    """
    ranges: list[tuple[Any, date, date]] = []
    months = whole_months(period)
    if months is None:
        ranges.append((day_model, period.start, period.end))
    else:
        first, last = months
        after = _next_month(last)
        ranges.append((MONTH_MODELS[day_model], first, last))
        if period.start < first:
            ranges.append((day_model, period.start, first - timedelta(days=1)))
        if after <= period.end:
            ranges.append((day_model, after, period.end))
    ids = [node_ids] if isinstance(node_ids, int) else list(node_ids)
    out: dict[Any, dict[str, int]] = {}
    if not ids:
        return out if key else {None: _zero()}
    fold_before_reading()  # the actions' changes not yet in the rows
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in COUNTERS)
    select_key = f"{qn(key)}, " if key else ""
    node_match = "node_id = %s" if len(ids) == 1 else f"node_id IN ({', '.join(['%s'] * len(ids))})"
    parts, params = [], []
    for model, start, end in ranges:
        parts.append(
            f"SELECT {select_key}{names} FROM {qn(model._meta.db_table)}"
            f" WHERE {node_match} AND day >= %s AND day <= %s"
        )
        params.extend(
            [*ids, connection.ops.adapt_datefield_value(start), connection.ops.adapt_datefield_value(end)]
        )
    sums = ", ".join(f"SUM({qn(c)})" for c in COUNTERS)
    sql = f"SELECT {select_key}{sums} FROM ({' UNION ALL '.join(parts)}) u"
    if key:
        sql += f" GROUP BY {qn(key)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            values = row[1:] if key else row
            out[row[0] if key else None] = {
                name: int(value or 0) for name, value in zip(COUNTERS, values, strict=True)
            }
    return out


# From the case table -----------------------------------------------------------------------------


def _cases_under(node: Node) -> QuerySet[Case]:
    return Case.objects.filter(node__path__startswith=node.path)


def _filed(cases: QuerySet[Case], period: Period) -> QuerySet[Case]:
    return cases.filter(
        created_at__gte=day_start(period.start), created_at__lt=day_start(period.end + timedelta(days=1))
    )


def _closed(cases: QuerySet[Case], period: Period) -> QuerySet[Case]:
    return cases.filter(
        closed_at__gte=day_start(period.start), closed_at__lt=day_start(period.end + timedelta(days=1))
    )


def _raw_counts() -> dict[str, Any]:
    is_open = Q(status__in=sorted(OPEN_STATUSES))
    return {
        "received": Count("id"),
        "open": Count("id", filter=is_open),
        "overdue": Count("id", filter=is_open & Q(sla_state=SlaState.RED)),
        "taken": Count("id", filter=~Q(status__in=sorted(NOT_TAKEN))),
        "finished": Count("id", filter=Q(status__in=sorted(DONE_STATUSES))),
        "signed": Count("id", filter=Q(signed_at__isnull=False, accept_due_at__isnull=False)),
        "signed_on_time": Count("id", filter=Q(signed_at__lte=F("accept_due_at"))),
        "resolved": Count("id", filter=Q(resolved_at__isnull=False, finish_due_at__isnull=False)),
        "resolved_on_time": Count("id", filter=Q(resolved_at__lte=F("finish_due_at"))),
        "rated": Count("id", filter=Q(last_rating__isnull=False)),
        "satisfied": Count("id", filter=Q(last_rating__in=sorted(PLEASED))),
    }


def _with_rating(cases: QuerySet[Case]) -> QuerySet[Case]:
    latest = Evaluation.objects.filter(case=OuterRef("pk")).order_by("-id").values("rating")[:1]
    return cases.annotate(last_rating=Subquery(latest))


def _raw_grouped(cases: QuerySet[Case], period: Period, field: str) -> dict[Any, dict[str, int]]:
    """Counters per value of ``field`` (a case field, or ``day``) for the cases of the period."""
    filed = _with_rating(_filed(cases, period))
    closed = _closed(cases, period)
    if field == "day":
        filed = filed.annotate(day=TruncDate("created_at", tzinfo=BEIJING))
        closed = closed.annotate(day=TruncDate("closed_at", tzinfo=BEIJING))
    out: dict[Any, dict[str, int]] = {}
    for row in filed.order_by().values(field).annotate(**_raw_counts()):
        out[row[field] or 0 if field != "day" else row[field]] = _sums(row)
    for row in closed.order_by().values(field).annotate(n=Count("id")):
        key = row[field] or 0 if field != "day" else row[field]
        out.setdefault(key, _zero())["closed"] = row["n"]
    return out


def _raw_total(cases: QuerySet[Case], period: Period) -> dict[str, int]:
    totals = _sums(_with_rating(_filed(cases, period)).aggregate(**_raw_counts()))
    totals["closed"] = _closed(cases, period).count()
    return totals


# The tiles ---------------------------------------------------------------------------------------


def kpis(node: Node, period: Period, *, raw: bool = False) -> dict[str, Any]:
    """Received, closed, still open, overdue, and the 三率 of the period's cases."""
    if raw:
        totals = _raw_total(_cases_under(node), period)
    else:
        totals = _rollup_sums(NodeDay, node.pk, period, None)[None]
    return with_rates(totals)


Days = dict[date, dict[str, int]]


def _by_day(node: Node, period: Period, raw: bool) -> Days:
    if raw:
        return _raw_grouped(_cases_under(node), period, "day")
    rows = _rollup_days(NodeDay, node.pk, period).values("day", *COUNTERS)
    return {row["day"]: _sums(row) for row in rows}


def trend(node: Node, period: Period, *, raw: bool = False, days: Days | None = None) -> list[dict[str, Any]]:
    """Per day: cases received and closed (``days``: the node's days of the period, already read)."""
    found = _by_day(node, period, raw) if days is None else days
    return [
        {
            "day": day.isoformat(),
            "received": found.get(day, {}).get("received", 0),
            "closed": found.get(day, {}).get("closed", 0),
        }
        for day in period.dates()
    ]


def satisfaction(
    node: Node, period: Period, *, raw: bool = False, days: Days | None = None
) -> list[dict[str, Any]]:
    """Per day of filing: rated cases, satisfied among them, and the rate."""
    found = _by_day(node, period, raw) if days is None else days
    rows = []
    for day in period.dates():
        counts = found.get(day, _zero())
        rows.append(
            {
                "day": day.isoformat(),
                "rated": counts["rated"],
                "satisfied": counts["satisfied"],
                "satisfaction_rate": rate(counts["satisfied"], counts["rated"]),
            }
        )
    return rows


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    parent_id: int | None
    level: int
    name: str
    code: str


def category_tree() -> dict[int, CategoryInfo]:
    return {
        pk: CategoryInfo(pk, parent_id, level, name, code)
        for pk, parent_id, level, name, code in Category.objects.values_list(
            "id", "parent_id", "level", "name", "code"
        )
    }


def categories(
    node: Node,
    period: Period,
    *,
    parent: int | None = None,
    raw: bool = False,
    tree: dict[int, CategoryInfo] | None = None,
) -> list[dict[str, Any]]:
    """Cases of the period per category one level below ``parent`` (the top level when None).

    Cases filed under ``parent`` itself, without a finer category, form a row of their own (id None);
    at the top level that row holds the cases without any category. ``tree``: ``category_tree()``,
    when the caller has read it already.
    """
    if raw:
        counted = _raw_grouped(_cases_under(node), period, "category_id")
    else:
        counted = _rollup_sums(NodeCategoryDay, node.pk, period, "category_id")
    if tree is None:
        tree = category_tree()
    level = tree[parent].level + 1 if parent is not None and parent in tree else 1
    totals: dict[int | None, dict[str, int]] = {}
    for category_id, counts in counted.items():
        chain: list[CategoryInfo] = []
        info = tree.get(category_id)
        while info is not None:
            chain.append(info)
            info = tree.get(info.parent_id) if info.parent_id else None
        chain.reverse()  # top level first
        if parent is None:
            key: int | None = chain[0].id if chain else None
        else:
            ids = [c.id for c in chain]
            if parent not in ids:
                continue
            below = ids.index(parent) + 1
            key = ids[below] if below < len(ids) else None
        bucket = totals.setdefault(key, _zero())
        for name in COUNTERS:
            bucket[name] += counts[name]
    out = []
    has_children = {info.parent_id for info in tree.values() if info.parent_id}
    for key, counts in totals.items():
        info = tree.get(key) if key is not None else None
        if not counts["received"] and not counts["closed"]:
            continue
        out.append(
            with_rates(
                {
                    "id": key,
                    "name": info.name
                    if info
                    else (_("Not classified") if parent is None else _("No finer category")),
                    "code": info.code if info else "",
                    "level": level,
                    "drill": bool(info and key in has_children and level < 3),
                    **counts,
                }
            )
        )
    out.sort(key=lambda row: (-row["received"], row["code"]))
    return out


def grids_under(node: Node) -> list[Node]:
    if node.kind == NodeKind.GRID:
        return [node]
    return list(
        Node.objects.filter(path__startswith=node.path, kind=NodeKind.GRID)
        .select_related("parent")
        .order_by("sort_key")
    )


def grids(node: Node, period: Period, *, raw: bool = False) -> list[dict[str, Any]]:
    """Every grid under the node with its volume, overdue rate and 三率 (the map and its table)."""
    if node.kind == NodeKind.GRID:
        grid_list = [(node.pk, node.name, node.parent.name if node.parent else None)]
    else:
        grid_list = list(
            Node.objects.filter(path__startswith=node.path, kind=NodeKind.GRID)
            .order_by("sort_key")
            .values_list("id", "name", "parent__name")
        )
    ids = [pk for pk, _name, _parent in grid_list]
    if raw:
        located = Case.objects.filter(node_id__in=ids)
        counted = _raw_grouped(located, period, "node_id")
    else:
        counted = _rollup_sums(NodeDay, ids, period, "node_id")
    return [
        with_rates({"id": pk, "name": name, "community": parent or "", **counted.get(pk, _zero())})
        for pk, name, parent in grid_list
    ]


def departments(node: Node, period: Period, *, raw: bool = False) -> list[dict[str, Any]]:
    """The 三率 per handling department of the period's cases (cases with a grid or none: one row)."""
    if raw:
        counted = _raw_grouped(_cases_under(node), period, "department_id")
    else:
        counted = _rollup_sums(NodeDepartmentDay, node.pk, period, "department_id")
    names = dict(Department.objects.filter(pk__in=[k for k in counted if k]).values_list("id", "name"))
    out = []
    for key, counts in counted.items():
        if not counts["received"] and not counts["closed"]:
            continue
        name = names.get(key) or _("Grids or not yet dispatched")
        out.append(with_rates({"id": key or None, "name": name, **counts}))
    out.sort(key=lambda row: (-row["received"], row["name"]))
    return out


TILE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "kpis": kpis,
    "trend": trend,
    "categories": categories,
    "grids": grids,
    "departments": departments,
    "satisfaction": satisfaction,
}


def tile(name: str, node: Node, period: Period, *, raw: bool = False, **options: Any) -> Any:
    return TILE_FUNCTIONS[name](node, period, raw=raw, **options)


def board(
    node: Node, period: Period, *, parent: int | None = None, tree: dict[int, CategoryInfo] | None = None
) -> dict[str, Any]:
    """Every tile of the node and the period (the categories one level below ``parent``) after one
    fold: the same figures as each tile read alone, without a journal check per tile and with the
    days read once for both the trend and the satisfaction."""
    with folded():
        days = _by_day(node, period, raw=False)
        return {
            "kpis": kpis(node, period),
            "trend": trend(node, period, days=days),
            "categories": categories(node, period, parent=parent, tree=tree),
            "grids": grids(node, period),
            "departments": departments(node, period),
            "satisfaction": satisfaction(node, period, days=days),
        }
