"""The workbench's filtered list as an .xlsx workbook: no personal data.

Titles are left out (residents write names, numbers and addresses into them), and so are the
description, the address, the point and the contact details. What is left counts and places cases.
"""

from __future__ import annotations

import io
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from zhili.cases.models import Case

EXPORT_LIMIT = 50_000


def _text(sheet: Any, value: Any) -> WriteOnlyCell:
    # Always a plain string: text starting with "=" must never become a formula.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value or "")))
    cell.data_type = "s"
    return cell


def _local(value: Any) -> Any:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def cases_workbook(cases: QuerySet[Case]) -> tuple[bytes, int]:
    """(file content, number of rows)."""
    from zhili.cases.selectors import sla_light

    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet(_("Cases"))
    sheet.append(
        [
            _("Tracking code"),
            _("Status"),
            _("Category"),
            _("Territory"),
            _("Grid"),
            _("Handled by"),
            _("Channel"),
            _("Urgency"),
            _("Time limit"),
            _("Submitted at"),
            _("Finish by"),
            _("Closed at"),
        ]
    )
    now = timezone.now()
    count = 0
    for case in cases[:EXPORT_LIMIT].iterator(chunk_size=2000):
        count += 1
        light = sla_light(case, now)
        handler = case.department or case.assigned_grid
        sheet.append(
            [
                _text(sheet, case.code),
                _text(sheet, case.get_status_display()),
                _text(sheet, case.category.name if case.category else ""),
                _text(sheet, case.node.name),
                _text(sheet, case.grid.name if case.grid else ""),
                _text(sheet, handler.name if handler else ""),
                _text(sheet, case.get_channel_display()),
                _text(sheet, case.get_urgency_display()),
                _text(sheet, dict(_light_labels()).get(light, "")),
                _local(case.created_at),
                _local(case.finish_due_at),
                _local(case.closed_at),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


def _light_labels() -> list[tuple[str, Any]]:
    from zhili.cases.models import SlaState

    return list(SlaState.choices)
