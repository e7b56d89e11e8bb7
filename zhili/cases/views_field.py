"""The grid worker's phone page: my tasks, my grid's open cases, and 巡查上报 in three taps."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhili.accounts.roles import Role
from zhili.cases import actions, selectors
from zhili.cases.forms import PatrolForm, read_photos
from zhili.cases.models import Channel
from zhili.cases.policies import staff_paths
from zhili.core.errors import DomainError, Forbidden
from zhili.core.http import page_errors
from zhili.territory.models import Node

FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.HANDLER})


def _require_field_staff(request: HttpRequest) -> None:
    if not staff_paths(request.user, FIELD_ROLES):
        raise Forbidden()


@login_required
@page_errors
def field(request: HttpRequest) -> HttpResponse:
    _require_field_staff(request)
    is_grid_worker = bool(staff_paths(request.user, {Role.GRID_WORKER}))
    return render(
        request,
        "cases/field.html",
        {
            "tasks": selectors.field_tasks(request.user),
            "grid_cases": selectors.grid_open_cases(request.user) if is_grid_worker else None,
            "can_patrol": is_grid_worker,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def patrol_report(request: HttpRequest) -> HttpResponse:
    """Only grid workers file patrol reports (the intake action checks it again)."""
    grid_paths = staff_paths(request.user, {Role.GRID_WORKER})
    if not grid_paths:
        raise Forbidden()
    categories = selectors.patrol_categories()
    form = PatrolForm(request.POST or None, request.FILES or None, categories=categories)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        category = data["category"]
        title = (data.get("title") or "").strip() or category.name
        lat, lng = data.get("lat"), data.get("lng")
        # Without a position (the phone refused it) the report is filed under the worker's own grid.
        node = None if lat is not None else Node.objects.filter(path=grid_paths[0]).first()
        try:
            case = actions.do_submit_case(
                actor=request.user,
                channel=Channel.PATROL,
                title=title,
                body=(data.get("note") or "").strip() or title,
                lat=lat,
                lng=lng,
                node=node,
                category=category,
                photos=read_photos(data.get("photos") or []),
            )
        except Forbidden:
            raise
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Reported: %(code)s") % {"code": case.code})
            return redirect("cases:field")
    status = 422 if request.method == "POST" else 200
    return render(request, "cases/patrol.html", {"form": form, "categories": categories}, status=status)
