"""Every write of a survey: one function, one transaction, one audit row each.

Scope (who may run which survey) is checked by the pages and the API through ``policies``; the
actions check the rules of the survey itself and refuse with a ``DomainError`` naming a stable code.

``do_submit_response`` writes the participation (who) and the response (what) in one transaction:
a resident is never marked as having answered without their answers, nor the reverse. Its audit
row names the respondent and, for an anonymous survey, nothing of the answers (not even the
response's key); for a named survey it names the response.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError
from zhili.participation.elections.models import ResidentAccount
from zhili.participation.surveys import rules
from zhili.participation.surveys.audience import ineligibility
from zhili.participation.surveys.models import Answer, Participation, Question, Response, Section, Survey
from zhili.participation.surveys.rules import QuestionKind
from zhili.participation.surveys.states import EDITABLE, TRANSITIONS, SurveyStatus, Transition
from zhili.residents.models import Tag
from zhili.territory.models import Node, NodeKind

SURVEY_FIELDS = ("title", "description", "anonymous", "opens_at", "closes_at", "min_age", "max_age")
QUESTION_FIELDS = (
    "kind",
    "text",
    "help_text",
    "required",
    "options",
    "min_choices",
    "max_choices",
    "scale_min",
    "scale_max",
    "scale_min_label",
    "scale_max_label",
    "max_length",
    "condition_question",
    "condition_values",
    "section",
)


class AnswersInvalid(DomainError):
    """A response with answers that do not fit their questions; ``errors`` says which and why."""

    status = 422

    def __init__(self, errors: Sequence[rules.AnswerError]) -> None:
        super().__init__("invalid_answers", _("Some answers need your attention."))
        self.errors = list(errors)


def _locked(survey: Survey | int) -> Survey:
    pk = survey.pk if isinstance(survey, Survey) else survey
    return Survey.objects.select_for_update(of=("self",)).select_related("node").get(pk=pk)


def _require_draft(survey: Survey) -> None:
    if survey.status not in EDITABLE:
        raise DomainError(
            "not_draft", _("Questions and audience can only change while the survey is a draft."), status=409
        )


def _check_window(opens_at: datetime | None, closes_at: datetime | None) -> None:
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise DomainError("bad_window", _("The survey must close after it opens."), status=422)


def _check_ages(min_age: int | None, max_age: int | None) -> None:
    if min_age is not None and max_age is not None and max_age < min_age:
        raise DomainError("bad_ages", _("The maximum age is below the minimum age."), status=422)


def _transition(survey: Survey, transition: Transition, *, actor: Any, details: dict[str, Any]) -> None:
    source, target = TRANSITIONS[transition]
    if survey.status != source:
        raise DomainError(
            "wrong_status",
            _("This cannot be done while the survey is “%(status)s”.")
            % {"status": survey.get_status_display()},
            status=409,
        )
    survey.status = target
    record_audit(
        AuditAction.SURVEY_TRANSITION,
        actor=actor,
        target=survey,
        node=survey.node,
        details={"transition": str(transition), "from": source, "to": target, **details},
    )


# ---------------------------------------------------------------------------------------------
# Drafting


def do_create_survey(
    *,
    node: Node,
    title: str,
    actor: Any,
    description: str = "",
    anonymous: bool = True,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    min_age: int | None = None,
    max_age: int | None = None,
    tags: Iterable[Tag] = (),
) -> Survey:
    title = title.strip()
    if not title:
        raise DomainError("title_required", _("Give the survey a title."), status=422)
    _check_window(opens_at, closes_at)
    _check_ages(min_age, max_age)
    with transaction.atomic():
        survey = Survey.objects.create(
            node=node,
            title=title,
            description=description,
            anonymous=anonymous,
            opens_at=opens_at,
            closes_at=closes_at,
            min_age=min_age,
            max_age=max_age,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        tag_list = list(tags)
        survey.audience_tags.set(tag_list)
        record_audit(
            AuditAction.SURVEY_CREATED,
            actor=actor,
            target=survey,
            node=node,
            details={"title": title, "anonymous": anonymous, "tags": sorted(t.code for t in tag_list)},
        )
    return survey


def do_update_survey(
    survey: Survey | int, *, actor: Any, tags: Iterable[Tag] | None = None, **values: Any
) -> Survey:
    unknown = set(values) - set(SURVEY_FIELDS)
    if unknown:
        raise ValueError(f"not survey fields: {sorted(unknown)}")
    with transaction.atomic():
        survey = _locked(survey)
        _require_draft(survey)
        for name, value in values.items():
            setattr(survey, name, value)
        survey.title = survey.title.strip()
        if not survey.title:
            raise DomainError("title_required", _("Give the survey a title."), status=422)
        _check_window(survey.opens_at, survey.closes_at)
        _check_ages(survey.min_age, survey.max_age)
        survey.save(update_fields=list(values))
        details: dict[str, Any] = {"fields": sorted(values)}
        if tags is not None:
            tag_list = list(tags)
            survey.audience_tags.set(tag_list)
            details["tags"] = sorted(t.code for t in tag_list)
        record_audit(
            AuditAction.SURVEY_CHANGED, actor=actor, target=survey, node=survey.node, details=details
        )
    return survey


def do_add_section(survey: Survey | int, *, title: str, actor: Any, description: str = "") -> Section:
    with transaction.atomic():
        survey = _locked(survey)
        _require_draft(survey)
        if not title.strip():
            raise DomainError("title_required", _("Give the section a title."), status=422)
        position = survey.sections.count() + 1
        section = Section.objects.create(
            survey=survey, title=title.strip(), description=description, position=position
        )
        record_audit(
            AuditAction.SURVEY_CHANGED,
            actor=actor,
            target=survey,
            node=survey.node,
            details={"section_added": section.title},
        )
    return section


def parse_options(text: str) -> list[str]:
    """Options typed one per line: blank lines dropped, surrounding spaces trimmed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _spec(question: Question) -> rules.QuestionSpec:
    return rules.QuestionSpec(
        id=question.pk or 0,
        kind=question.kind,
        required=question.required,
        options=len(question.options),
        min_choices=question.min_choices,
        max_choices=question.max_choices,
        scale_min=question.scale_min,
        scale_max=question.scale_max,
        max_length=question.max_length,
        condition_question=question.condition_question_id,
        condition_values=tuple(int(v) for v in question.condition_values or ()),
    )


def question_specs(questions: Iterable[Question]) -> list[rules.QuestionSpec]:
    return [_spec(question) for question in questions]


def _check_question(survey: Survey, question: Question) -> None:
    """Refuse a question that could never be answered, with a message the editor can act on."""
    if not question.text.strip():
        raise DomainError("text_required", _("Write the question."), status=422)
    if question.kind not in QuestionKind.values:
        raise DomainError("bad_kind", _("Choose a question type."), status=422)
    if question.kind in rules.CHOICE_KINDS:
        if len(question.options) < 2:
            raise DomainError("too_few_options", _("Give at least two options, one per line."), status=422)
        if len(question.options) > rules.MAX_OPTIONS:
            raise DomainError(
                "too_many_options", _("Give at most %(n)d options.") % {"n": rules.MAX_OPTIONS}, status=422
            )
        if len(set(question.options)) != len(question.options):
            raise DomainError("duplicate_options", _("Two options have the same text."), status=422)
    else:
        question.options = []
    if question.kind == QuestionKind.MULTIPLE:
        high = question.max_choices or len(question.options)
        if high > len(question.options) or high < max(question.min_choices, 1):
            raise DomainError(
                "bad_choice_range",
                _("The number of choices must be between 1 and the number of options, at least ≤ at most."),
                status=422,
            )
    if question.kind == QuestionKind.SCALE and not (
        question.scale_min < question.scale_max
        and question.scale_max - question.scale_min < rules.MAX_SCALE_STEPS
    ):
        raise DomainError(
            "bad_scale",
            _("A scale runs from a lower to a higher point, at most %(n)d points.")
            % {"n": rules.MAX_SCALE_STEPS},
            status=422,
        )
    if question.kind == QuestionKind.TEXT and not 1 <= question.max_length <= rules.MAX_TEXT_LENGTH:
        raise DomainError(
            "bad_length",
            _("The maximum length is between 1 and %(n)d characters.") % {"n": rules.MAX_TEXT_LENGTH},
            status=422,
        )
    if question.section is not None and question.section.survey_id != survey.pk:
        raise DomainError("bad_section", _("That section belongs to another survey."), status=422)
    target = question.condition_question
    if target is None:
        question.condition_values = []
        return
    if (
        target.survey_id != survey.pk
        or target.kind not in rules.CONDITION_KINDS
        or (question.pk and target.position >= question.position)
    ):
        raise DomainError(
            "bad_condition",
            _("A condition refers to an earlier single- or multiple-choice question of this survey."),
            status=422,
        )
    values = [int(v) for v in question.condition_values or []]
    if not values or any(not 0 <= v < len(target.options) for v in values):
        raise DomainError("bad_condition", _("Choose the answers that show this question."), status=422)
    question.condition_values = sorted(set(values))


def do_add_question(survey: Survey | int, *, actor: Any, **values: Any) -> Question:
    unknown = set(values) - set(QUESTION_FIELDS)
    if unknown:
        raise ValueError(f"not question fields: {sorted(unknown)}")
    with transaction.atomic():
        survey = _locked(survey)
        _require_draft(survey)
        last = survey.questions.order_by("-position").values_list("position", flat=True).first() or 0
        question = Question(survey=survey, position=last + 1, **values)
        _check_question(survey, question)
        question.save()
        record_audit(
            AuditAction.SURVEY_CHANGED,
            actor=actor,
            target=survey,
            node=survey.node,
            details={"question_added": question.pk, "kind": question.kind},
        )
    return question


def do_update_question(question: Question | int, *, actor: Any, **values: Any) -> Question:
    unknown = set(values) - set(QUESTION_FIELDS)
    if unknown:
        raise ValueError(f"not question fields: {sorted(unknown)}")
    pk = question.pk if isinstance(question, Question) else question
    with transaction.atomic():
        survey_id = Question.objects.values_list("survey_id", flat=True).get(pk=pk)
        survey = _locked(survey_id)
        _require_draft(survey)
        question = Question.objects.select_related("condition_question", "section").get(pk=pk)
        for name, value in values.items():
            setattr(question, name, value)
        _check_question(survey, question)
        question.save()
        record_audit(
            AuditAction.SURVEY_CHANGED,
            actor=actor,
            target=survey,
            node=survey.node,
            details={"question_changed": question.pk, "fields": sorted(values)},
        )
    return question


def do_delete_question(question: Question | int, *, actor: Any) -> None:
    pk = question.pk if isinstance(question, Question) else question
    with transaction.atomic():
        survey_id = Question.objects.values_list("survey_id", flat=True).get(pk=pk)
        survey = _locked(survey_id)
        _require_draft(survey)
        if Question.objects.filter(condition_question_id=pk).exists():
            raise DomainError(
                "has_dependants",
                _("Other questions are shown depending on this one; change them first."),
                status=409,
            )
        Question.objects.filter(pk=pk).delete()
        record_audit(
            AuditAction.SURVEY_CHANGED,
            actor=actor,
            target=survey,
            node=survey.node,
            details={"question_removed": pk},
        )


def do_move_question(question: Question | int, *, actor: Any, up: bool) -> None:
    """Swap a question with its neighbour; a question never moves above the question its condition reads."""
    pk = question.pk if isinstance(question, Question) else question
    with transaction.atomic():
        survey_id = Question.objects.values_list("survey_id", flat=True).get(pk=pk)
        survey = _locked(survey_id)
        _require_draft(survey)
        ordered = list(survey.questions.order_by("position", "id"))
        index = next(i for i, q in enumerate(ordered) if q.pk == pk)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(ordered):
            return
        first, second = sorted((index, other))
        upper, lower = ordered[first], ordered[second]
        if lower.condition_question_id == upper.pk:
            raise DomainError(
                "condition_order",
                _("A question must stay below the question that decides whether it is shown."),
                status=409,
            )
        ordered[first], ordered[second] = lower, upper
        for position, item in enumerate(ordered, start=1):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])
        record_audit(
            AuditAction.SURVEY_CHANGED,
            actor=actor,
            target=survey,
            node=survey.node,
            details={"question_moved": pk, "up": up},
        )


# ---------------------------------------------------------------------------------------------
# Status


def do_publish_survey(survey: Survey | int, *, actor: Any, now: datetime | None = None) -> Survey:
    now = now or timezone.now()
    with transaction.atomic():
        survey = _locked(survey)
        questions = list(survey.questions.order_by("position", "id"))
        if not questions:
            raise DomainError("no_questions", _("Add at least one question before publishing."), status=409)
        problems = rules.definition_problems(question_specs(questions))
        if problems:
            raise DomainError(
                "bad_questions",
                _("Question %(n)d cannot be answered as it stands; edit it first.")
                % {"n": next(i for i, q in enumerate(questions, 1) if q.pk == problems[0][0])},
                status=409,
            )
        if survey.opens_at is None:
            survey.opens_at = now
        if survey.closes_at is not None and survey.closes_at <= max(now, survey.opens_at):
            raise DomainError("closes_in_past", _("The closing time has already passed."), status=409)
        from zhili.participation.surveys.audience import audience_persons

        size = audience_persons(survey).count()
        _transition(survey, Transition.PUBLISH, actor=actor, details={"audience": size})
        survey.published_at = now
        survey.save(update_fields=["status", "opens_at", "published_at"])
    return survey


def do_close_survey(survey: Survey | int, *, actor: Any, now: datetime | None = None) -> Survey:
    now = now or timezone.now()
    with transaction.atomic():
        survey = _locked(survey)
        responses = survey.participations.count()
        _transition(survey, Transition.CLOSE, actor=actor, details={"responses": responses})
        survey.closed_at = now
        survey.save(update_fields=["status", "closed_at"])
    return survey


def do_publish_survey_results(survey: Survey | int, *, actor: Any, now: datetime | None = None) -> Survey:
    """Make the results of a closed survey public to the residents of its area (信息公开).

    Residents then see counts and percentages, never free-text answers nor small groups. Publishing
    cannot be undone: what was made public stays public.
    """
    now = now or timezone.now()
    with transaction.atomic():
        survey = _locked(survey)
        if survey.status != SurveyStatus.CLOSED:
            raise DomainError(
                "not_closed", _("Results can be published once the survey is closed."), status=409
            )
        if survey.results_published_at is not None:
            raise DomainError("already_published", _("The results are already published."), status=409)
        survey.results_published_at = now
        survey.save(update_fields=["results_published_at"])
        record_audit(
            AuditAction.SURVEY_CHANGED,
            actor=actor,
            target=survey,
            node=survey.node,
            details={"results_published": True, "responses": survey.participations.count()},
        )
    return survey


def close_due_surveys(*, now: datetime | None = None) -> int:
    """Close every open survey whose closing time has passed; safe to run twice or in parallel."""
    now = now or timezone.now()
    closed = 0
    for pk in Survey.objects.filter(status=SurveyStatus.OPEN, closes_at__lte=now).values_list(
        "pk", flat=True
    ):
        try:
            do_close_survey(pk, actor=None, now=now)
        except DomainError:  # another run closed it first
            continue
        closed += 1
    return closed


# ---------------------------------------------------------------------------------------------
# Answering


def accepting(survey: Survey, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        survey.status == SurveyStatus.OPEN
        and (survey.opens_at is None or survey.opens_at <= now)
        and (survey.closes_at is None or now < survey.closes_at)
    )


@dataclass(frozen=True)
class Submitted:
    survey: Survey
    response: Response
    participation: Participation


def _answer_row(question: Question, value: Any) -> Answer:
    if question.kind == QuestionKind.SINGLE:
        return Answer(question=question, choices=[value])
    if question.kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING):
        return Answer(question=question, choices=list(value))
    if question.kind == QuestionKind.SCALE:
        return Answer(question=question, number=value)
    return Answer(question=question, text=value)


def do_submit_response(
    survey: Survey | int, *, actor: Any, answers: Mapping[Any, Any], now: datetime | None = None
) -> Submitted:
    """One response of the resident behind ``actor`` (a verified resident login)."""
    now = now or timezone.now()
    link = (
        ResidentAccount.objects.select_related("person__household__building__grid__parent")
        .filter(user=actor)
        .first()
        if getattr(actor, "pk", None)
        else None
    )
    if link is None:
        raise DomainError(
            "not_verified",
            _("Only residents with a verified account can answer; ask your community office to link it."),
            status=403,
        )
    person = link.person
    pk = survey.pk if isinstance(survey, Survey) else survey
    with transaction.atomic():
        # The survey row lock orders a resident's two racing requests; the unique constraint on
        # participations is the last word either way.
        survey = _locked(pk)
        if not accepting(survey, now):
            raise DomainError("not_open", _("This survey is not taking answers now."), status=409)
        reason = ineligibility(survey, person)
        if reason is not None:
            raise DomainError(
                "not_eligible", _("This survey is not addressed to you."), status=403, reason=reason
            )
        if Participation.objects.filter(survey=survey, person=person).exists():
            raise DomainError(
                "already_answered",
                _("You have already answered this survey; each resident answers once."),
                status=409,
            )
        questions = list(survey.questions.order_by("position", "id"))
        cleaned, errors = rules.clean_answers(question_specs(questions), answers)
        if errors:
            raise AnswersInvalid(errors)
        grid = person.household.building.grid
        try:
            with transaction.atomic():
                participation = Participation.objects.create(
                    survey=survey, person=person, user=actor, responded_at=now
                )
        except IntegrityError:
            raise DomainError(
                "already_answered",
                _("You have already answered this survey; each resident answers once."),
                status=409,
            ) from None
        response = Response.objects.create(
            survey=survey,
            person=None if survey.anonymous else person,
            grid=grid,
            community=grid.parent if grid.parent and grid.parent.kind == NodeKind.COMMUNITY else None,
            submitted_on=timezone.localdate(now),
        )
        by_id = {q.pk: q for q in questions}
        rows = []
        for qid, value in cleaned.items():
            row = _answer_row(by_id[qid], value)
            row.response = response
            rows.append(row)
        Answer.objects.bulk_create(rows)
        details: dict[str, Any] = {"anonymous": survey.anonymous}
        if not survey.anonymous:
            details["response"] = str(response.pk)
        record_audit(
            AuditAction.SURVEY_ANSWERED, actor=actor, target=survey, node=survey.node, details=details
        )
    return Submitted(survey, response, participation)
