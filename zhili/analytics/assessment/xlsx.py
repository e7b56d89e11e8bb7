"""The monthly assessment report as an .xlsx workbook (openpyxl), in the layout of a printed report:
a merged title row, a two-row header (indicator and weight over value and points), one row per
subject with its total, rank and a note (which indicators had no data and the points they gave),
a sentence on what "no data" means when a row has one, and a signature/date footer."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from zhili.analytics.assessment.models import AssessmentRun, SubjectResult
from zhili.analytics.assessment.selectors import Column, WithoutData, without_data
from zhili.analytics.assessment.states import RunState

RATE_FORMAT = "0.00"
COUNT_FORMAT = "0"
POINTS_FORMAT = "0.00"


def report_title(run: AssessmentRun) -> str:
    return _("%(node)s %(year)s-%(month)s %(set)s results") % {
        "node": run.node.name,
        "year": run.month.year,
        "month": run.month.month,
        "set": run.indicator_set.name,
    }


def workbook_bytes(run: AssessmentRun, cols: list[Column], rows: list[SubjectResult]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{run.month:%Y-%m}"
    total_col = 2 + 2 * len(cols) + 1  # rank, subject, (value, points) per indicator, total
    last_col = total_col + 1  # the note
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    ws.cell(row=1, column=1, value=report_title(run)).font = Font(size=16, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
    ws.cell(row=1, column=1).alignment = center
    ws.row_dimensions[1].height = 30
    state = _("Published") if run.state == RunState.PUBLISHED else RunState(run.state).label
    subtitle = _("Version %(version)s · %(state)s") % {"version": run.version, "state": state}
    if run.published_at:
        subtitle += " · " + _("published %(date)s") % {
            "date": f"{timezone.localtime(run.published_at):%Y-%m-%d}"
        }
    ws.cell(row=2, column=1, value=subtitle).alignment = center
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last_col)

    # Header: rank, subject and total span two rows; each indicator spans value and points.
    header = 3
    for col, text in ((1, _("Rank")), (2, _("Assessed")), (total_col, _("Total")), (last_col, _("Note"))):
        ws.cell(row=header, column=col, value=text)
        ws.merge_cells(start_row=header, start_column=col, end_row=header + 1, end_column=col)
    for i, c in enumerate(cols):
        col = 3 + 2 * i
        ws.cell(
            row=header,
            column=col,
            value=_("%(label)s (weight %(weight)s)") % {"label": c.label, "weight": c.weight},
        )
        ws.merge_cells(start_row=header, start_column=col, end_row=header, end_column=col + 1)
        ws.cell(
            row=header + 1, column=col, value=_("Value (%)") if c.is_rate else pgettext("number", "Count")
        )
        ws.cell(row=header + 1, column=col + 1, value=_("Points"))
    for r in (header, header + 1):
        for col in range(1, last_col + 1):
            cell = ws.cell(row=r, column=col)
            cell.font = Font(bold=True)
            cell.alignment = center
            cell.border = box

    row_no = header + 2
    no_data_text = pgettext("score", "No data")
    any_without_data = False
    for result in rows:
        by_code = getattr(result, "score_by_code", None) or {s.code: s for s in result.scores.all()}
        empty: WithoutData | None = getattr(result, "without_data", None) or without_data(
            by_code.values(), cols
        )
        ws.cell(row=row_no, column=1, value=result.rank).number_format = COUNT_FORMAT
        ws.cell(row=row_no, column=2, value=result.label)
        for i, c in enumerate(cols):
            score = by_code.get(c.code)
            col = 3 + 2 * i
            value = None if score is None or score.raw_value is None else float(score.raw_value)
            shown: float | str = value if value is not None else "—"
            if score is not None and score.no_data:
                shown = no_data_text
            cell = ws.cell(row=row_no, column=col, value=shown)
            cell.number_format = RATE_FORMAT if c.is_rate else COUNT_FORMAT
            points = ws.cell(row=row_no, column=col + 1, value=float(score.points) if score else None)
            points.number_format = POINTS_FORMAT
        total = ws.cell(row=row_no, column=total_col, value=float(result.total))
        total.number_format = POINTS_FORMAT
        total.font = Font(bold=True)
        if empty is not None:
            any_without_data = True
            ws.cell(row=row_no, column=last_col, value=empty.detail).alignment = Alignment(wrap_text=True)
        for col in range(1, last_col + 1):
            ws.cell(row=row_no, column=col).border = box
        row_no += 1

    if any_without_data:
        explained = ws.cell(
            row=row_no,
            column=1,
            value=_(
                "No data: the indicator had nothing to count in the month (a grid without cases, for "
                "instance); its points come from the indicator set’s rule for no data (full points or "
                "none), not from the work done."
            ),
        )
        explained.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=last_col)
        ws.row_dimensions[row_no].height = 32
        row_no += 1

    footer = row_no + 1
    ws.cell(row=footer, column=1, value=_("Prepared by (signature):"))
    ws.cell(row=footer, column=max(4, last_col - 3), value=_("Checked by (signature):"))
    ws.cell(row=footer + 1, column=1, value=_("Date:"))
    ws.cell(row=footer + 1, column=2, value=f"{timezone.localdate():%Y-%m-%d}")

    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 24
    for col in range(3, total_col):
        ws.column_dimensions[get_column_letter(col)].width = 11
    ws.column_dimensions[get_column_letter(total_col)].width = 10
    ws.column_dimensions[get_column_letter(last_col)].width = 36
    ws.freeze_panes = ws.cell(row=header + 2, column=3)
    ws.print_title_rows = f"{header}:{header + 1}"
    ws.page_setup.orientation = "landscape"

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def filename(run: AssessmentRun) -> str:
    return f"assessment-{run.node.code}-{run.month:%Y-%m}-set{run.indicator_set_id}-v{run.version}.xlsx"
