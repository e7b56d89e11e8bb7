"""The audit log as an .xlsx workbook (government offices file and forward spreadsheets)."""

from __future__ import annotations

import io
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

from zhili.audit.models import AuditEvent
from zhili.audit.selectors import action_label, compact_json
from zhili.territory.models import Node

# Excel holds about a million rows; a slice larger than this should be narrowed by the filters.
EXPORT_LIMIT = 100_000
CHUNK = 2000


def _text(sheet: Worksheet, value: str) -> WriteOnlyCell:
    # Always a plain string: text that starts with "=" must never become a formula in the
    # auditor's spreadsheet (actor names and details come from users).
    # Control characters are not allowed in the file format at all.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"
    return cell


def events_workbook(events: QuerySet[AuditEvent]) -> tuple[bytes, int]:
    """(file content, number of events). Rows are streamed into a write-only sheet."""
    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet(_("Audit log"))
    headers = [
        _("ID"),
        _("Time (Beijing)"),
        _("Actor"),
        _("Action"),
        _("Action code"),
        _("Target"),
        _("Node"),
        _("Node path"),
        pgettext("audit event", "Details"),
        _("Hash"),
    ]
    sheet.append(headers)
    names = dict(Node.objects.values_list("id", "name"))
    count = 0
    for event in events.iterator(chunk_size=CHUNK):
        count += 1
        target = f"{event.target_type} #{event.target_id}" if event.target_type else ""
        sheet.append(
            [
                event.id,
                timezone.localtime(event.occurred_at).replace(tzinfo=None),
                _text(sheet, event.actor_label),
                _text(sheet, action_label(event.action)),
                _text(sheet, event.action),
                _text(sheet, target),
                _text(sheet, names.get(event.node_id, "") if event.node_id is not None else ""),
                _text(sheet, event.node_path),
                _text(sheet, compact_json(event.details)),
                _text(sheet, event.hash),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count
