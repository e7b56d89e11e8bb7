"""Public case pages: the resident's report form and tracking by code, no login needed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from zhili.cases import actions, ratelimit, selectors, tracking
from zhili.cases.forms import ReportForm, TrackForm, read_photos
from zhili.cases.intake import client_address
from zhili.cases.models import Channel
from zhili.core.errors import DomainError

SUBMIT_SCOPE = "cases-submit"


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
