"""Survey pages: staff write and run surveys and read results; residents answer on their phones.

Staff pages load the survey through ``policies`` (outsider 404, read-only 403 on writes); the
resident's pages through the audience (a survey not addressed to the resident does not exist).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhili.accounts.roles import Role
from zhili.authz.policies import has_role, roles_of
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors
from zhili.participation.surveys import actions, export, forms, policies, selectors
from zhili.participation.surveys.audience import audience_persons
from zhili.participation.surveys.models import Question, Survey
from zhili.participation.surveys.policies import SurveyAction
from zhili.participation.surveys.rules import QuestionKind
from zhili.participation.surveys.states import SurveyStatus
from zhili.residents.tags import visible_tag_set
from zhili.territory.models import NodeKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staff(request: HttpRequest, pk: int, action: SurveyAction = SurveyAction.VIEW) -> Survey:
    return policies.get_survey_for_staff(request.user, pk, action)


def _back(survey: Survey) -> HttpResponse:
    return redirect("surveys:detail", pk=survey.pk)


def _tags_for(user: Any) -> Any:
    from zhili.residents.models import Tag

    visible = [tag.pk for tag in visible_tag_set(roles_of(user)) if tag.active]
    return Tag.objects.filter(pk__in=visible).order_by("code")


# ---------------------------------------------------------------------------------------------
# Staff


@login_required
@page_errors
@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policies.is_survey_staff(user):
        if policies.respondent(user) is not None or has_role(user, Role.RESIDENT):
            return redirect("surveys:mine")
        raise NotFound()
    status = request.GET.get("status", "")
    surveys = policies.staff_surveys(user)
    if status in SurveyStatus.values:
        surveys = surveys.filter(status=status)
    return render(
        request,
        "surveys/list.html",
        {
            "surveys": selectors.staff_list(surveys),
            "can_create": policies.manageable_nodes(user).exists(),
            "status": status,
            "statuses": SurveyStatus.choices,
        },
    )


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def survey_new(request: HttpRequest) -> HttpResponse:
    nodes = policies.manageable_nodes(request.user)
    if not nodes.exists():
        if policies.is_survey_staff(request.user):
            raise Forbidden()
        raise NotFound()
    form = forms.SurveyForm(request.POST or None, nodes=nodes, tags=_tags_for(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = actions.do_create_survey(
                node=data["node"],
                title=data["title"],
                description=data["description"],
                anonymous=data["anonymous"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                min_age=data["min_age"],
                max_age=data["max_age"],
                tags=data["tags"],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Survey created. Add its questions next."))
            return _back(survey)
    return render(request, "surveys/form.html", {"form": form, "survey": None})


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def survey_settings(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _staff(request, pk, SurveyAction.MANAGE)
    if survey.status != SurveyStatus.DRAFT:
        messages.error(request, _("Questions and audience can only change while the survey is a draft."))
        return _back(survey)
    initial = {
        "title": survey.title,
        "description": survey.description,
        "anonymous": survey.anonymous,
        "opens_at": survey.opens_at and timezone.localtime(survey.opens_at),
        "closes_at": survey.closes_at and timezone.localtime(survey.closes_at),
        "min_age": survey.min_age,
        "max_age": survey.max_age,
        "tags": list(survey.audience_tags.all()),
    }
    form = forms.SurveyForm(
        request.POST or None, initial=initial, tags=_tags_for(request.user), survey=survey
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        tags = data.pop("tags")
        try:
            actions.do_update_survey(survey, actor=request.user, tags=tags, **data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Settings saved."))
            return _back(survey)
    return render(request, "surveys/form.html", {"form": form, "survey": survey})


@login_required
@page_errors
@require_GET
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _staff(request, pk)
    manage = policies.can(request.user, SurveyAction.MANAGE, survey)
    draft = survey.status == SurveyStatus.DRAFT
    context = {
        "survey": survey,
        "manage": manage,
        "draft": draft,
        "sections": selectors.sections_with_questions(survey),
        "question_count": survey.questions.count(),
        "audience": audience_persons(survey).count(),
        "responses": selectors.response_count(survey),
        "tags": list(survey.audience_tags.all()),
        "accepting": actions.accepting(survey),
        "question_form": forms.QuestionForm(survey=survey) if manage and draft else None,
        "section_form": forms.SectionForm() if manage and draft else None,
    }
    return render(request, "surveys/detail.html", context)


@login_required
@page_errors
@require_POST
def section_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _staff(request, pk, SurveyAction.MANAGE)
    form = forms.SectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the section a title."))
        return _back(survey)
    try:
        actions.do_add_section(
            survey,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Section added."))
    return _back(survey)


@login_required
@page_errors
@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _staff(request, pk, SurveyAction.MANAGE)
    form = forms.QuestionForm(request.POST, survey=survey)
    if form.is_valid():
        try:
            actions.do_add_question(survey, actor=request.user, **form.values())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Question added."))
            return _back(survey)
    return render(request, "surveys/question.html", {"survey": survey, "form": form, "question": None})


def _question(survey: Survey, question_id: int) -> Question:
    question = survey.questions.filter(pk=question_id).first()
    if question is None:
        raise NotFound()
    return question


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    survey = _staff(request, pk, SurveyAction.MANAGE)
    question = _question(survey, question_id)
    form = forms.QuestionForm(
        request.POST or None,
        survey=survey,
        question=question,
        initial=forms.QuestionForm.initial_for(question),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_question(question, actor=request.user, **form.values())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Question saved."))
            return _back(survey)
    return render(request, "surveys/question.html", {"survey": survey, "form": form, "question": question})


@login_required
@page_errors
@require_POST
def question_delete(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    survey = _staff(request, pk, SurveyAction.MANAGE)
    question = _question(survey, question_id)
    try:
        actions.do_delete_question(question, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Question removed."))
    return _back(survey)


@login_required
@page_errors
@require_POST
def question_move(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    survey = _staff(request, pk, SurveyAction.MANAGE)
    question = _question(survey, question_id)
    try:
        actions.do_move_question(question, actor=request.user, up=request.POST.get("direction") != "down")
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(survey)


STEPS = {"publish": actions.do_publish_survey, "close": actions.do_close_survey}


@login_required
@page_errors
@require_POST
def survey_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    survey = _staff(request, pk, SurveyAction.MANAGE)
    if step not in STEPS:
        raise NotFound()
    try:
        STEPS[step](survey, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The survey is open to its audience.") if step == "publish" else _("The survey is closed."),
        )
    return _back(survey)


def _results_survey(request: HttpRequest, pk: int) -> Survey:
    survey = _staff(request, pk)
    if survey.status == SurveyStatus.DRAFT:
        raise NotFound()
    return survey


@login_required
@page_errors
@require_GET
def results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _results_survey(request, pk)
    result = selectors.results(survey)
    choice_questions = selectors.crosstab_questions(survey)
    table = None
    by = request.GET.get("by", "community")
    if choice_questions:
        wanted = request.GET.get("q", "")
        chosen = next((q for q in choice_questions if str(q.pk) == wanted), choice_questions[0])
        table = selectors.crosstab(survey, chosen, by)
    charts = {str(item.question.pk): item.chart() for item in result.questions}
    charts["_by_day"] = {
        "type": "line",
        "labels": [day for day, _n in result.by_day],
        "values": [n for _day, n in result.by_day],
    }
    return render(
        request,
        "surveys/results.html",
        {
            "survey": survey,
            "result": result,
            "charts": charts,
            "crosstab": table,
            "crosstab_questions": choice_questions,
            "by": table.by if table else by,
            "respondents": selectors.respondents_of(survey) if not survey.anonymous else None,
            "kinds": QuestionKind,
            "can_publish": survey.status == SurveyStatus.CLOSED
            and survey.results_published_at is None
            and policies.can(request.user, SurveyAction.MANAGE, survey),
        },
    )


@login_required
@page_errors
@require_POST
def publish_results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _staff(request, pk, SurveyAction.MANAGE)
    try:
        actions.do_publish_survey_results(survey, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The results are published to the residents of the area."))
    return redirect("surveys:results", pk=survey.pk)


@login_required
@page_errors
@require_GET
def results_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _results_survey(request, pk)
    content = export.survey_workbook(survey)
    response = HttpResponse(content, content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-{stamp}.xlsx"'
    return response


# ---------------------------------------------------------------------------------------------
# Residents


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    person, surveys = policies.surveys_for_respondent(request.user)
    answered = set()
    if person is not None:
        from zhili.participation.surveys.models import Participation

        answered = set(
            Participation.objects.filter(person=person, survey__in=surveys).values_list(
                "survey_id", flat=True
            )
        )
    now = timezone.now()
    rows = [(survey, survey.pk in answered, actions.accepting(survey, now)) for survey in surveys]
    published = (
        policies.published_surveys(person).select_related("node").order_by("-results_published_at", "-id")
    )
    return render(
        request,
        "surveys/mine.html",
        {
            "rows": rows,
            "published": published[:PUBLISHED_LISTED],
            "linked": person is not None,
            "is_staff": policies.is_survey_staff(request.user),
        },
    )


PUBLISHED_LISTED = 20


@login_required
@page_errors
@require_GET
def public_results(request: HttpRequest, pk: int) -> HttpResponse:
    """The published results of a closed survey, for the residents of its area (phone first)."""
    survey = policies.get_published_survey(request.user, pk)
    result = selectors.public_results(survey)
    choice_questions = selectors.crosstab_questions(survey)
    table = None
    if choice_questions:
        wanted = request.GET.get("q", "")
        chosen = next((q for q in choice_questions if str(q.pk) == wanted), choice_questions[0])
        # Within a community the grids tell something; above it, the communities.
        by = "grid" if survey.node.kind in (NodeKind.COMMUNITY, NodeKind.GRID) else "community"
        table = selectors.crosstab(survey, chosen, by, public=True)
    return render(
        request,
        "surveys/public_results.html",
        {
            "survey": survey,
            "result": result,
            "charts": {str(item.question.pk): item.chart() for item in result.questions},
            "crosstab": table,
            "crosstab_questions": choice_questions,
            "min_group": selectors.MIN_GROUP,
        },
    )


def _question_blocks(survey: Survey, errors: dict[int, str], raw: dict[int, Any]) -> list[Any]:
    blocks = []
    hidden: set[int] = set()  # rendered hidden so that nothing flashes before answer.js runs
    for section, questions in selectors.sections_with_questions(survey):
        items = []
        for q in questions:
            value = raw.get(q.pk)
            if q.condition_question_id:
                given = raw.get(q.condition_question_id)
                given = given if isinstance(given, list) else [given]
                wanted = {str(v) for v in q.condition_values or ()}
                if q.condition_question_id in hidden or not wanted.intersection(
                    str(v) for v in given if v is not None
                ):
                    hidden.add(q.pk)
            ranks: dict[int, int] = {}
            if q.kind == QuestionKind.RANKING and isinstance(value, list):
                ranks = {option: place for place, option in enumerate(value, start=1)}
            items.append(
                {
                    "q": q,
                    "name": forms.field_name(q),
                    "error": errors.get(q.pk, ""),
                    "hidden": q.pk in hidden,
                    "value": value,
                    "chosen": {
                        str(v) for v in (value if isinstance(value, list) else [value]) if v is not None
                    },
                    "options": [
                        {
                            "index": i,
                            "label": label,
                            "rank_name": forms.rank_field_name(q, i),
                            "rank": ranks.get(i),
                        }
                        for i, label in enumerate(q.option_labels())
                    ],
                    "places": list(range(1, len(q.options) + 1)),
                    "points": list(range(q.scale_min, q.scale_max + 1))
                    if q.kind == QuestionKind.SCALE
                    else [],
                    "condition": json.dumps(
                        {"q": q.condition_question_id, "values": q.condition_values}
                        if q.condition_question_id
                        else None
                    ),
                }
            )
        blocks.append((section, items))
    return blocks


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    survey, person = policies.get_survey_for_respondent(request.user, pk)
    if selectors.has_answered(survey, person.pk):
        return render(request, "surveys/answered.html", {"survey": survey, "again": True})
    if not actions.accepting(survey):
        messages.error(request, _("This survey is not taking answers now."))
        return redirect("surveys:mine")
    errors: dict[int, str] = {}
    raw: dict[int, Any] = {}
    general = ""
    if request.method == "POST":
        questions = selectors.questions_of(survey)
        raw = forms.answers_from_post(questions, request.POST)
        try:
            actions.do_submit_response(survey, actor=request.user, answers=raw)
        except actions.AnswersInvalid as exc:
            general = exc.message
            errors = {error.question: error.message for error in exc.errors}
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("surveys:mine")
        else:
            return render(request, "surveys/answered.html", {"survey": survey, "again": False})
    return render(
        request,
        "surveys/answer.html",
        {
            "survey": survey,
            "blocks": _question_blocks(survey, errors, raw),
            "general": general,
            "kinds": QuestionKind,
        },
        status=422 if errors else 200,
    )
