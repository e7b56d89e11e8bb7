"""Case pages: the staff queue and case page, the resident's report form, public tracking.

The case page and /api/v1/cases/{id}/transitions/{name} call the same actions (``api.run_transition``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zhili.cases import actions, ratelimit, selectors, tracking
from zhili.cases.api import TransitionIn, run_transition
from zhili.cases.forms import TRANSITION_FIELDS, ReportForm, TrackForm, TransitionForm, read_photos
from zhili.cases.intake import client_address
from zhili.cases.models import Channel, SlaState
from zhili.cases.states import CaseStatus
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors

PAGE_SIZE = 50
SUBMIT_SCOPE = "cases-submit"


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


def submit_limit() -> tuple[int, int]:
    from django.conf import settings

    return int(getattr(settings, "ZHILI_SUBMIT_LIMIT", 20)), int(
        getattr(settings, "ZHILI_SUBMIT_WINDOW_SECONDS", 3600)
    )


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """The resident's form: no login needed; each client may send a limited number per hour."""
    logged_in = request.user.is_authenticated
    form = ReportForm(request.POST or None, request.FILES or None, logged_in=logged_in)
    if request.method == "POST":
        client = client_address(request)
        limit, window = submit_limit()
        if ratelimit.is_blocked(SUBMIT_SCOPE, client, limit=limit):
            return render(request, "cases/new.html", {"form": form, "blocked": True}, status=429)
        ratelimit.count_failure(SUBMIT_SCOPE, client, window=window)  # every attempt counts
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = actions.do_submit_case(
                    actor=request.user if logged_in else None,
                    channel=Channel.H5,
                    title=data["title"],
                    body=data["body"],
                    lat=data.get("lat"),
                    lng=data.get("lng"),
                    address=data.get("address") or "",
                    category=data.get("category"),
                    contact_name=data.get("contact_name") or "",
                    contact_mobile=data.get("contact_mobile") or "",
                    anonymous=bool(data.get("anonymous")),
                    photos=read_photos(data.get("photos") or []),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return render(request, "cases/submitted.html", {"case": case})
        return render(request, "cases/new.html", {"form": form}, status=422)
    return render(request, "cases/new.html", {"form": form})


@require_http_methods(["GET"])
def track(request: HttpRequest) -> HttpResponse:
    """Public tracking: the redacted timeline for the code and the last four digits of the phone."""
    # Coming from the thank-you page with only the code: show the form with the code filled in.
    asked = "phone4" in request.GET
    form = TrackForm(request.GET if asked else None, initial={"code": request.GET.get("code", "")[:16]})
    context: dict[str, Any] = {"form": form}
    status = 200
    if asked and form.is_valid():
        try:
            case = tracking.lookup(
                client_address(request), form.cleaned_data["code"], form.cleaned_data["phone4"]
            )
        except DomainError as exc:
            context["error"] = exc.message
            status = exc.status
        else:
            context["public"] = selectors.public_view(case)
    response = render(request, "cases/track.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response
