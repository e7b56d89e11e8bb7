"""Consultation pages: staff run topics on a desktop, residents take part on their phones.

Every page loads its topic through ``policies``: staff pages through the staff scope (outsider
404, read-only roles 403 on writes), resident pages through what the user may see (staff scope or
the resident's own path). Writes call the same actions as the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors
from zhili.participation.consultations import actions, forms, policies, selectors
from zhili.participation.consultations.export import board_workbook
from zhili.participation.consultations.models import (
    Comment,
    Decision,
    Document,
    Follow,
    HideReason,
    Milestone,
    Proposal,
    Topic,
)
from zhili.participation.consultations.policies import ConsultAction
from zhili.participation.consultations.states import (
    COMMENTING,
    DECISION_STATES,
    EDITABLE,
    MEETING_STATES,
    MILESTONE_STATES,
    OUTCOME_STATES,
    TopicState,
    Transition,
    available,
)


def _staff(request: HttpRequest, pk: int, action: ConsultAction = ConsultAction.VIEW) -> Topic:
    return policies.get_topic_for_staff(request.user, pk, action)


def _uid(user: Any) -> int:
    return int(user.pk or 0)


def _back(topic: Topic) -> HttpResponse:
    return redirect("consultations:staff_topic", pk=topic.pk)


def _refusal(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


# ---------------------------------------------------------------------------------------------
# Staff pages


@login_required
@page_errors
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    if not policies.is_staff(request.user):
        raise NotFound()
    state = request.GET.get("state", "")
    topics = selectors.topics_with_counts(selectors.state_filter(policies.staff_topics(request.user), state))
    return render(
        request,
        "consultations/staff_list.html",
        {
            "topics": topics,
            "state": state,
            "states": TopicState.choices,
            "can_create": policies.manageable_nodes(request.user).exists(),
        },
    )


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def topic_new(request: HttpRequest) -> HttpResponse:
    nodes = policies.manageable_nodes(request.user)
    if not nodes.exists():
        if policies.is_staff(request.user):
            raise Forbidden()
        raise NotFound()
    form = forms.TopicForm(request.POST or None, nodes=nodes)
    if request.method == "POST" and form.is_valid():
        try:
            topic = actions.do_create_topic(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Topic created. Add its documents, then open the consultation."))
            return _back(topic)
    return render(request, "consultations/topic_form.html", {"form": form, "topic": None})


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def topic_edit(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _staff(request, pk, ConsultAction.MANAGE)
    initial = {name: getattr(topic, name) for name in actions.TOPIC_FIELDS}
    form = forms.TopicForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in actions.TOPIC_FIELDS}
        try:
            actions.do_update_topic(topic, actor=request.user, **values)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Topic saved."))
            return _back(topic)
    return render(request, "consultations/topic_form.html", {"form": form, "topic": topic})


@login_required
@page_errors
@require_GET
def staff_topic(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _staff(request, pk)
    decisions = selectors.outcome(topic)
    context = {
        "topic": topic,
        "can_manage": policies.can_manage(request.user, topic),
        "steps": [(name, Transition(name).label) for name in available(topic.state)],
        "editable": topic.state in EDITABLE,
        "documents": list(topic.documents.all()),
        "document_form": forms.DocumentForm(),
        "proposals": selectors.proposals(topic),
        "comments": selectors.comments(topic),
        "hide_form": forms.HideForm(),
        "hide_reasons": HideReason.choices,
        "meetings": selectors.meetings(topic),
        "decisions": decisions,
        "percent": selectors.topic_percent(decisions),
        "late": selectors.late_counts(decisions),
        "history": selectors.history(topic),
        "counts": selectors.staff_queue_counts(topic),
        "can_meet": topic.state in MEETING_STATES,
        "can_decide": topic.state in DECISION_STATES,
        "can_track": topic.state in MILESTONE_STATES,
        "milestone_form": forms.MilestoneForm(),
        "withdraw_form": forms.WithdrawForm(),
    }
    return render(request, "consultations/staff_topic.html", context)


@login_required
@page_errors
@require_POST
def document_add(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _staff(request, pk, ConsultAction.MANAGE)
    form = forms.DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > actions.documents.max_bytes():
            messages.error(
                request,
                _("A document may be at most %(mb)s MB.")
                % {"mb": actions.documents.max_bytes() // (1024 * 1024)},
            )
            return _back(topic)
        try:
            actions.do_add_document(
                topic,
                title=form.cleaned_data["title"],
                name=upload.name or "",
                data=upload.read(),
                actor=request.user,
            )
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("Document added."))
    else:
        messages.error(request, _("Choose a file."))
    return _back(topic)


@login_required
@page_errors
@require_POST
def document_remove(request: HttpRequest, pk: int, document_id: int) -> HttpResponse:
    topic = _staff(request, pk, ConsultAction.MANAGE)
    document = Document.objects.filter(topic=topic, pk=document_id).first()
    if document is None:
        raise NotFound()
    try:
        actions.do_remove_document(document, actor=request.user)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("Document removed."))
    return _back(topic)


@login_required
@page_errors
@require_POST
def transition(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    topic = _staff(request, pk, ConsultAction.MANAGE)
    if step not in Transition.values:
        raise NotFound()
    try:
        actions.do_transition_topic(topic, step, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(
            request,
            _("The topic is now “%(state)s”.")
            % {"state": Topic.objects.get(pk=topic.pk).get_state_display()},
        )
    return _back(topic)


@login_required
@page_errors
@require_POST
def moderate(request: HttpRequest, pk: int, kind: str, item_id: int) -> HttpResponse:
    topic = _staff(request, pk, ConsultAction.MANAGE)
    model: type[Proposal] | type[Comment] = Proposal if kind == "proposal" else Comment
    if kind not in ("proposal", "comment"):
        raise NotFound()
    item = model.objects.filter(topic=topic, pk=item_id).first()
    if item is None:
        raise NotFound()
    try:
        if request.POST.get("restore"):
            actions.do_restore_item(item, actor=request.user)
            messages.success(request, _("Restored."))
        else:
            form = forms.HideForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Choose a reason from the list."))
                return _back(topic)
            actions.do_hide_item(
                item, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"], actor=request.user
            )
            messages.success(request, _("Hidden. Residents see that it was hidden and why."))
    except DomainError as exc:
        _refusal(request, exc)
    return _back(topic)


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _staff(request, pk, ConsultAction.MANAGE)
    form = forms.MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_record_meeting(
                topic,
                held_at=data["held_at"],
                place=data["place"],
                agenda=data["agenda"],
                minutes=data["minutes"],
                expected_count=data["expected_count"],
                attendees=form.attendees(),
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Meeting recorded."))
            return _back(topic)
    return render(request, "consultations/meeting_form.html", {"form": form, "topic": topic})


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def decision_form(request: HttpRequest, pk: int, decision_id: int | None = None) -> HttpResponse:
    topic = _staff(request, pk, ConsultAction.MANAGE)
    decision = None
    initial: dict[str, Any] = {}
    if decision_id is not None:
        decision = Decision.objects.filter(topic=topic, pk=decision_id).first()
        if decision is None:
            raise NotFound()
        initial = {
            name: getattr(decision, name)
            for name in ("text", "responsible_unit", "responsible_person", "due_on")
        }
        initial["meeting"] = decision.meeting_id or ""
    form = forms.DecisionForm(
        request.POST or None, initial=initial, meetings=topic.meetings.all(), editing=decision is not None
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        note = data.pop("note", "")
        try:
            if decision is None:
                actions.do_record_decision(topic, actor=request.user, **data)
                messages.success(request, _("Decision recorded. Followers were told."))
            else:
                actions.do_update_decision(decision, actor=request.user, note=note, **data)
                messages.success(request, _("Decision saved; the change is kept in the history."))
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return _back(topic)
    return render(
        request, "consultations/decision_form.html", {"form": form, "topic": topic, "decision": decision}
    )


@login_required
@page_errors
@require_POST
def milestone_new(request: HttpRequest, pk: int, decision_id: int) -> HttpResponse:
    topic = _staff(request, pk, ConsultAction.MANAGE)
    decision = Decision.objects.filter(topic=topic, pk=decision_id).first()
    if decision is None:
        raise NotFound()
    form = forms.MilestoneForm(request.POST)
    if form.is_valid():
        try:
            actions.do_add_milestone(decision, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("Milestone added."))
    else:
        messages.error(request, _("Give the milestone a title and a due date."))
    return _back(topic)


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def milestone_edit(request: HttpRequest, pk: int, milestone_id: int) -> HttpResponse:
    topic = _staff(request, pk, ConsultAction.MANAGE)
    milestone = (
        Milestone.objects.filter(decision__topic=topic, pk=milestone_id).select_related("decision").first()
    )
    if milestone is None:
        raise NotFound()
    form = forms.ProgressForm(
        request.POST or None,
        initial={"percent": milestone.percent, "status": milestone.status, "due_on": milestone.due_on},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        note = data.pop("note", "")
        try:
            actions.do_update_milestone(milestone, actor=request.user, note=note, **data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Progress saved. Followers were told."))
            return _back(topic)
    return render(
        request, "consultations/milestone_form.html", {"form": form, "topic": topic, "milestone": milestone}
    )


# ---------------------------------------------------------------------------------------------
# Resident pages (phone first)


@login_required
@require_GET
def topics(request: HttpRequest) -> HttpResponse:
    user = request.user
    is_staff = policies.is_staff(user)
    listed = selectors.topics_with_counts(policies.listed_topics(user))
    return render(
        request,
        "consultations/list.html",
        {
            "topics": listed,
            "is_staff": is_staff,
            "drafts": (policies.staff_topics(user).filter(state=TopicState.DRAFT).count() if is_staff else 0),
            "verified": policies.linked_person(user) is not None,
            "following": set(Follow.objects.filter(user_id=_uid(user)).values_list("topic_id", flat=True)),
        },
    )


def _topic_context(request: HttpRequest, topic: Topic) -> dict[str, Any]:
    user = request.user
    person = policies.participant(user, topic)
    today = timezone.localdate()
    open_period = (
        topic.state == TopicState.CONSULTING
        and (topic.opens_on is None or topic.opens_on <= today)
        and (topic.closes_on is None or today <= topic.closes_on)
    )
    decisions = selectors.outcome(topic) if topic.state in OUTCOME_STATES or topic.decisions.exists() else []
    return {
        "topic": topic,
        "person": person,
        "can_propose": person is not None and open_period,
        "can_comment": person is not None and topic.state in COMMENTING,
        "documents": list(topic.documents.all()),
        "proposals": selectors.proposals(topic, person_id=person.pk if person else None),
        "comments": selectors.comments(topic),
        "following": Follow.objects.filter(topic=topic, user_id=_uid(user)).exists(),
        "proposal_form": forms.ProposalForm(),
        "comment_form": forms.CommentForm(),
        "decisions": decisions,
        "percent": selectors.topic_percent(decisions),
        "late": selectors.late_counts(decisions),
        "is_staff_viewer": policies.is_staff(user),
        "can_manage": policies.can_manage(user, topic),
    }


@login_required
@page_errors
@require_GET
def topic_page(request: HttpRequest, pk: int) -> HttpResponse:
    topic = policies.get_topic_for_user(request.user, pk)
    return render(request, "consultations/topic.html", _topic_context(request, topic))


@login_required
@require_GET
def document(request: HttpRequest, pk: int, document_id: int) -> FileResponse:
    try:
        topic = policies.get_topic_for_user(request.user, pk)
    except NotFound:
        raise Http404() from None
    doc = Document.objects.filter(topic=topic, pk=document_id).first()
    if doc is None:
        raise Http404()
    inline = doc.content_type in ("application/pdf", "image/jpeg", "image/png")
    response = FileResponse(
        doc.file.open("rb"),
        content_type=doc.content_type,
        as_attachment=not inline,
        filename=f"{doc.title}{doc.extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@page_errors
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    topic = policies.get_topic_for_user(request.user, pk)
    form = forms.ProposalForm(request.POST)
    if form.is_valid():
        try:
            actions.do_submit_proposal(topic, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if exc.status == 403:
                raise Forbidden(exc.message) from None
            _refusal(request, exc)
        else:
            messages.success(request, _("Thank you, your proposal is published."))
    else:
        messages.error(request, _("Give your proposal a title and a text."))
    return redirect("consultations:topic", pk=topic.pk)


@login_required
@page_errors
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    topic = policies.get_topic_for_user(request.user, pk)
    form = forms.CommentForm(request.POST)
    if form.is_valid():
        proposal = None
        if form.cleaned_data.get("proposal"):
            proposal = Proposal.objects.filter(topic=topic, pk=form.cleaned_data["proposal"]).first()
            if proposal is None:
                raise NotFound()
        try:
            actions.do_submit_comment(
                topic, body=form.cleaned_data["body"], proposal=proposal, actor=request.user
            )
        except DomainError as exc:
            if exc.status == 403:
                raise Forbidden(exc.message) from None
            _refusal(request, exc)
        else:
            messages.success(request, _("Comment published."))
    else:
        messages.error(request, _("Write your comment."))
    return redirect("consultations:topic", pk=topic.pk)


@login_required
@page_errors
@require_POST
def support(request: HttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    topic = policies.get_topic_for_user(request.user, pk)
    proposal = Proposal.objects.filter(topic=topic, pk=proposal_id).first()
    if proposal is None:
        raise NotFound()
    wanted = request.POST.get("support") == "1"
    error = ""
    try:
        actions.do_set_support(proposal, supported=wanted, actor=request.user)
    except DomainError as exc:
        if exc.status == 403:
            raise Forbidden(exc.message) from None
        error = exc.message
    if request.headers.get("HX-Request"):
        person = policies.participant(request.user, topic)
        row = next(
            p
            for p in selectors.proposals(topic, person_id=person.pk if person else None)
            if p.pk == proposal.pk
        )
        return render(
            request,
            "consultations/_support.html",
            {"topic": topic, "proposal": row, "can_propose": person is not None, "support_error": error},
        )
    if error:
        messages.error(request, error)
    return redirect("consultations:topic", pk=topic.pk)


@login_required
@page_errors
@require_POST
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    topic = policies.get_topic_for_user(request.user, pk)
    following = actions.do_set_follow(topic, following=request.POST.get("follow") == "1", actor=request.user)
    if request.headers.get("HX-Request"):
        return render(request, "consultations/_follow.html", {"topic": topic, "following": following})
    messages.success(
        request, _("You follow this topic.") if following else _("You no longer follow this topic.")
    )
    return redirect("consultations:topic", pk=topic.pk)


@login_required
@page_errors
@require_GET
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    topic = policies.get_topic_for_user(request.user, pk)
    decisions = selectors.outcome(topic)
    return render(
        request,
        "consultations/outcome.html",
        {
            "topic": topic,
            "decisions": decisions,
            "percent": selectors.topic_percent(decisions),
            "late": selectors.late_counts(decisions),
            "history": selectors.history(topic),
            "meetings": selectors.meetings(topic),
            "following": Follow.objects.filter(topic=topic, user_id=_uid(request.user)).exists(),
        },
    )


# ---------------------------------------------------------------------------------------------
# The accountability board


def _board(request: HttpRequest) -> selectors.Board:
    node = policies.get_board_node(request.user, request.GET.get("node"))
    return selectors.board(node, policies.board_topics(request.user, node))


@login_required
@page_errors
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    result = _board(request)
    chart = {
        "labels": [f"{row.topic.title[:12]}·{index + 1}" for index, row in enumerate(result.rows)],
        "values": [row.percent for row in result.rows],
        "name": _("Percent done"),
    }
    return render(
        request,
        "consultations/board.html",
        {
            "board": result,
            "nodes": policies.board_nodes(request.user),
            "chart": chart,
        },
    )


@login_required
@page_errors
@require_GET
def board_xlsx(request: HttpRequest) -> HttpResponse:
    result = _board(request)
    content = board_workbook(result)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="accountability-{result.node.code}-{stamp}.xlsx"'
    return response
