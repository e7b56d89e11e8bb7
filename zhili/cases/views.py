"""Staff case pages: the queue and the case page (public pages are in views_public).

The case page and /api/v1/cases/{id}/transitions/{name} call the same actions (``api.run_transition``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhili.cases import selectors
from zhili.cases.api import TransitionIn, run_transition
from zhili.cases.forms import TRANSITION_FIELDS, TransitionForm, read_photos
from zhili.cases.models import SlaState
from zhili.cases.states import CaseStatus
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors

PAGE_SIZE = 50


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@page_errors
def case_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.CaseFilters(
        status=request.GET.get("status", ""),
        sla_state=request.GET.get("sla_state", ""),
        q=request.GET.get("q", "")[:100],
        phone=request.GET.get("phone", "")[:20],
        mine=request.GET.get("mine") == "1",
    )
    page = Paginator(selectors.case_list(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": CaseStatus.choices,
            "sla_states": SlaState.choices,
        },
    )


def _panel_context(request: HttpRequest, case_id: int, error: str = "", form: Any = None) -> dict[str, Any]:
    case = selectors.case_detail(request.user, case_id)
    view = selectors.staff_view(request.user, case)
    transitions = []
    for name in view["allowed_transitions"]:
        bound = form if form is not None and getattr(form, "transition", "") == name else None
        transitions.append(
            {
                "name": name,
                "label": selectors.event_label(name),
                "form": bound or TransitionForm(case=case, user=request.user, prefix=name),
                "fields": TRANSITION_FIELDS.get(name, ()),
            }
        )
    return {"case": case, "view": view, "transitions": transitions, "error": error}


@login_required
@page_errors
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return render(request, "cases/detail.html", _panel_context(request, case_id))


@login_required
@require_POST
@page_errors
def case_act(request: HttpRequest, case_id: int, name: str) -> HttpResponse:
    case = selectors.case_detail(request.user, case_id)
    form: TransitionForm | None = TransitionForm(
        request.POST, request.FILES, case=case, user=request.user, prefix=name
    )
    assert form is not None
    form.transition = name  # type: ignore[attr-defined]
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        payload = TransitionIn(
            note=data.get("note") or "",
            reason=str((data.get("reject_reason") if name == "reject" else data.get("reason")) or ""),
            feedback=data.get("feedback") or "",
            department=data["department"].pk if data.get("department") else None,
            grid=data["grid"].pk if data.get("grid") else None,
            until=data.get("until"),
            rating=data.get("rating") or "",
            comment=data.get("comment") or "",
            into=data.get("into") or None,
        )
        try:
            run_transition(request.user, case, name, payload, read_photos(data.get("photos") or []))
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            error = exc.message
        else:
            if not _is_htmx(request):
                return redirect("cases:detail", case_id=case_id)
            form = None
    else:
        error = _("Please correct the form.")
    context = _panel_context(request, case_id, error=error, form=form if error else None)
    template = "cases/_panel.html" if _is_htmx(request) else "cases/detail.html"
    # htmx swaps only 2xx answers; a plain form post shows the refusal with 422.
    return render(request, template, context, status=200 if _is_htmx(request) or not error else 422)
