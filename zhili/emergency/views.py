"""Emergency pages: alerts (draft, approve, send, CAP export), the mobilisation board, a grid
worker's check tasks (phone-sized), acknowledgement links, and emergency mode."""

from __future__ import annotations

import io
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors
from zhili.emergency import actions, policies, selectors
from zhili.emergency.cap import alert_xml
from zhili.emergency.forms import AlertForm, CheckForm, MobiliseForm, ModeForm
from zhili.emergency.models import Acknowledgement, Alert, EmergencyMode
from zhili.emergency.policies import Perm
from zhili.emergency.states import TRANSITION_LABELS, AlertStatus, AlertTransition, CheckOutcome, allowed
from zhili.territory.models import GridBoundary, Node

T = AlertTransition


def _require_staff(request: HttpRequest) -> None:
    if not policies.scope(request.user, Perm.VIEW):
        raise NotFound()


def _grid_features(nodes: list[Node]) -> dict[str, Any]:
    features = []
    for boundary in GridBoundary.objects.filter(is_current=True, grid__in=nodes).select_related("grid"):
        features.append(
            {
                "type": "Feature",
                "geometry": boundary.geometry,
                "properties": {"id": boundary.grid_id, "name": boundary.grid.name},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _form_error(form: Any, exc: DomainError) -> None:
    field = exc.params.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


# Alerts ---------------------------------------------------------------------------------------------


@login_required
@page_errors
def alert_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    status = request.GET.get("status", "")
    alerts = selectors.alert_list(request.user, status)[:100]
    return render(
        request,
        "emergency/alert_list.html",
        {
            "alerts": alerts,
            "status": status,
            "statuses": AlertStatus.choices,
            "can_draft": bool(policies.scope(request.user, Perm.DRAFT)),
            "can_switch": bool(policies.scope(request.user, Perm.SWITCH_MODE)),
            "has_tasks": bool(policies.scope(request.user, Perm.CHECK)),
        },
    )


def _alert_form_page(request: HttpRequest, form: AlertForm, alert: Alert | None) -> HttpResponse:
    field = form.fields["grids"]
    assert isinstance(field, ModelMultipleChoiceField)
    grids = list(field.queryset or [])
    return render(
        request,
        "emergency/alert_form.html",
        {"form": form, "alert": alert, "grid_features": _grid_features(grids)},
    )


@login_required
@page_errors
def alert_new(request: HttpRequest) -> HttpResponse:
    if not policies.scope(request.user, Perm.DRAFT):
        _require_staff(request)
        raise Forbidden()
    form = AlertForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            alert = actions.do_draft_alert(
                actor=request.user, node=form.cleaned_data["node"], **form.action_values()
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            return redirect("emergency:alert", alert.pk)
    return _alert_form_page(request, form, None)


@login_required
@page_errors
def alert_edit(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = policies.get_alert_for_user(request.user, alert_id, Perm.DRAFT)
    initial = {
        name: getattr(alert, name)
        for name in AlertForm.base_fields
        if name not in ("node", "grids", "polygon") and hasattr(alert, name)
    }
    initial.update(
        node=alert.node,
        grids=list(alert.grids.all()),
        polygon=json.dumps(alert.polygon) if alert.polygon else "",
    )
    form = AlertForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_alert(alert, actor=request.user, **form.action_values())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            return redirect("emergency:alert", alert.pk)
    return _alert_form_page(request, form, alert)


def _detail_context(request: HttpRequest, alert: Alert, error: str = "") -> dict[str, Any]:
    user = request.user
    transitions = []
    for transition in (T.SUBMIT, T.APPROVE, T.REJECT, T.SEND, T.CANCEL):
        if not allowed(transition, alert.status):
            continue
        try:
            actions._guard(alert, transition, user)
        except DomainError:
            continue
        transitions.append({"name": transition.value, "label": TRANSITION_LABELS[transition]})
    can_draft = policies.can(user, Perm.DRAFT, alert)
    mobilise_form = None
    if can_draft and alert.status in (AlertStatus.APPROVED, AlertStatus.SENT):
        from zhili.residents.models import Tag
        from zhili.residents.policies import roles_at
        from zhili.residents.tags import tag_visible

        roles = roles_at(user, alert.node.path)
        tags = [t for t in Tag.objects.filter(active=True).order_by("code") if tag_visible(t, roles)]
        mobilise_form = MobiliseForm(tags=tags)
    grids = list(alert.grids.all())
    tag_names = selectors.tag_names()
    return {
        "alert": alert,
        "grids": grids,
        "events": selectors.history(alert, tag_names),
        "transitions": transitions,
        "can_edit": can_draft and alert.status == AlertStatus.DRAFT,
        "acks": selectors.ack_counts(alert),
        "own_ack": selectors.own_acknowledgement(alert, user),
        "ended_notice": actions.ended_notice(alert),
        "mobilise_form": mobilise_form,
        "mobilisations": selectors.mobilisations(alert, tag_names),
        "board": selectors.board(alert),
        "area_features": _grid_features(grids),
        "polygon": alert.polygon,
        "error": error,
    }


@login_required
@page_errors
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = policies.get_alert_for_user(request.user, alert_id)
    return render(request, "emergency/alert_detail.html", _detail_context(request, alert))


@login_required
@require_POST
@page_errors
def alert_act(request: HttpRequest, alert_id: int, name: str) -> HttpResponse:
    alert = policies.get_alert_for_user(request.user, alert_id)
    try:
        transition = AlertTransition(name)
    except ValueError:
        raise NotFound() from None
    if transition is T.EXPIRE:
        raise Forbidden()
    try:
        actions.do_transition_alert(alert, transition, actor=request.user, note=request.POST.get("note", ""))
    except DomainError as exc:
        if exc.status == 403 and exc.code == "forbidden":
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %(step)s.") % {"step": TRANSITION_LABELS[transition]})
    return redirect("emergency:alert", alert.pk)


@login_required
@require_POST
@page_errors
def alert_ack(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = policies.get_alert_for_user(request.user, alert_id)
    try:
        actions.do_acknowledge_as_user(alert, actor=request.user)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you: your acknowledgement is recorded."))
    return redirect("emergency:alert", alert.pk)


@login_required
@require_POST
@page_errors
def alert_mobilise(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = policies.get_alert_for_user(request.user, alert_id, Perm.DRAFT)
    try:
        mobilisation = actions.do_mobilise(alert, actor=request.user, tag_codes=request.POST.getlist("tags"))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(n)s new check tasks were created.") % {"n": mobilisation.new_tasks})
    return redirect("emergency:alert", alert.pk)


@login_required
@page_errors
def alert_cap(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = policies.get_alert_for_user(request.user, alert_id)
    response = HttpResponse(alert_xml(alert), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="alert-{alert.pk}.cap.xml"'
    return response


# The board --------------------------------------------------------------------------------------------


def _board_context(alert: Alert) -> dict[str, Any]:
    data = selectors.board(alert)
    chart = {
        "grids": [row.name for row in data.rows],
        "series": [
            {
                "key": CheckOutcome.SAFE.value,
                "name": str(CheckOutcome.SAFE.label),
                "data": [r.safe for r in data.rows],
            },
            {
                "key": CheckOutcome.NEEDS_HELP.value,
                "name": str(CheckOutcome.NEEDS_HELP.label),
                "data": [r.needs_help for r in data.rows],
            },
            {
                "key": CheckOutcome.UNREACHABLE.value,
                "name": str(CheckOutcome.UNREACHABLE.label),
                "data": [r.unreachable for r in data.rows],
            },
            {"key": "open", "name": _("Not yet checked"), "data": [r.open for r in data.rows]},
        ],
    }
    return {"alert": alert, "board": data, "chart": chart}


@login_required
@page_errors
def board(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = policies.get_alert_for_user(request.user, alert_id)
    template = (
        "emergency/_board.html" if request.headers.get("HX-Request") == "true" else "emergency/board.html"
    )
    return render(request, template, _board_context(alert))


@login_required
@page_errors
def board_xlsx(request: HttpRequest, alert_id: int) -> HttpResponse:
    from openpyxl import Workbook

    alert = policies.get_alert_for_user(request.user, alert_id)
    data = selectors.board(alert)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = str(_("Progress"))[:31]
    sheet.append(
        [
            str(_("Grid")),
            str(_("Households")),
            str(_("Checked")),
            str(CheckOutcome.SAFE.label),
            str(CheckOutcome.NEEDS_HELP.label),
            str(CheckOutcome.UNREACHABLE.label),
            str(_("Not yet checked")),
        ]
    )
    for row in [*data.rows, data.total]:
        sheet.append(
            [
                row.name or pgettext("sum", "Total"),
                row.total,
                row.done,
                row.safe,
                row.needs_help,
                row.unreachable,
                row.open,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="alert-{alert.pk}-progress.xlsx"'
    return response


# Check tasks (phone) ----------------------------------------------------------------------------------

PAST_TASKS_SHOWN = 200


@login_required
@page_errors
def task_list(request: HttpRequest) -> HttpResponse:
    if not policies.scope(request.user, Perm.CHECK):
        _require_staff(request)
        raise Forbidden()
    tasks = list(selectors.my_tasks(request.user)[:300])
    open_count = sum(1 for t in tasks if not t.outcome)
    past = list(selectors.my_past_tasks(request.user)[:PAST_TASKS_SHOWN])
    return render(
        request, "emergency/task_list.html", {"tasks": tasks, "open_count": open_count, "past_tasks": past}
    )


def _task_context(request: HttpRequest, task: Any, form: CheckForm | None = None) -> dict[str, Any]:
    return {
        "task": task,
        "people": selectors.task_people(request.user, task),
        "form": form or CheckForm(),
        "outcomes": CheckOutcome.choices,
    }


@login_required
@page_errors
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = policies.get_task_for_user(request.user, task_id)
    form = CheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_record_check(
                task,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Check recorded."))
            return redirect("emergency:tasks")
    return render(request, "emergency/task_detail.html", _task_context(request, task, form))


# Acknowledgement link (no login: residents reached by SMS) ---------------------------------------------


def ack(request: HttpRequest, token: str) -> HttpResponse:
    record = Acknowledgement.objects.select_related("alert").filter(token=token).first()
    if record is None or not token:
        raise Http404()
    status = 200
    if request.method == "POST":
        try:
            record = actions.do_acknowledge(token)
        except NotFound:
            raise Http404() from None
        except DomainError:
            status = 409  # the alert is over: the page below says so, without the button
            record.alert.refresh_from_db()
    context = {"ack": record, "alert": record.alert, "ended_notice": actions.ended_notice(record.alert)}
    return render(request, "emergency/ack.html", context, status=status)


# Emergency mode ---------------------------------------------------------------------------------------


@login_required
@page_errors
def mode(request: HttpRequest) -> HttpResponse:
    paths = policies.scope(request.user, Perm.SWITCH_MODE)
    if not paths:
        _require_staff(request)
        raise Forbidden()
    form = ModeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        node = form.cleaned_data["node"]
        on = request.POST.get("switch") == "on"
        alert = None
        if form.cleaned_data.get("alert"):
            alert = policies.get_alert_for_user(request.user, form.cleaned_data["alert"])
        try:
            actions.do_switch_emergency_mode(
                node, actor=request.user, on=on, reason=form.cleaned_data["reason"], alert=alert
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                raise
            _form_error(form, exc)
        else:
            messages.success(
                request, _("Emergency mode switched on.") if on else _("Emergency mode switched off.")
            )
            return redirect("emergency:mode")
    active = list(
        EmergencyMode.objects.filter(ended_at__isnull=True, node__in=_mode_nodes(form)).select_related(
            "node", "alert", "started_by"
        )
    )
    return render(
        request,
        "emergency/mode.html",
        {
            "form": form,
            "active": active,
            "history": selectors.mode_history(paths),
            "alert_id": request.GET.get("alert", ""),
        },
    )


def _mode_nodes(form: ModeForm) -> Any:
    field = form.fields["node"]
    assert isinstance(field, ModelChoiceField)
    return field.queryset


def board_url(alert: Alert) -> str:
    return reverse("emergency:board", args=[alert.pk])
