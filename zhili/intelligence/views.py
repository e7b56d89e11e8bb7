"""Pages: early warnings (list, evidence, confirm/dismiss) and the live hotspot list."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from zhili.accounts.roles import Role
from zhili.authz.policies import has_role, roles_of
from zhili.core.errors import DomainError, NotFound
from zhili.core.http import page_errors
from zhili.intelligence import selectors
from zhili.intelligence.actions import can_decide, do_decide_warning
from zhili.intelligence.states import (
    TRANSITION_LABELS,
    VIEW_ROLES,
    Severity,
    WarningKind,
    WarningState,
    allowed,
)

PAGE_SIZE = 50
# Who looks after the classifier: the dispatchers who live with its suggestions, and administrators.
CLASSIFIER_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _require_viewer(request: HttpRequest, roles: frozenset[str] = VIEW_ROLES) -> None:
    # Pages of a role the user does not hold do not exist for them.
    if not has_role(request.user, *roles):
        raise NotFound()


@login_required
@page_errors
def warning_list(request: HttpRequest) -> HttpResponse:
    _require_viewer(request)
    filters = selectors.WarningFilters(
        state=request.GET.get("state", ""),
        severity=request.GET.get("severity", ""),
        kind=request.GET.get("kind", ""),
    )
    page = Paginator(selectors.warning_list(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "intelligence/warnings.html",
        {
            "page": page,
            "filters": filters,
            "states": WarningState.choices,
            "severities": Severity.choices,
            "kinds": WarningKind.choices,
        },
    )


def _span(evidence: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """The first and last report of a repeated-report warning (stored as ISO text), or None."""
    try:
        return datetime.fromisoformat(evidence["first"]), datetime.fromisoformat(evidence["last"])
    except (KeyError, TypeError, ValueError):
        return None


def _detail_context(request: HttpRequest, warning_id: int, error: str = "") -> dict[str, Any]:
    warning = selectors.get_warning_for_user(request.user, warning_id)
    may_decide = can_decide(request.user, warning)
    return {
        "warning": warning,
        "ev": warning.evidence,
        "series": warning.evidence.get("series", []),
        "span": _span(warning.evidence),
        "cases": selectors.warning_cases(request.user, warning),
        "events": list(warning.events.select_related("actor")),
        "transitions": [(name, TRANSITION_LABELS[name]) for name in allowed(warning.state)]
        if may_decide
        else [],
        "error": error,
    }


@login_required
@page_errors
def warning_detail(request: HttpRequest, warning_id: int) -> HttpResponse:
    return render(request, "intelligence/warning.html", _detail_context(request, warning_id))


@login_required
@require_POST
@page_errors
def warning_decide(request: HttpRequest, warning_id: int, transition: str) -> HttpResponse:
    error = ""
    try:
        do_decide_warning(warning_id, transition, actor=request.user, note=request.POST.get("note", ""))
    except NotFound:
        raise
    except DomainError as exc:
        if exc.status == 403:
            raise
        error = exc.message
    else:
        if not _is_htmx(request):
            return redirect("intelligence:warning", warning_id=warning_id)
    context = _detail_context(request, warning_id, error=error)
    template = "intelligence/_decision.html" if _is_htmx(request) else "intelligence/warning.html"
    return render(request, template, context, status=200 if _is_htmx(request) or not error else 409)


@login_required
@page_errors
def warning_xlsx(request: HttpRequest, warning_id: int) -> HttpResponse:
    """The chart's numbers as a spreadsheet (daily requests against the expected count)."""
    from openpyxl import Workbook

    warning = selectors.get_warning_for_user(request.user, warning_id)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Evidence")[:31]
    ws.append([str(_("Day")), str(_("Requests")), str(_("Expected"))])
    for row in warning.evidence.get("series", []):
        ws.append([row["day"], row["count"], row["expected"]])
    if not warning.evidence.get("series"):
        ws.append(
            [pgettext("case records", "Cases"), len(warning.case_ids), warning.evidence.get("threshold", "")]
        )
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="warning-{warning.pk}.xlsx"'
    return response


@login_required
@page_errors
def hotspot_list(request: HttpRequest) -> HttpResponse:
    _require_viewer(request, VIEW_ROLES | {Role.DISPATCHER})
    return render(
        request,
        "intelligence/hotspots.html",
        {
            "snapshot": selectors.latest_snapshot(),
            "hotspots": list(selectors.visible_hotspots(request.user)[:50]),
        },
    )


@login_required
@page_errors
def classifier_versions(request: HttpRequest) -> HttpResponse:
    """The classifier's versions: which one decides at intake, how good each was, and why."""
    from zhili.intelligence.classify import KEYWORDS_VERSION

    _require_viewer(request, CLASSIFIER_ROLES)
    versions = selectors.classifier_versions()
    return render(
        request,
        "intelligence/classifier.html",
        {
            "versions": versions,
            "active": next((v for v in versions if v["version"].active), None),
            "keywords_version": KEYWORDS_VERSION,
            "is_admin": Role.ADMIN in roles_of(request.user),
        },
    )
