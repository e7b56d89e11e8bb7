"""Registry pages: phone pages for grid workers (search, household, person, visit), desk pages for
community staff (import, export, corrections), statistics for leaders, and residents' own pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from zhili.accounts.roles import Role
from zhili.authz.policies import has_role
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors
from zhili.residents import importing, selectors
from zhili.residents.actions import (
    PersonInput,
    do_create_person,
    do_decide_correction,
    do_look_up_by_number,
    do_record_own_download,
    do_record_person_view,
    do_record_visit,
    do_request_correction,
    do_reveal_pii,
    do_save_tag,
    do_set_person_tags,
    do_update_household_info,
    do_update_person,
)
from zhili.residents.exporting import do_export_residents
from zhili.residents.fields import REVEAL_FIELDS, Level, shown
from zhili.residents.forms import (
    CORRECTION_LABELS,
    CorrectionForm,
    DecisionForm,
    ExportForm,
    HouseholdInfoForm,
    ImportForm,
    PersonForm,
    RevealForm,
    SearchForm,
    TagForm,
    TagsForm,
    VisitForm,
    correction_value_label,
)
from zhili.residents.models import CorrectionStatus, HouseholdInfo, ImportJob, Tag
from zhili.residents.own import own_data, own_person
from zhili.residents.policies import Perm, field_levels, has_perm_anywhere, household_policy, roles_at, scope
from zhili.residents.tags import visible_tag_set
from zhili.residents.tasks import run_import

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _form_error(form: Any, exc: DomainError) -> None:
    field = exc.params.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


def _no_store(response: HttpResponse) -> HttpResponse:
    # Pages with personal data: never kept by the browser or a proxy.
    response["Cache-Control"] = "no-store, private"
    return response


def _attachment(content: bytes, filename: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _no_store(response)


def _links(user: Any) -> dict[str, bool]:
    return {
        "can_search": has_perm_anywhere(user, Perm.VIEW),
        "can_import": has_perm_anywhere(user, Perm.IMPORT),
        "can_export": has_perm_anywhere(user, Perm.EXPORT),
        "can_correct": has_perm_anywhere(user, Perm.CORRECTIONS),
        "can_stats": has_perm_anywhere(user, Perm.STATISTICS),
        "can_tags": has_perm_anywhere(user, Perm.MANAGE_TAGS),
    }


# Search -------------------------------------------------------------------------------------------


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """The search box posts, so that ID numbers and mobiles stay out of URLs, history and logs;
    a number is not written back into the page either."""
    links = _links(request.user)
    if not links["can_search"]:
        if own_person(request.user) is not None or has_role(request.user, Role.RESIDENT):
            return redirect("residents:me")
        for key, target in (("can_stats", "residents:statistics"), ("can_tags", "residents:tags")):
            if links[key]:
                return redirect(target)
        raise NotFound()
    form = SearchForm(request.POST or request.GET or None)
    results: list[Any] = []
    kind = ""
    more = False
    searched = form.is_bound and form.is_valid() and bool(form.cleaned_data["q"])
    if (
        searched
        and request.method != "POST"
        and selectors.classify_query(form.cleaned_data["q"])[0] != "name"
    ):
        # A number in a link is already in the URL, the history and the server log: not searched,
        # and sent away from the address bar.
        messages.error(
            request, _("Type ID numbers and mobiles into the search box; they are not searched from links.")
        )
        return redirect("residents:search")
    if searched:
        kind, persons = selectors.search_persons(
            request.user, form.cleaned_data["q"], limit=selectors.SEARCH_LIMIT + 1
        )
        if kind != "name":
            form = SearchForm()
            try:
                do_look_up_by_number(kind, persons, actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
                persons, searched = [], False
        more = len(persons) > selectors.SEARCH_LIMIT
        results = selectors.persons_for_viewer(request.user, persons[: selectors.SEARCH_LIMIT])
    context = {
        "form": form,
        "results": results,
        "kind": kind,
        "searched": searched,
        "more": more,
        "limit": selectors.SEARCH_LIMIT,
        **links,
    }
    return _no_store(render(request, "residents/search.html", context))


# Households ---------------------------------------------------------------------------------------


@login_required
@page_errors
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    household = selectors.get_household_for_user(request.user, household_id)
    members = selectors.persons_for_viewer(request.user, selectors.household_members(household))
    roles = roles_at(request.user, household.building.grid.path)
    can_edit = household_policy().can(request.user, Perm.EDIT, household)
    sees_visits = any(m.levels["visits"] for m in members) or can_edit
    context = {
        "household": household,
        "building": household.building,
        "grid": household.building.grid,
        "info": HouseholdInfo.objects.filter(household=household).first(),
        "current": [m for m in members if m.person.moved_out_on is None],
        "former": [m for m in members if m.person.moved_out_on is not None],
        "visits": selectors.household_visits(household) if sees_visits else [],
        "can_edit": can_edit,
        "roles": roles,
    }
    return _no_store(render(request, "residents/household.html", context))


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def household_info_edit(request: HttpRequest, household_id: int) -> HttpResponse:
    household = selectors.get_household_for_user(request.user, household_id, Perm.EDIT)
    info = HouseholdInfo.objects.filter(household=household).first()
    initial = {}
    if info is not None:
        initial = {
            "floor": info.floor,
            "area": info.area,
            "use": info.use,
            "tenure": info.tenure,
            "note": info.note,
        }
    form = HouseholdInfoForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            do_update_household_info(household, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("House information saved."))
            return redirect("residents:household", household_id=household.pk)
    return render(request, "residents/household_info_form.html", {"form": form, "household": household})


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest, household_id: int) -> HttpResponse:
    household = selectors.get_household_for_user(request.user, household_id, Perm.EDIT)
    members = selectors.household_members(household)
    choices = [(p.pk, p.name) for p in members if p.moved_out_on is None and p.anonymised_at is None]
    initial = {}
    if request.GET.get("person", "").isdigit():
        initial["person"] = int(request.GET["person"])
    form = VisitForm(request.POST or None, members=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        person = next((p for p in members if p.pk == form.cleaned_data["person"]), None)
        try:
            do_record_visit(
                household,
                visited_at=form.cleaned_data["visited_at"],
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
                person=person,
                actor=request.user,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Visit recorded."))
            return redirect("residents:household", household_id=household.pk)
    return render(request, "residents/visit_form.html", {"form": form, "household": household})


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def person_new(request: HttpRequest, household_id: int) -> HttpResponse:
    household = selectors.get_household_for_user(request.user, household_id, Perm.EDIT)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = do_create_person(
                household,
                PersonInput(
                    name=data["name"],
                    gender=data["gender"],
                    birth_date=data["birth_date"],
                    relation_to_head=data["relation_to_head"],
                    id_type=data["id_type"],
                    id_number=data.get("id_number", ""),
                    mobile=data.get("mobile", ""),
                    residence_status=data["residence_status"],
                    moved_in_on=data.get("moved_in_on"),
                ),
                actor=request.user,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("%(name)s registered.") % {"name": person.name})
            return redirect("residents:person", person_id=person.pk)
    return _no_store(
        render(request, "residents/person_form.html", {"form": form, "household": household, "person": None})
    )


# Persons ------------------------------------------------------------------------------------------


def _person_context(
    request: HttpRequest, person: Any, *, revealed: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    shaped = selectors.person_for_viewer(request.user, person, revealed=revealed)
    levels = shaped.levels
    return {
        "p": shaped,
        "person": person,
        "household": person.household,
        "history": selectors.person_history(person) if levels["history"] else [],
        "visits": selectors.person_visits(person) if levels["visits"] else [],
        "reveal_form": RevealForm(),
        **extra,
    }


@login_required
@page_errors
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, person_id)
    context = _person_context(request, person)
    do_record_person_view(person, fields=selectors.shown_fields(context["p"]), actor=request.user)
    return _no_store(render(request, "residents/person.html", context))


@login_required
@page_errors
@require_POST
def person_reveal(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, person_id)
    form = RevealForm(request.POST)
    value = ""
    error = ""
    field = request.POST.get("field", "")
    if form.is_valid():
        field = form.cleaned_data["field"]
        try:
            value = do_reveal_pii(person, field=field, reason=form.cleaned_data["reason"], actor=request.user)
        except Forbidden:
            raise
        except DomainError as exc:
            error = exc.message
    else:
        error = _("Say why you need the full value.")
    if request.headers.get("HX-Request"):
        return _no_store(
            render(
                request,
                "residents/_revealed.html",
                {"field": field, "value": value, "error": error, "person": person},
            )
        )
    context = _person_context(
        request,
        person,
        # With the full ID number on the page, its date of birth may be shown in full too.
        revealed=(field,) if value else (),
        revealed_field=field,
        revealed_value=value,
        reveal_error=error,
    )
    return _no_store(render(request, "residents/person.html", context))


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, person_id, Perm.EDIT)
    if person.anonymised_at is not None:
        raise Forbidden()
    shaped = selectors.person_for_viewer(request.user, person)
    initial = {
        "name": person.name,
        "gender": person.gender,
        "birth_date": person.birth_date,
        "id_type": person.id_type,
        "relation_to_head": person.relation_to_head,
        "residence_status": person.residence_status,
        "moved_in_on": person.moved_in_on,
        "moved_out_on": person.moved_out_on,
    }
    masked = {"id_number": shaped.values.get("id_number") or "", "mobile": shaped.values.get("mobile") or ""}
    if shaped.levels["birth_date"] < Level.PLAIN:
        # Not pre-filled next to the masked ID number, whose hidden digits it is.
        del initial["birth_date"]
        masked["birth_date"] = shaped.values.get("birth_date") or ""
    form = PersonForm(request.POST or None, initial=initial, editing=True, masked=masked)
    roles = roles_at(request.user, person.household.building.grid.path)
    editable = visible_tag_set(roles)
    tags_form = TagsForm(
        request.POST or None, editable=editable, initial={"tags": [t.pk for t in shaped.tags]}, prefix="t"
    )
    if request.method == "POST" and form.is_valid() and tags_form.is_valid():
        try:
            with transaction.atomic():
                changed = do_update_person(person, form.changes(), actor=request.user)
                tags_changed = do_set_person_tags(
                    person, tags=tags_form.cleaned_data["tags"], editable=editable, actor=request.user
                )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            if changed or tags_changed:
                messages.success(request, _("Changes saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("residents:person", person_id=person.pk)
    context = {
        "form": form,
        "tags_form": tags_form,
        "household": person.household,
        "person": person,
        "p": shaped,
    }
    return _no_store(render(request, "residents/person_form.html", context))


# Statistics and tags ------------------------------------------------------------------------------


@login_required
@page_errors
def statistics(request: HttpRequest) -> HttpResponse:
    if not has_perm_anywhere(request.user, Perm.STATISTICS):
        raise NotFound()
    return render(request, "residents/statistics.html", {"stats": selectors.statistics(request.user)})


@login_required
@page_errors
def tag_list(request: HttpRequest) -> HttpResponse:
    if not has_perm_anywhere(request.user, Perm.MANAGE_TAGS):
        raise NotFound()
    return render(request, "residents/tags.html", {"tags": Tag.objects.order_by("code")})


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def tag_edit(request: HttpRequest, tag_id: int | None = None) -> HttpResponse:
    if not has_perm_anywhere(request.user, Perm.MANAGE_TAGS):
        raise NotFound()
    tag = None
    if tag_id is not None:
        tag = Tag.objects.filter(pk=tag_id).first()
        if tag is None:
            raise NotFound()
    initial = {}
    if tag is not None:
        initial = {
            "code": tag.code,
            "name": tag.name,
            "description": tag.description,
            "sensitive": tag.sensitive,
            "visible_roles": tag.visible_roles,
            "active": tag.active,
        }
    form = TagForm(request.POST or None, initial=initial or {"active": True})
    if tag is not None:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            do_save_tag(
                tag,
                code=tag.code if tag else data["code"],
                name=data["name"],
                sensitive=data["sensitive"],
                visible_roles=data["visible_roles"],
                description=data["description"],
                active=data["active"],
                actor=request.user,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Tag saved."))
            return redirect("residents:tags")
    return render(request, "residents/tag_form.html", {"form": form, "tag": tag})


# Import and export --------------------------------------------------------------------------------


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    paths = scope(request.user, Perm.IMPORT)
    if not paths:
        raise NotFound()
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = importing.create_job(
            content=upload.read(), filename=upload.name, actor=request.user, scope_paths=paths
        )
        transaction.on_commit(lambda: run_import.enqueue(job.pk))
        return redirect("residents:import_job", job_id=job.pk)
    jobs = selectors.import_jobs_for(request.user)
    return render(request, "residents/import.html", {"form": form, "jobs": jobs})


@login_required
@page_errors
def import_template(request: HttpRequest) -> HttpResponse:
    if not has_perm_anywhere(request.user, Perm.IMPORT):
        raise NotFound()
    return _attachment(importing.template_bytes(), "residents-template.xlsx")


@login_required
@page_errors
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.get_import_job_for_user(request.user, job_id)
    template = (
        "residents/_import_progress.html"
        if request.headers.get("HX-Request")
        else "residents/import_job.html"
    )
    return render(request, template, {"job": job})


@login_required
@page_errors
def import_errors(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.get_import_job_for_user(request.user, job_id)
    report = bytes(ImportJob.objects.filter(pk=job.pk).values_list("error_report", flat=True).get())
    if not report:
        raise NotFound()
    return _attachment(report, f"import-{job.pk}-errors.xlsx")


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest) -> HttpResponse:
    nodes = selectors.export_nodes(request.user)
    if not nodes:
        raise NotFound()
    form = ExportForm(request.POST or None, nodes=nodes)
    any_revealable = any(_revealable_at(request.user, node.path, f) for node in nodes for f in REVEAL_FIELDS)
    if not any_revealable:
        del form.fields["reveal"], form.fields["reason"]
    if request.method == "POST" and form.is_valid():
        node = next(n for n in nodes if n.pk == form.cleaned_data["node"])
        try:
            content, _count = do_export_residents(
                node,
                actor=request.user,
                reveal=form.cleaned_data.get("reveal") or [],
                reason=form.cleaned_data.get("reason") or "",
            )
        except Forbidden:
            form.add_error("reveal", _("You may not export full values of this area."))
        except DomainError as exc:
            _form_error(form, exc)
        else:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            return _attachment(content, f"residents-{node.code}-{stamp}.xlsx")
    return render(request, "residents/export.html", {"form": form})


def _revealable_at(user: Any, path: str, field: str) -> bool:
    return field_levels(user, path)[field] >= Level.REVEALABLE


# Corrections (staff) ------------------------------------------------------------------------------


@login_required
@page_errors
def correction_list(request: HttpRequest) -> HttpResponse:
    if not has_perm_anywhere(request.user, Perm.CORRECTIONS):
        raise NotFound()
    status = request.GET.get("status", CorrectionStatus.OPEN)
    if status not in CorrectionStatus.values:
        status = CorrectionStatus.OPEN
    queue = selectors.correction_queue(request.user, status=status)[:200]
    context = {
        "queue": queue,
        "status": status,
        "statuses": CorrectionStatus.choices,
        "labels": CORRECTION_LABELS,
    }
    return render(request, "residents/corrections.html", context)


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def correction_detail(request: HttpRequest, correction_id: int) -> HttpResponse:
    correction = selectors.get_correction_for_user(request.user, correction_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if correction.status != CorrectionStatus.OPEN:
            raise Forbidden()
        if form.is_valid():
            try:
                do_decide_correction(
                    correction,
                    approve=form.cleaned_data["approve"],
                    response=form.cleaned_data["response"],
                    actor=request.user,
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, pgettext("correction", "Decision recorded."))
                return redirect("residents:corrections")
    subject = selectors.correction_subject(request.user, correction)
    shaped = subject.person
    # The proposed value of a field the staff member sees only masked stays masked here.
    proposed = correction_value_label(correction.field, correction.value)
    if correction.field in REVEAL_FIELDS and shaped.levels[correction.field] < Level.PLAIN:
        proposed = shown(correction.field, proposed, Level.MASKED) or ""
    elif correction.field == "birth_date" and shaped.levels["birth_date"] < Level.PLAIN:
        # As the current value: the year only while the ID number is masked (or nothing if hidden).
        proposed = shown("birth_date", parse_date(proposed), shaped.levels["birth_date"]) or ""
    if request.method == "GET" and subject.shown_fields:
        # The page shows the person's current value: a look at their record like the person page,
        # in the access list the resident sees.
        do_record_person_view(correction.person, fields=subject.shown_fields, actor=request.user)
    context = {
        "correction": correction,
        "p": shaped,
        "subject": subject,
        "form": form,
        "proposed": proposed,
        "label": CORRECTION_LABELS.get(correction.field, correction.field),
    }
    return _no_store(render(request, "residents/correction.html", context))


# Residents' own pages -----------------------------------------------------------------------------


def _own_or_404(request: HttpRequest) -> Any:
    person = own_person(request.user)
    if person is None:
        raise NotFound()
    return person


@login_required
@page_errors
def me(request: HttpRequest) -> HttpResponse:
    person = own_person(request.user)
    if person is None:
        return render(request, "residents/me_unlinked.html", status=200)
    return _me_page(request, person, CorrectionForm())


def _me_page(request: HttpRequest, person: Any, form: CorrectionForm) -> HttpResponse:
    context = {
        "data": own_data(person),
        "access": selectors.access_log(person),
        "corrections": person.corrections.order_by("-created_at")[:20],
        "labels": CORRECTION_LABELS,
        "form": form,
    }
    return _no_store(render(request, "residents/me.html", context))


@login_required
@page_errors
def me_json(request: HttpRequest) -> HttpResponse:
    person = _own_or_404(request)
    data = own_data(person)
    do_record_own_download(person, fmt="json", actor=request.user)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return _no_store(response)


@login_required
@page_errors
def me_print(request: HttpRequest) -> HttpResponse:
    person = _own_or_404(request)
    data = own_data(person)
    # The download's plain JSON holds ISO times; the page shows them as people write them.
    data["visits"] = [{**v, "visited_at": parse_datetime(v["visited_at"])} for v in data["visits"]]
    do_record_own_download(person, fmt="html", actor=request.user)
    return _no_store(render(request, "residents/me_print.html", {"data": data, "now": timezone.localtime()}))


@login_required
@page_errors
@require_POST
def me_correction(request: HttpRequest) -> HttpResponse:
    person = _own_or_404(request)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            do_request_correction(
                person,
                field=form.cleaned_data["field"],
                value=form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your request was sent to the community office."))
            return redirect("residents:me")
    # What the resident typed stays in the form, with the error next to it.
    return _me_page(request, person, form)
