"""The auditor's page: the log of their subtree, filters, export and chain verification."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhili.audit import export, policies, selectors
from zhili.audit.actions import do_export_events, do_request_chain_verification
from zhili.audit.forms import EventFilterForm
from zhili.audit.models import ChainVerification
from zhili.audit.verify import REASON_LABELS, Reason
from zhili.authz.policies import Action, scope_paths
from zhili.core.http import page_errors
from zhili.territory.models import Node

PAGE_SIZE = 50


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _filter_form(request: HttpRequest) -> EventFilterForm:
    form = EventFilterForm(request.GET, user=request.user)
    form.is_valid()  # errors are shown next to the fields; the valid fields still filter
    return form


def _verification_context(request: HttpRequest) -> dict[str, Any]:
    if not policies.sees_system_events(request.user):
        return {"can_verify": False}
    verification = selectors.last_verification()
    reason = ""
    if verification is not None and verification.reason:
        try:
            reason = str(REASON_LABELS[Reason(verification.reason)])
        except ValueError:
            reason = verification.reason
    pending = verification is not None and verification.status in (
        ChainVerification.Status.QUEUED,
        ChainVerification.Status.RUNNING,
    )
    return {
        "can_verify": True,
        "verification": verification,
        "verification_reason": reason,
        "verification_pending": pending,
    }


@login_required
@require_GET
@page_errors
def events(request: HttpRequest) -> HttpResponse:
    policies.require_auditor(request.user)
    form = _filter_form(request)
    page = Paginator(selectors.events_for_user(request.user, form.filters()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": selectors.event_rows(page.object_list),
        "query": query.urlencode(),
        **_verification_context(request),
    }
    template = "audit/events.html#results" if _is_htmx(request) else "audit/events.html"
    return render(request, template, context)


def _export_node(user: Any, chosen: Node | None) -> Node | None:
    """The node the export belongs to in the log: the filtered node, else the auditor's only one."""
    if chosen is not None:
        return chosen
    paths = scope_paths(user, Action.VIEW_AUDIT)
    if len(paths) == 1:
        return Node.objects.filter(path=paths[0]).first()
    return None


@login_required
@require_GET
@page_errors
def export_events(request: HttpRequest) -> HttpResponse:
    policies.require_auditor(request.user)
    form = _filter_form(request)
    filters = form.filters()
    events = selectors.events_for_user(request.user, filters)
    back = reverse("audit:events") + ("?" + request.GET.urlencode() if request.GET else "")
    if events.count() > export.EXPORT_LIMIT:
        messages.error(
            request,
            _("More than %(limit)d events match; narrow the filters before exporting.")
            % {"limit": export.EXPORT_LIMIT},
        )
        return redirect(back)
    content = do_export_events(
        events=events,
        filters=filters.describe(),
        node=_export_node(request.user, filters.node),
        actor=request.user,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.xlsx"'
    return response


@login_required
@require_POST
@page_errors
def verify(request: HttpRequest) -> HttpResponse:
    policies.require_chain_verifier(request.user)
    do_request_chain_verification(actor=request.user)
    if _is_htmx(request):
        return render(request, "audit/events.html#verification", _verification_context(request))
    messages.success(request, _("Verification of the audit chain has been queued."))
    return redirect("audit:events")


@login_required
@require_GET
@page_errors
def verification(request: HttpRequest) -> HttpResponse:
    """The last verification, for the page to poll while it runs."""
    policies.require_chain_verifier(request.user)
    return render(request, "audit/events.html#verification", _verification_context(request))
