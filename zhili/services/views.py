"""Services pages: the catalogue (managed by administrators and community staff), a grid worker's
outreach tasks (phone-sized), and the overview with its chart and export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors
from zhili.services import actions, policies, selectors
from zhili.services.exporting import do_export_open_tasks
from zhili.services.forms import OutcomeForm, ServiceForm
from zhili.services.models import Service
from zhili.services.policies import Perm
from zhili.services.states import Outcome, TaskStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_staff(request: HttpRequest) -> None:
    if not policies.scope(request.user, Perm.VIEW):
        raise NotFound()


def _require(request: HttpRequest, perm: Perm) -> None:
    """404 for those who see nothing of services, 403 for staff without ``perm``."""
    if not policies.scope(request.user, perm):
        _require_staff(request)
        raise Forbidden()


def _form_error(form: Any, exc: DomainError) -> None:
    field = exc.params.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


# The catalogue --------------------------------------------------------------------------------------


@login_required
@page_errors
def catalogue(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    return render(
        request,
        "services/catalogue.html",
        {
            "rows": selectors.catalogue(request.user),
            "can_manage": bool(policies.scope(request.user, Perm.MANAGE)),
            "has_tasks": bool(policies.scope(request.user, Perm.RECORD)),
            "has_overview": bool(policies.scope(request.user, Perm.OVERVIEW)),
        },
    )


def _service_form_page(request: HttpRequest, form: ServiceForm, service: Service | None) -> HttpResponse:
    return render(request, "services/service_form.html", {"form": form, "service": service})


def _save_service(request: HttpRequest, form: ServiceForm, service: Service | None) -> HttpResponse:
    """The form page of a new (``service`` None) or existing service, saved on a valid POST."""
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_save_service(
                service, actor=request.user, node=form.cleaned_data["node"], **form.action_values()
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Service saved."))
            return redirect("services:catalogue")
    return _service_form_page(request, form, service)


@login_required
@page_errors
def service_new(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.MANAGE)
    return _save_service(request, ServiceForm(request.POST or None, user=request.user), None)


@login_required
@page_errors
def service_edit(request: HttpRequest, service_id: int) -> HttpResponse:
    service = policies.get_service_for_user(request.user, service_id, Perm.MANAGE)
    initial = {
        "node": service.node,
        "name": service.name,
        "description": service.description,
        "department": service.department,
        "tag_codes": service.tag_codes,
        "min_age": service.min_age,
        "interval_days": service.interval_days,
        "due_days": service.due_days,
        "active": service.active,
    }
    return _save_service(
        request, ServiceForm(request.POST or None, user=request.user, initial=initial), service
    )


@login_required
@require_POST
@page_errors
def generate(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.MANAGE)
    result = actions.do_generate_outreach(actor=request.user)
    text = _("%(created)s new outreach tasks; %(matched)s residents need the services.")
    if result.withdrawn:
        text += " " + _("%(withdrawn)s tasks are no longer needed.")
    messages.success(request, text % result.as_dict())
    return redirect("services:catalogue")


# Outreach tasks (phone) ---------------------------------------------------------------------------

TASKS_SHOWN = 300


@login_required
@page_errors
def task_list(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.RECORD)
    tasks = list(selectors.my_tasks(request.user)[:TASKS_SHOWN])
    today = timezone.localdate()
    for task in tasks:
        task.masked_name = selectors.masked_name(task)  # type: ignore[attr-defined]
        task.is_overdue = task.due_on < today  # type: ignore[attr-defined]
    done = selectors.my_recent_done(request.user)
    for task in done:
        task.masked_name = selectors.masked_name(task)  # type: ignore[attr-defined]
    return render(request, "services/task_list.html", {"tasks": tasks, "done": done})


@login_required
@page_errors
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = policies.get_task_for_user(request.user, task_id)
    form = OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_record_outreach(
                task, actor=request.user, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Outcome recorded."))
            return redirect("services:tasks")
    return render(
        request,
        "services/task_detail.html",
        {
            "task": task,
            "masked_name": selectors.masked_name(task),
            "overdue": selectors.overdue(task),
            "form": form,
            "outcomes": Outcome.choices,
            "open": task.status == TaskStatus.OPEN,
        },
    )


# The overview -------------------------------------------------------------------------------------


def _chart(data: selectors.Overview) -> dict[str, Any]:
    rows = data.by_service
    return {
        "services": [row.service for row in rows],
        "series": [
            {"key": "reached", "name": _("Reached in the interval"), "data": [r.reached for r in rows]},
            {"key": "open", "name": _("Open, in time"), "data": [r.open - r.overdue for r in rows]},
            {"key": "overdue", "name": _("Overdue"), "data": [r.overdue for r in rows]},
        ],
    }


@login_required
@page_errors
def overview(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.OVERVIEW)
    data = selectors.overview(request.user)
    return render(
        request,
        "services/overview.html",
        {"data": data, "chart": _chart(data), "can_export": bool(policies.scope(request.user, Perm.EXPORT))},
    )


@login_required
@page_errors
def overview_xlsx(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.EXPORT)
    content, _count = do_export_open_tasks(actor=request.user)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="outreach-open-tasks.xlsx"'
    return response
