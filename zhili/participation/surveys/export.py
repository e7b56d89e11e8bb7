"""Results as an .xlsx workbook: the same figures as the results page, one sheet per view.

Sheets: summary (every question's counts), cross-tabs by community and by grid (with the same
folding of small groups as the page for anonymous surveys), free text (grouped), and the
responses one row each. An anonymous survey's response rows carry no name and no place.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from zhili.participation.surveys import selectors
from zhili.participation.surveys.models import Answer, Response, Survey
from zhili.participation.surveys.rules import QuestionKind

BOLD = Font(bold=True)
SHEET_TITLE_LIMIT = 31


def _header(sheet: Any, row: list[Any]) -> None:
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD


def survey_workbook(survey: Survey) -> bytes:
    result = selectors.results(survey)
    book = Workbook()
    summary = book.active
    summary.title = _("Summary")[:SHEET_TITLE_LIMIT]
    summary.append([survey.title])
    summary["A1"].font = BOLD
    summary.append(
        [
            _("Responses"),
            result.responses,
            _("Audience"),
            result.audience,
            _("Response rate (%)"),
            result.rate,
        ]
    )
    summary.append([])
    for number, item in enumerate(result.questions, start=1):
        q = item.question
        _header(summary, [f"{number}. {q.text}", q.get_kind_display(), _("Answered"), item.answered])
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            summary.append([_("Option"), _("Count"), _("Percent")])
            for label, count, percent in item.options:
                summary.append([label, count, percent])
        elif q.kind == QuestionKind.RANKING:
            summary.append([_("Option"), _("Average place"), _("First places"), _("Points")])
            for row in item.ranking:
                summary.append(list(row))
        elif q.kind == QuestionKind.SCALE:
            summary.append([_("Point"), _("Count")])
            for point, count in item.points:
                summary.append([point, count])
            summary.append([_("Mean"), item.mean])
        else:
            summary.append([_("Theme"), _("Answers")])
            for group in item.groups:
                summary.append([group.label, group.size])
        summary.append([])

    for by, title in (("community", _("By community")), ("grid", _("By grid"))):
        sheet = book.create_sheet(title[:SHEET_TITLE_LIMIT])
        for q in selectors.crosstab_questions(survey):
            table = selectors.crosstab(survey, q, by)
            _header(sheet, [q.text])
            _header(
                sheet, [_("Community") if by == "community" else _("Grid"), _("Respondents"), *table.columns]
            )
            for name, n, cells in table.rows:
                sheet.append([name, n, *cells])
            sheet.append([])

    texts = book.create_sheet(_("Free text")[:SHEET_TITLE_LIMIT])
    _header(texts, [_("Question"), _("Answer")])
    text_questions = [item for item in result.questions if item.question.kind == QuestionKind.TEXT]
    for item in text_questions:
        for text in item.texts:
            texts.append([item.question.text, text])

    raw = book.create_sheet(_("Responses")[:SHEET_TITLE_LIMIT])
    questions = selectors.questions_of(survey)
    lead = (
        [_("Date")]
        if survey.anonymous
        else [_("Date"), pgettext("person", "Name"), _("Community"), _("Grid")]
    )
    _header(raw, lead + [f"{i}. {q.text}" for i, q in enumerate(questions, start=1)])
    column = {q.pk: i for i, q in enumerate(questions)}
    labels = {q.pk: q.option_labels() for q in questions}
    kinds = {q.pk: q.kind for q in questions}
    responses = Response.objects.filter(survey=survey).select_related("person", "grid", "community")
    answers: dict[Any, list[Answer]] = {}
    for answer in Answer.objects.filter(response__survey=survey).only(
        "response_id", "question_id", "choices", "number", "text"
    ):
        answers.setdefault(answer.response_id, []).append(answer)
    for response in responses.order_by("submitted_on", "person__name"):
        row_cells: list[Any] = [""] * len(questions)
        for answer in answers.get(response.pk, []):
            qid = answer.question_id
            if qid not in column:
                continue
            kind = kinds[qid]
            if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                value: Any = "；".join(labels[qid][i] for i in answer.choices if 0 <= i < len(labels[qid]))
            elif kind == QuestionKind.RANKING:
                value = " > ".join(labels[qid][i] for i in answer.choices if 0 <= i < len(labels[qid]))
            elif kind == QuestionKind.SCALE:
                value = answer.number
            else:
                value = answer.text
            row_cells[column[qid]] = value
        head: list[Any] = [response.submitted_on]
        if not survey.anonymous:
            head += [
                response.person.name if response.person else "",
                response.community.name if response.community else "",
                response.grid.name if response.grid else "",
            ]
        raw.append(head + row_cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
