"""Staff case pages: the queue and the case page (public pages are in views_public).

The case page and /api/v1/cases/{id}/transitions/{name} call the same actions (``api.run_transition``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhili.cases import selectors
from zhili.cases.actions import do_record_contact, do_reveal_contact, may_record_contact, may_reveal_contact
from zhili.cases.api import TransitionIn, run_transition
from zhili.cases.forms import (
    TRANSITION_FIELDS,
    BulkDispatchForm,
    TransitionForm,
    WorkbenchFilterForm,
    read_photos,
)
from zhili.cases.photos import photo_response
from zhili.cases.policies import case_roles, get_case_for_user
from zhili.cases.states import STAFF_DISPATCH
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors

PAGE_SIZE = 50


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# Filters that never go into an address (the address bar, the history, links, Referer headers).
PRIVATE_FILTERS = ("phone",)


def _filter_params(request: HttpRequest) -> QueryDict:
    """The workbench's filters: from the query string, or from the filter form posted to the list or
    the export (the page posts it, so that a phone search keeps the number in the request body)."""
    match = request.resolver_match
    if request.method == "POST" and match is not None and match.url_name in ("list", "export"):
        params = request.GET.copy()
        for name, values in request.POST.lists():
            if name != "csrfmiddlewaretoken":
                params.setlist(name, values)
        return params
    return request.GET


def _workbench_form(request: HttpRequest) -> tuple[WorkbenchFilterForm, selectors.CaseFilters, list[str]]:
    queues = selectors.available_queues(request.user)
    params = _filter_params(request)
    form = WorkbenchFilterForm(params, choices=selectors.filter_choices(request.user), queues=[*queues, ""])
    queue = params.get("queue", selectors.default_queue(request.user))
    if form.is_valid():
        d = form.cleaned_data
        queue = d["queue"] if "queue" in params else selectors.default_queue(request.user)
        filters = selectors.CaseFilters(
            queue=queue,
            status=d["status"] or "",
            sla_state=d["sla_state"] or "",
            q=d["q"] or "",
            phone=d["phone"] or "",
            mine=bool(d["mine"]),
            category=d["category"],
            grid=d["grid"],
            department=d["department"],
            date_from=d["date_from"],
            date_to=d["date_to"],
        )
    else:
        # Bad filters narrow nothing and show their errors; the tab still holds.
        filters = selectors.CaseFilters(queue=queue if queue in queues else "")
    return form, filters, queues


def _query_without(request: HttpRequest, *names: str) -> str:
    params = _filter_params(request).copy()
    for name in (*names, *PRIVATE_FILTERS):
        params.pop(name, None)
    return params.urlencode()


def _workbench_context(request: HttpRequest, summary: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    form, filters, queues = _workbench_form(request)
    number = _filter_params(request).get("page")
    page = Paginator(selectors.case_list(request.user, filters), PAGE_SIZE).get_page(number)
    labels = selectors.queue_labels()
    counts = selectors.queue_counts(request.user, queues)
    bulk = filters.queue == selectors.Queue.DISPATCH
    return {
        "form": form,
        "filters": filters,
        "tabs": [{"key": q, "label": labels[q], "count": counts.get(q, 0)} for q in queues],
        "page": page,
        "rows": selectors.with_countdown(page.object_list),
        "bulk": bulk,
        "targets": selectors.dispatch_targets(request.user) if bulk else None,
        "summary": summary,
        "query": _query_without(request, "page"),
        "tab_query": _query_without(request, "page", "queue"),
        # The export posts the filters (a phone filter among them) instead of putting them in a link.
        "export_params": [
            (name, value)
            for name, values in _filter_params(request).lists()
            if name != "page"
            for value in values
        ],
    }


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def case_list(request: HttpRequest) -> HttpResponse:
    """The workbench: a tab per queue, filters, SLA countdowns; htmx swaps only the results.

    A resident gets their own requests instead: staff queues, deadlines and exports are not theirs."""
    if selectors.is_resident_only(request.user):
        page = Paginator(selectors.my_requests(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "cases/mine.html", {"page": page})
    context = _workbench_context(request)
    context["partial"] = _is_htmx(request)
    template = "cases/_results.html" if _is_htmx(request) else "cases/list.html"
    # htmx swaps only 2xx answers: bad filters must still swap in to show why.
    ok = context["form"].is_valid() or _is_htmx(request)
    response = render(request, template, context, status=200 if ok else 422)
    if _is_htmx(request):
        # The address shown and kept in the history: the filters without the private ones.
        query = _query_without(request)
        response["HX-Push-Url"] = reverse("cases:list") + ("?" + query if query else "")
    return response


@login_required
@require_POST
@page_errors
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    """Dispatch several cases of the queue to one target: one dispatch action per case, each in its
    own transaction, so that a refusal of one leaves the others done. A summary says which."""
    form = BulkDispatchForm(request.POST, targets=selectors.dispatch_targets(request.user))
    summary: list[dict[str, Any]] = []
    if form.is_valid():
        data = form.cleaned_data
        payload = TransitionIn(
            note=data.get("note") or "",
            department=data["department"].pk if data.get("department") else None,
            grid=data["grid"].pk if data.get("grid") else None,
            into=None,
        )
        for case_id in dict.fromkeys(data["ids"]):
            try:
                case = selectors.case_detail(request.user, case_id)
            except NotFound:
                summary.append({"code": "#" + str(case_id), "ok": False, "message": _("Not found.")})
                continue
            try:
                run_transition(request.user, case, "dispatch", payload)
            except Forbidden:
                summary.append({"code": case.code, "ok": False, "message": _("You may not dispatch it.")})
            except (NotFound, DomainError) as exc:
                summary.append({"code": case.code, "ok": False, "message": exc.message})
            else:
                summary.append({"code": case.code, "ok": True, "message": _("Dispatched.")})
    else:
        errors = [str(e) for field in form.errors.values() for e in field]
        summary.append({"code": "", "ok": False, "message": " ".join(errors)})
    context = _workbench_context(request, summary=summary)
    context["bulk_form"] = form
    context["partial"] = _is_htmx(request)
    template = "cases/_results.html" if _is_htmx(request) else "cases/list.html"
    return render(request, template, context, status=200 if _is_htmx(request) or form.is_valid() else 422)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def export_cases(request: HttpRequest) -> HttpResponse:
    """The filtered list as .xlsx, without personal data (see zhili.cases.export); audited."""
    from django.utils import timezone

    from zhili.cases.actions.export import do_export_cases

    form, filters, _queues = _workbench_form(request)
    if not form.is_valid():
        return case_list(request)
    content = do_export_cases(selectors.case_list(request.user, filters), actor=request.user, filters=filters)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response


def _panel_context(
    request: HttpRequest, case_id: int, error: str = "", form: Any = None, done: str = ""
) -> dict[str, Any]:
    case = selectors.case_detail(request.user, case_id)
    view = selectors.staff_view(request.user, case)
    for event in view["events"]:
        event["details"] = selectors.event_details(event)
    transitions = []
    for name in view["allowed_transitions"]:
        bound = form if form is not None and getattr(form, "transition", "") == name else None
        transitions.append(
            {
                "name": name,
                "label": selectors.action_label(name),
                "form": bound or TransitionForm(case=case, user=request.user, prefix=name),
                "fields": TRANSITION_FIELDS.get(name, ()),
            }
        )
    photos = selectors.photo_urls(case)
    for event in view["events"]:
        event["photo_urls"] = photos.get(event["id"], [])
    context: dict[str, Any] = {
        "case": case,
        "view": view,
        "may_reveal_contact": may_reveal_contact(request.user, case) and bool(view["contact"]["mobile"]),
        "may_record_contact": may_record_contact(request.user, case),
        "contact_overdue": selectors.contact_overdue(case),
        "transitions": transitions,
        "error": error,
        "done": done,
        "supports": selectors.support_count(case),
    }
    if case_roles(request.user, case) & STAFF_DISPATCH:
        # The dispatcher's panel: how sure the classifier was, and what may be the same request.
        context["classifier"] = selectors.classifier_view(case)
        context["duplicates"] = selectors.duplicates(request.user, case)
    return context


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
    error = done = ""
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
            # Only the forms that show the field send it (see TRANSITION_FIELDS).
            category=data["category"].code
            if data.get("category") and "category" in TRANSITION_FIELDS.get(name, ())
            else None,
        )
        try:
            run_transition(request.user, case, name, payload, read_photos(data.get("photos") or []))
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            error = exc.message
        else:
            done = _("Done: %(action)s.") % {"action": selectors.action_label(name)}
            if not _is_htmx(request):
                messages.success(request, done)
                return redirect("cases:detail", case_id=case_id)
            form = None
    else:
        error = _("Please correct the form.")
    context = _panel_context(
        request, case_id, error=error, form=form if error else None, done="" if error else done
    )
    template = "cases/_panel.html" if _is_htmx(request) else "cases/detail.html"
    # htmx swaps only 2xx answers; a plain form post shows the refusal with 422.
    return render(request, template, context, status=200 if _is_htmx(request) or not error else 422)


@login_required
@require_POST
@page_errors
def merge_duplicate(request: HttpRequest, case_id: int, other_id: int) -> HttpResponse:
    """ "Merge into this one": the duplicate ``other_id`` folds into the case on the page, through the
    merge transition (the same action as the case page's merge form and the API)."""
    main = selectors.case_detail(request.user, case_id)
    other = selectors.case_detail(request.user, other_id)
    error = ""
    try:
        run_transition(request.user, other, "merge", TransitionIn(into=main.code))
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        error = exc.message
    if not _is_htmx(request) and not error:
        return redirect("cases:detail", case_id=case_id)
    context = _panel_context(request, case_id, error=error)
    template = "cases/_panel.html" if _is_htmx(request) else "cases/detail.html"
    return render(request, template, context, status=200 if _is_htmx(request) or not error else 422)


@login_required
@require_POST
@page_errors
def record_contact(request: HttpRequest, case_id: int) -> HttpResponse:
    """已联系居民: the handler or grid worker holding the case says how they reached the resident
    (the first contact stops the contact deadline)."""
    case = selectors.case_detail(request.user, case_id)
    note = request.POST.get("note", "")
    error = done = ""
    try:
        do_record_contact(case, actor=request.user, note=note)
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        error = exc.message
    else:
        done = _("The contact with the resident was recorded.")
        if not _is_htmx(request):
            messages.success(request, done)
            return redirect("cases:detail", case_id=case_id)
    context = _panel_context(request, case_id, error=error, done=done)
    if error:
        context["contact_note"] = note
    template = "cases/_panel.html" if _is_htmx(request) else "cases/detail.html"
    return render(request, template, context, status=200 if _is_htmx(request) or not error else 422)


@login_required
@require_POST
@page_errors
def reveal_contact(request: HttpRequest, case_id: int) -> HttpResponse:
    """The reporter's full phone number for a call back, with a reason (audited); never cached."""
    case = get_case_for_user(request.user, case_id)
    reason = request.POST.get("reason", "")
    try:
        contact, error = do_reveal_contact(case, actor=request.user, reason=reason), ""
    except Forbidden:
        raise
    except DomainError as exc:
        contact, error = {}, exc.message
    if not _is_htmx(request):
        context = _panel_context(request, case_id, error=error)
        context["revealed"] = contact
        response = render(request, "cases/detail.html", context)
    else:
        response = render(
            request,
            "cases/_contact.html",
            {
                "case": case,
                "view": {"contact": selectors.contact_for_staff(case)},
                "revealed": contact,
                # Its own name: on the whole page "error" is the last action's, shown at the top.
                "reveal_error": error,
                "reason": reason,
            },
        )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def case_photo(request: HttpRequest, case_id: int, token: str) -> FileResponse:
    """A photo of a case, to those who may see the case (its location already stripped at upload)."""
    try:
        return photo_response(selectors.case_photo(request.user, case_id, token=token))
    except NotFound:
        raise Http404 from None
