"""Tiles as tables: the same columns for the page's table view and the .xlsx export."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from zhili.analytics.tiles import Period


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    kind: str = "int"  # int | rate | text


RATES = (
    Column("response_rate", _("Response rate"), "rate"),
    Column("on_time_rate", _("On-time rate"), "rate"),
    Column("resolution_rate", _("Resolution rate"), "rate"),
    Column("satisfaction_rate", _("Satisfaction rate"), "rate"),
)
TITLES: dict[str, Any] = {
    "kpis": _("Key figures"),
    "trend": _("Cases by day"),
    "categories": _("Categories"),
    "grids": _("Grids"),
    "departments": _("Departments"),
    "satisfaction": _("Satisfaction by day"),
}
COLUMNS: dict[str, tuple[Column, ...]] = {
    "kpis": (Column("label", _("Measure"), "text"), Column("value", _("Value"), "auto")),
    "trend": (
        Column("day", _("Day"), "text"),
        Column("received", _("Received")),
        Column("closed", pgettext_lazy("case count", "Closed")),
    ),
    "categories": (
        Column("name", _("Category"), "text"),
        Column("received", _("Received")),
        Column("open", pgettext_lazy("case count", "Open")),
        Column("overdue", _("Overdue")),
        Column("closed", pgettext_lazy("case count", "Closed")),
        Column("satisfaction_rate", _("Satisfaction rate"), "rate"),
    ),
    "grids": (
        Column("name", _("Grid"), "text"),
        Column("community", _("Community"), "text"),
        Column("received", _("Received")),
        Column("open", pgettext_lazy("case count", "Open")),
        Column("overdue", _("Overdue")),
        Column("overdue_rate", _("Overdue rate"), "rate"),
        *RATES,
    ),
    "departments": (
        Column("name", pgettext_lazy("organisation unit", "Department"), "text"),
        Column("received", _("Received")),
        Column("overdue", _("Overdue")),
        *RATES,
    ),
    "satisfaction": (
        Column("day", _("Day"), "text"),
        Column("rated", _("Rated")),
        Column("satisfied", _("Satisfied")),
        Column("satisfaction_rate", _("Satisfaction rate"), "rate"),
    ),
}
KPI_ROWS: tuple[tuple[str, Any, str], ...] = (
    ("received", _("Received"), "int"),
    ("closed", pgettext_lazy("case count", "Closed"), "int"),
    ("open", _("Still open"), "int"),
    ("overdue", _("Overdue"), "int"),
    ("response_rate", _("Response rate"), "rate"),
    ("on_time_rate", _("On-time rate"), "rate"),
    ("resolution_rate", _("Resolution rate"), "rate"),
    ("satisfaction_rate", _("Satisfaction rate"), "rate"),
)


def rows_of(name: str, data: Any) -> list[dict[str, Any]]:
    """The tile's rows (the KPIs become one row per measure)."""
    if name == "kpis":
        return [
            {"key": key, "label": label, "value": data[key], "kind": kind} for key, label, kind in KPI_ROWS
        ]
    return list(data)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _cell(column: Column, row: dict[str, Any]) -> Any:
    value = row.get(column.key)
    kind = row.get("kind", "int") if column.kind == "auto" else column.kind
    if kind == "rate":
        return percent(value)
    return "" if value is None else value


@dataclass
class Table:
    name: str
    title: Any
    headers: list[Any]
    rows: list[list[Any]]
    links: list[str | None]

    @property
    def lines(self) -> list[tuple[list[Any], str | None]]:
        return list(zip(self.rows, self.links, strict=True))


def table(name: str, data: Any, link: Callable[[dict[str, Any]], str | None] | None = None) -> Table:
    columns = COLUMNS[name]
    rows = rows_of(name, data)
    return Table(
        name=name,
        title=TITLES[name],
        headers=[c.label for c in columns],
        rows=[[_cell(c, row) for c in columns] for row in rows],
        links=[link(row) if link else None for row in rows],
    )


def xlsx(name: str, data: Any, *, node_name: str, period: Period) -> bytes:
    """The tile's table as a workbook: rates as numbers formatted as percentages."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = str(TITLES[name])[:31]
    sheet.append([f"{node_name} · {TITLES[name]}", f"{period.start.isoformat()} – {period.end.isoformat()}"])
    sheet.append([str(c.label) for c in COLUMNS[name]])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows_of(name, data):
        values = []
        for column in COLUMNS[name]:
            value = row.get(column.key)
            values.append(str(value) if column.kind == "text" and value is not None else value)
        sheet.append(values)
        for column_index, column in enumerate(COLUMNS[name], start=1):
            kind = row.get("kind", "int") if column.kind == "auto" else column.kind
            if kind == "rate":
                sheet.cell(row=sheet.max_row, column=column_index).number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
