"""Disclosure pages: the community board (公开栏, phone-sized, readable without login for items for
everyone), an item with its versions and questions, and the staff list with its actions."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors
from zhili.disclosure import actions, policies, selectors
from zhili.disclosure.forms import AnswerForm, CorrectionForm, PublicationForm, QuestionForm, ReasonForm
from zhili.disclosure.models import Kind, Publication, Question, quarter_label
from zhili.disclosure.policies import Perm
from zhili.disclosure.states import PublicationStatus, PublicationTransition

S = PublicationStatus
T = PublicationTransition
STAFF_LIST_SHOWN = 200


def _require_staff(request: HttpRequest) -> None:
    if not policies.is_staff(request.user):
        raise NotFound()


def _form_error(form: Any, exc: DomainError) -> None:
    field = exc.params.get("field")
    if field == "quarter" and "quarter" in form.fields:
        form.add_error("quarter", exc.message)
    else:
        form.add_error(field if field in form.fields else None, exc.message)


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


# The board (公开栏) --------------------------------------------------------------------------------


@page_errors
def board(request: HttpRequest, node_id: int) -> HttpResponse:
    community = policies.get_board_community(node_id)
    kind = request.GET.get("kind", "")
    kind = kind if kind in Kind.values else ""
    year = _int(request.GET.get("year"))
    items = list(selectors.board(request.user, community, kind=kind, year=year)[:200])
    return render(
        request,
        "disclosure/board.html",
        {
            "community": community,
            "items": items,
            "kind": kind,
            "kinds": Kind.choices,
            "year": year,
            "years": selectors.board_years(community),
            "lives_here": policies.lives_under(request.user, community),
        },
    )


def boards(request: HttpRequest) -> HttpResponse:
    """Every community's board, by street: the way in for a visitor who is not logged in."""
    return render(request, "disclosure/boards.html", {"streets": selectors.board_index()})


@login_required
@page_errors
def my_board(request: HttpRequest) -> HttpResponse:
    """The resident's own community board; staff go to the first community of their scope."""
    community = policies.home_community(request.user) or policies.scope_communities(request.user).first()
    if community is None:
        raise NotFound()
    return redirect("disclosure:board", community.pk)


# One item ------------------------------------------------------------------------------------------


def _load(request: HttpRequest, pk: int, perm: Perm | None = None) -> Publication:
    return policies.get_publication_for_user(request.user, pk, perm)


@page_errors
def item(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        publication = _load(request, pk)
    except NotFound:
        if not request.user.is_authenticated:
            # Items for residents only ask for a login; so does every unknown id (nothing is revealed).
            return redirect_to_login(request.get_full_path())
        raise
    return render(request, "disclosure/item.html", _item_context(request, publication))


def _item_context(request: HttpRequest, publication: Publication) -> dict[str, Any]:
    user = request.user
    staff_view = policies.can(user, Perm.VIEW, publication)
    can_publish = policies.can(user, Perm.PUBLISH, publication)
    if publication.status != S.DRAFT and not staff_view:
        actions.do_count_read(publication)
        publication.read_count += 1
    chain = selectors.versions(publication)
    questions = selectors.questions(chain, staff=can_publish)
    can_ask = publication.status == S.PUBLISHED and policies.lives_under(user, publication.node)
    community = publication.node if publication.node.kind == "community" else None
    return {
        "publication": publication,
        "chain": chain if len(chain) > 1 else [],
        "replacement": next((p for p in chain if p.replaces_id == publication.pk), None),
        "previous": next((p for p in chain if p.pk == publication.replaces_id), None),
        "questions": questions,
        "staff_view": staff_view,
        "can_publish": can_publish,
        "can_edit": can_publish and publication.status == S.DRAFT,
        "can_out": can_publish and publication.status == S.PUBLISHED,
        "withdraw_form": ReasonForm() if can_publish and publication.status == S.PUBLISHED else None,
        "question_form": QuestionForm() if can_ask else None,
        "answer_form": AnswerForm() if can_publish else None,
        "community": community,
    }


@login_required
@page_errors
def item_new(request: HttpRequest) -> HttpResponse:
    if not policies.scope(request.user, Perm.PUBLISH):
        _require_staff(request)
        raise Forbidden()
    form = PublicationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            publication = actions.do_draft_publication(
                actor=request.user, node=form.cleaned_data["node"], **form.action_values()
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Draft saved. Check it, then publish it."))
            return redirect("disclosure:item", publication.pk)
    return render(request, "disclosure/form.html", {"form": form, "publication": None, "mode": "new"})


@login_required
@page_errors
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    publication = _load(request, pk, Perm.PUBLISH)
    form = PublicationForm(
        request.POST or None,
        user=request.user,
        fixed_node=True,
        initial=PublicationForm.initial_of(publication),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_publication(publication, actor=request.user, **form.action_values())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            return redirect("disclosure:item", publication.pk)
    return render(request, "disclosure/form.html", {"form": form, "publication": publication, "mode": "edit"})


@login_required
@page_errors
def item_correct(request: HttpRequest, pk: int) -> HttpResponse:
    publication = _load(request, pk, Perm.PUBLISH)
    form = CorrectionForm(
        request.POST or None,
        user=request.user,
        fixed_node=True,
        initial=PublicationForm.initial_of(publication),
    )
    if request.method == "POST" and form.is_valid():
        try:
            new = actions.do_correct_publication(
                publication, actor=request.user, reason=form.cleaned_data["reason"], **form.action_values()
            )
        except DomainError as exc:
            if exc.status == 409:
                messages.error(request, exc.message)
                return redirect("disclosure:item", publication.pk)
            _form_error(form, exc)
        else:
            messages.success(request, _("Corrected: the new version replaces the old one."))
            return redirect("disclosure:item", new.pk)
    return render(
        request, "disclosure/form.html", {"form": form, "publication": publication, "mode": "correct"}
    )


@login_required
@require_POST
@page_errors
def item_publish(request: HttpRequest, pk: int) -> HttpResponse:
    publication = _load(request, pk, Perm.PUBLISH)
    try:
        actions.do_publish_publication(publication, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Published: it is on the board now."))
    return redirect("disclosure:item", publication.pk)


@login_required
@require_POST
@page_errors
def item_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    publication = _load(request, pk, Perm.PUBLISH)
    try:
        actions.do_withdraw_publication(
            publication, actor=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Withdrawn: the board shows it as withdrawn, with the reason."))
    return redirect("disclosure:item", publication.pk)


@login_required
@require_POST
@page_errors
def item_ask(request: HttpRequest, pk: int) -> HttpResponse:
    publication = _load(request, pk)
    try:
        actions.do_ask_question(publication, actor=request.user, text=request.POST.get("text", ""))
    except DomainError as exc:
        if exc.status == 403:
            raise Forbidden(exc.message) from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your question was sent. The answer will be shown under the item."))
    return redirect("disclosure:item", publication.pk)


@login_required
@require_POST
@page_errors
def question_answer(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        question = Question.objects.get(pk=pk)
    except (Question.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    publication = _load(request, question.publication_id, Perm.PUBLISH)
    question.publication = publication
    try:
        actions.do_answer_question(question, actor=request.user, answer=request.POST.get("answer", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The answer is shown under the item."))
    return redirect("disclosure:item", publication.pk)


# The staff list --------------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> selectors.StaffFilters:
    return selectors.StaffFilters(
        status=request.GET.get("status", ""),
        kind=request.GET.get("kind", ""),
        node=_int(request.GET.get("node")),
        q=request.GET.get("q", "").strip(),
    )


@login_required
@page_errors
def staff_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    filters = _filters(request)
    (year, quarter), late = selectors.overdue_finances(request.user)
    return render(
        request,
        "disclosure/list.html",
        {
            "items": list(selectors.staff_list(request.user, filters)[:STAFF_LIST_SHOWN]),
            "filters": filters,
            "statuses": S.choices,
            "kinds": Kind.choices,
            "communities": list(policies.scope_communities(request.user)),
            "can_publish": bool(policies.scope(request.user, Perm.PUBLISH)),
            "late": late,
            "late_quarter": quarter_label(year, quarter),
            "open_questions": selectors.open_question_count(request.user),
        },
    )


@login_required
@page_errors
def staff_export(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook

    _require_staff(request)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = str(_("Publications"))[:31]
    sheet.append(
        [
            str(_("Title")),
            str(pgettext("disclosure", "Kind")),
            str(_("Published for")),
            str(_("Period covered")),
            str(pgettext("disclosure", "Audience")),
            str(_("Status")),
            str(_("Version")),
            str(_("Published at")),
            str(_("Reads")),
            str(_("Total (yuan)")),
        ]
    )
    for p in selectors.staff_list(request.user, _filters(request))[:5000]:
        sheet.append(
            [
                p.title,
                str(p.get_kind_display()),
                p.node.name,
                p.period_label,
                str(p.get_audience_display()),
                str(p.get_status_display()),
                p.version,
                timezone.localtime(p.published_at).strftime("%Y-%m-%d %H:%M") if p.published_at else "",
                p.read_count,
                float(p.total_yuan) if p.items else None,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="disclosure.xlsx"'
    return response
