"""REST endpoints of surveys, mounted under /api/v1/surveys/: what a resident may answer, and answering.

The same policies and the same action as the answering page: a survey not addressed to the
caller is a 404; a second response is a 409 ``already_answered``; answers that do not fit their
questions are a 422 ``invalid_answers`` with one entry per question.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from zhili.participation.surveys import actions, policies, selectors
from zhili.participation.surveys.models import Participation, Survey

router = Router(tags=["surveys"])


class ErrorOut(Schema):
    code: str
    message: str


class AnswerErrorOut(Schema):
    question: int
    code: str
    message: str


class InvalidOut(Schema):
    code: str
    message: str
    errors: list[AnswerErrorOut]


class SurveyBrief(Schema):
    id: int
    title: str
    territory: str
    anonymous: bool
    opens_at: datetime | None
    closes_at: datetime | None
    accepting: bool
    answered: bool


class ConditionOut(Schema):
    question: int
    values: list[int]


class QuestionOut(Schema):
    id: int
    section: str | None
    kind: str
    text: str
    help_text: str
    required: bool
    options: list[str]
    min_choices: int
    max_choices: int
    scale_min: int
    scale_max: int
    scale_min_label: str
    scale_max_label: str
    max_length: int
    condition: ConditionOut | None


class SurveyOut(SurveyBrief):
    description: str
    questions: list[QuestionOut]


class ResponseIn(Schema):
    answers: dict[str, Any] = Field(
        ...,
        description=(
            "question id → answer: single: option index; multiple: list of option indices; ranking: every "
            "option index once, most preferred first; scale: a whole number; text: text"
        ),
    )


class SubmittedOut(Schema):
    survey: int
    anonymous: bool


def _brief(survey: Survey, answered: bool) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "title": survey.title,
        "territory": survey.node.name,
        "anonymous": survey.anonymous,
        "opens_at": survey.opens_at,
        "closes_at": survey.closes_at,
        "accepting": actions.accepting(survey),
        "answered": answered,
    }


@router.get("/mine", response=list[SurveyBrief], summary="Open surveys addressed to me")
def my_surveys(request: HttpRequest) -> list[dict[str, Any]]:
    person, surveys = policies.surveys_for_respondent(request.user)
    if person is None:
        return []
    answered = set(
        Participation.objects.filter(person=person, survey__in=surveys).values_list("survey_id", flat=True)
    )
    return [_brief(survey, survey.pk in answered) for survey in surveys]


@router.get("/{int:survey_id}", response={200: SurveyOut, 404: ErrorOut}, summary="A survey addressed to me")
def survey_for_me(request: HttpRequest, survey_id: int) -> Any:
    survey, person = policies.get_survey_for_respondent(request.user, survey_id)
    questions = [
        {
            "id": q.pk,
            "section": q.section.title if q.section else None,
            "kind": q.kind,
            "text": q.text,
            "help_text": q.help_text,
            "required": q.required,
            "options": q.option_labels(),
            "min_choices": q.min_choices,
            "max_choices": q.max_choices,
            "scale_min": q.scale_min,
            "scale_max": q.scale_max,
            "scale_min_label": q.scale_min_label,
            "scale_max_label": q.scale_max_label,
            "max_length": q.max_length,
            "condition": (
                {"question": q.condition_question_id, "values": [int(v) for v in q.condition_values]}
                if q.condition_question_id
                else None
            ),
        }
        for q in selectors.questions_of(survey)
    ]
    return {
        **_brief(survey, selectors.has_answered(survey, person.pk)),
        "description": survey.description,
        "questions": questions,
    }


@router.post(
    "/{int:survey_id}/responses",
    response={201: SubmittedOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: InvalidOut},
    summary="Answer a survey (once)",
)
def submit_response(request: HttpRequest, survey_id: int, payload: ResponseIn) -> Any:
    survey, _person = policies.get_survey_for_respondent(request.user, survey_id)
    try:
        actions.do_submit_response(survey, actor=request.user, answers=payload.answers)
    except actions.AnswersInvalid as exc:
        return Status(
            422,
            {
                "code": exc.code,
                "message": exc.message,
                "errors": [
                    {"question": e.question, "code": e.code, "message": e.message} for e in exc.errors
                ],
            },
        )
    return Status(201, {"survey": survey.pk, "anonymous": survey.anonymous})
