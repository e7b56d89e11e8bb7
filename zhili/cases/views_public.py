"""Public case pages: the resident's report form (with open cases near the pin, to add one's voice
to instead of filing again) and tracking by code (with the rating), no login needed."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zhili.cases import actions, selectors, tracking
from zhili.cases.actions.base import ReporterProof
from zhili.cases.actions.support import do_support_case
from zhili.cases.forms import ReportForm, SupportForm, TrackForm, TrackRateForm, read_photos
from zhili.cases.intake import client_address
from zhili.cases.models import Case, Channel
from zhili.core import ratelimit
from zhili.core.errors import DomainError, NotFound

SUBMIT_SCOPE = "cases-submit"
SIMILAR_SCOPE = "cases-similar"
SUPPORT_SALT = "zhili.cases.support"
SUPPORT_MAX_AGE = 3600  # a support button stays valid for an hour after the list was shown
# The session remembers the code of the request just sent (for the thank-you page after the redirect)
# and the cases this browser has already added its voice to.
SUBMITTED_SESSION_KEY = "cases_submitted_code"
SUPPORTED_SESSION_KEY = "cases_supported"


def submit_limit() -> tuple[int, int]:
    from django.conf import settings

    return int(getattr(settings, "ZHILI_SUBMIT_LIMIT", 20)), int(
        getattr(settings, "ZHILI_SUBMIT_WINDOW_SECONDS", 3600)
    )


def _blocked(request: HttpRequest, scope: str, limit: int, window: int) -> bool:
    """Every attempt counts; past ``limit`` in the window the client waits."""
    client = client_address(request)
    if ratelimit.is_blocked(scope, client, limit=limit):
        return True
    ratelimit.count_hit(scope, client, window=window)
    return False


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """The resident's form: no login needed; each client may send a limited number per hour."""
    logged_in = request.user.is_authenticated
    form = ReportForm(request.POST or None, request.FILES or None, logged_in=logged_in)
    if request.method == "POST":
        limit, window = submit_limit()
        if _blocked(request, SUBMIT_SCOPE, limit, window):
            return render(request, "cases/new.html", {"form": form, "blocked": True}, status=429)
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
                # Post/redirect/get: reloading the thank-you page must not send the request again.
                request.session[SUBMITTED_SESSION_KEY] = case.code
                return redirect("cases:submitted")
        return render(request, "cases/new.html", {"form": form}, status=422)
    return render(request, "cases/new.html", {"form": form})


@require_http_methods(["GET"])
def submitted(request: HttpRequest) -> HttpResponse:
    """The thank-you page with the tracking code of the request this browser has just sent."""
    code = request.session.get(SUBMITTED_SESSION_KEY)
    if not code:
        return redirect("cases:new")
    response = render(request, "cases/submitted.html", {"code": code})
    response["Cache-Control"] = "no-store"
    return response


def _float(value: str | None) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if -180 <= number <= 180 else None


@require_POST
def similar(request: HttpRequest) -> HttpResponse:
    """htmx: open cases near the pin like what the resident is typing (POST: the text stays out of
    URLs and logs). Each row carries a signed token for its +1 button, never the tracking code."""
    if _blocked(request, SIMILAR_SCOPE, 120, 600):
        return HttpResponse(status=429)
    lat, lng = _float(request.POST.get("lat")), _float(request.POST.get("lng"))
    if lat is None or lng is None:
        lat = lng = None
    rows = selectors.similar_near(
        title=request.POST.get("title", "")[:100],
        body=request.POST.get("body", "")[:2000],
        lat=lat,
        lng=lng,
        address=request.POST.get("address", "")[:200],
    )
    for row in rows:
        row["token"] = signing.dumps(row["case"].pk, salt=SUPPORT_SALT)
    return render(request, "cases/_similar.html", {"rows": rows})


@require_POST
def support(request: HttpRequest) -> HttpResponse:
    """+1 / 附议 on one of the similar cases instead of filing a new one."""
    limit, window = submit_limit()
    if _blocked(request, SUBMIT_SCOPE, limit, window):
        return render(
            request,
            "cases/_supported.html",
            {"error": _("Too many attempts. Try again later.")},
            status=429,
        )
    form = SupportForm(request.POST)
    error = ""
    case: Case | None = None
    if form.is_valid():
        supported = list(request.session.get(SUPPORTED_SESSION_KEY, []))
        try:
            pk = signing.loads(form.cleaned_data["token"], salt=SUPPORT_SALT, max_age=SUPPORT_MAX_AGE)
            if pk in supported:
                # Without an account or a number the action cannot tell a second tap from a second
                # resident: the browser's session can.
                raise DomainError(
                    "already_supported", _("You have already added your voice to this request."), status=409
                )
            case = do_support_case(
                pk,
                actor=request.user if request.user.is_authenticated else None,
                contact_mobile=form.cleaned_data.get("contact_mobile") or "",
            )
            request.session[SUPPORTED_SESSION_KEY] = [*supported, pk][-50:]
        except signing.BadSignature:
            error = _("This list is out of date: look for similar requests again.")
        except NotFound:
            error = _("This request is no longer open.")
        except DomainError as exc:
            error = exc.message
    else:
        error = _("Please correct the form.")
    context: dict[str, Any] = {"error": error, "supports": selectors.support_count(case) if case else 0}
    return render(request, "cases/_supported.html", context, status=422 if error else 200)


def grids_geojson(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(selectors.public_grids())
    response["Cache-Control"] = "public, max-age=300"
    return response


def _track_response(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, "cases/track.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Public tracking: the redacted timeline for the code and the last four digits of the phone.
    The look-up is a POST, so that the digits never appear in a URL, a browser history or a log; a
    GET only shows the form (with the code filled in when coming from the thank-you page)."""
    if request.method == "GET":
        form = TrackForm(initial={"code": request.GET.get("code", "")[:16]})
        return _track_response(request, {"form": form})
    form = TrackForm(request.POST)
    context: dict[str, Any] = {"form": form}
    status = 200
    if form.is_valid():
        try:
            case = tracking.lookup(
                client_address(request), form.cleaned_data["code"], form.cleaned_data["phone4"]
            )
        except DomainError as exc:
            context["error"] = exc.message
            status = exc.status
        else:
            context["public"] = selectors.public_view(case)
            context["rate_form"] = TrackRateForm(initial=form.cleaned_data)
    else:
        status = 422
    return _track_response(request, context, status)


@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    """回访评价 from the tracking page: the code and the digits are checked again (rate-limited), then
    the resident rates as the case's reporter through the same rating action as the case page."""
    form = TrackRateForm(request.POST)
    lookup_form = TrackForm(request.POST)
    context: dict[str, Any] = {"form": lookup_form}
    if not lookup_form.is_valid():
        return _track_response(request, context, 422)
    try:
        case = tracking.lookup(
            client_address(request), lookup_form.cleaned_data["code"], lookup_form.cleaned_data["phone4"]
        )
    except DomainError as exc:
        context["error"] = exc.message
        return _track_response(request, context, exc.status)
    status = 200
    if form.is_valid():
        try:
            actions.do_rate(
                case,
                actor=ReporterProof(case.pk),
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data.get("comment") or "",
            )
        except DomainError as exc:
            context["rate_error"] = exc.message
            status = exc.status
        else:
            context["rated"] = True
            form = TrackRateForm(initial=lookup_form.cleaned_data)
    else:
        status = 422
    case = selectors.public_case(case.pk)
    context["public"] = selectors.public_view(case)
    context["rate_form"] = form
    return _track_response(request, context, status)
