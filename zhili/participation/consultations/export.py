"""The accountability board as an .xlsx workbook (the same rows as the table view)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from zhili.participation.consultations.selectors import Board


def board_workbook(board: Board) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Accountability board")[:31])
    sheet.append(
        [
            _("Area"),
            _("Topic"),
            _("State"),
            _("Decision"),
            _("Responsible unit"),
            _("Responsible person"),
            _("Due on"),
            _("Milestones done"),
            _("Percent done"),
            _("Overdue"),
            _("Milestones overdue"),
            _("Milestones finished late"),
        ]
    )
    for row in board.rows:
        sheet.append(
            [
                row.topic.node.name,
                row.topic.title,
                str(row.topic.get_state_display()),
                row.decision.text,
                row.decision.responsible_unit,
                row.decision.responsible_person,
                row.decision.due_on,
                f"{row.milestones_done}/{row.milestones}",
                row.percent,
                _("Yes") if row.overdue else _("No"),
                row.late.overdue,
                row.late.finished_late,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
