"""来电登记: the hotline operator's page. Dispatchers and community staff log a call while the caller
speaks; the page tells them what to read back (the tracking code), whether the caller has called
about something still open, and lists the calls they logged today."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from zhili.cases import actions, selectors
from zhili.cases.contact import MOBILE_RE, last4, normalise_phone
from zhili.cases.forms import HotlineForm
from zhili.cases.models import Channel
from zhili.cases.policies import staff_paths
from zhili.cases.states import OPEN_STATUSES
from zhili.core.errors import DomainError, Forbidden
from zhili.core.http import page_errors

# The call just logged, for the panel that tells the operator what to read back (never in a URL).
LOGGED_SESSION_KEY = "cases_hotline_logged"


def _require_operator(request: HttpRequest) -> None:
    if not staff_paths(request.user, selectors.HOTLINE_ROLES):
        raise Forbidden()


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def hotline(request: HttpRequest) -> HttpResponse:
    _require_operator(request)
    areas = selectors.hotline_areas(request.user)
    form = HotlineForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = actions.do_submit_case(
                actor=request.user,
                channel=Channel.HOTLINE,
                title=data["title"],
                body=data["body"],
                address=data.get("address") or "",
                node=data.get("area"),
                category=data.get("category"),
                urgency=data["urgency"],
                contact_name=data.get("caller_name") or "",
                contact_mobile=data["caller_phone"],
                anonymous=bool(data.get("anonymous")),
            )
        except Forbidden:
            raise
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            phone = data["caller_phone"]
            request.session[LOGGED_SESSION_KEY] = {
                "id": case.pk,
                "code": case.code,
                "last4": last4(phone),
                "texted": bool(MOBILE_RE.match(phone)),
            }
            # Post/redirect/get: the next call starts on an empty form, and a reload sends nothing.
            return redirect("cases:hotline")
    logged = request.session.pop(LOGGED_SESSION_KEY, None) if request.method == "GET" else None
    context = {
        "form": form,
        "logged": logged,
        "recent": selectors.hotline_recent(request.user),
    }
    status = 422 if request.method == "POST" else 200
    response = render(request, "cases/hotline.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
@page_errors
def caller(request: HttpRequest) -> HttpResponse:
    """htmx: earlier cases from the number being typed (POST: the number stays out of URLs)."""
    _require_operator(request)
    phone = normalise_phone(request.POST.get("caller_phone", "")[:20])
    if sum(ch.isdigit() for ch in phone) < 7:
        return render(request, "cases/_caller.html", {"checked": False})
    cases, open_count, total = selectors.caller_history(request.user, phone)
    context = {
        "checked": True,
        "cases": cases,
        "open_count": open_count,
        "total": total,
        "days": selectors.CALLER_DAYS,
        "open_statuses": sorted(OPEN_STATUSES),
    }
    return render(request, "cases/_caller.html", context)
