"""Party building pages: organisations and coverage, members (secretaries), households kept in touch
with (per grid, phone-sized), activities with attendance, volunteer hours and Excel exports."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from zhili.authz.policies import path_q
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.http import page_errors
from zhili.party import actions, policies, selectors
from zhili.party.forms import ActivityForm, MemberForm, MoveOutForm, OrgForm, TransferForm
from zhili.party.models import ActivityKind, Attendance, MemberTransfer, PartyMember, PartyOrg
from zhili.party.policies import Perm
from zhili.party.states import (
    ACTIVITY_TRANSITION_LABELS,
    ActivityStatus,
    ActivityTransition,
    MemberStatus,
    MemberTransition,
    activity_allowed,
)
from zhili.residents.models import Person
from zhili.territory.models import Household, Node, NodeKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _form_error(form: Any, exc: DomainError) -> None:
    field = exc.params.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


def _refusal(exc: DomainError) -> bool:
    """Refusals of access go to the error pages; the rest are shown on the form."""
    return exc.code in ("forbidden", "not_found")


def _xlsx(title: str, header: list[str], rows: list[list[Any]], filename: str) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Organisations and coverage -----------------------------------------------------------------------


@login_required
@page_errors
def org_list(request: HttpRequest) -> HttpResponse:
    policies.require_view(request.user)
    user = request.user
    return render(
        request,
        "party/org_list.html",
        {
            "orgs": selectors.org_list(user),
            "year": selectors.this_year(),
            "can_manage": bool(policies.scope(user, Perm.MANAGE)),
            "can_names": bool(policies.scope(user, Perm.NAMES)),
        },
    )


@login_required
@page_errors
def org_new(request: HttpRequest) -> HttpResponse:
    policies.require(request.user, Perm.MANAGE)
    form = OrgForm(request.POST or None, user=request.user, initial={"node": request.GET.get("node")})
    if request.method == "POST" and form.is_valid():
        try:
            org = actions.do_create_org(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if _refusal(exc):
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Party organisation created."))
            return redirect("party:org", org.pk)
    return render(request, "party/org_form.html", {"form": form, "org": None})


@login_required
@page_errors
def org_edit(request: HttpRequest, org_id: int) -> HttpResponse:
    org = policies.get_org_for_user(request.user, org_id, Perm.MANAGE)
    initial = {
        "kind": org.kind,
        "name": org.name,
        "secretary_name": org.secretary_name,
        "secretary_user": org.secretary_user_id,
    }
    form = OrgForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_org(org, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if _refusal(exc):
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("party:org", org.pk)
    return render(request, "party/org_form.html", {"form": form, "org": org})


@login_required
@page_errors
def org_detail(request: HttpRequest, org_id: int) -> HttpResponse:
    user = request.user
    org = policies.get_org_for_user(user, org_id)
    names = policies.allowed_at(user, Perm.NAMES, org.node.path)
    active = PartyMember.objects.filter(org=org, status=MemberStatus.ACTIVE)
    return render(
        request,
        "party/org_detail.html",
        {
            "org": org,
            "children": list(org.children.select_related("node").order_by("node__sort_key")),
            "member_count": active.count(),
            "members": list(active.order_by("name", "pk")) if names else None,
            "full": policies.allowed_at(user, Perm.MANAGE, org.node.path),
            "activities": list(selectors.activity_list(user).filter(org=org)[:20]),
            "can_plan": policies.allowed_at(user, Perm.PLAN, org.node.path),
            "is_grid": org.node.kind == NodeKind.GRID,
        },
    )


@login_required
@page_errors
def coverage(request: HttpRequest) -> HttpResponse:
    policies.require_view(request.user)
    data = selectors.coverage(request.user)
    communities = {
        r.community.pk: r.community
        for r in data.rows
        if r.community is not None and r.community.pk in data.creatable
    }
    return render(
        request,
        "party/coverage.html",
        {
            "coverage": data,
            "creatable": [(communities[pk], n) for pk, n in data.creatable.items()],
            "can_names": bool(policies.scope(request.user, Perm.NAMES)),
        },
    )


@login_required
@require_POST
@page_errors
def create_groups(request: HttpRequest, node_id: int) -> HttpResponse:
    policies.require(request.user, Perm.MANAGE)
    community = Node.objects.filter(
        path_q(policies.scope(request.user, Perm.VIEW), "path"), pk=node_id, kind=NodeKind.COMMUNITY
    ).first()
    if community is None:
        raise NotFound()
    created = actions.do_create_missing_grid_groups(community, actor=request.user)
    messages.success(request, _("%(n)s grid party groups created.") % {"n": len(created)})
    return redirect("party:coverage")


# Members -----------------------------------------------------------------------------------------


def _member_rows(user: Any, members: list[PartyMember]) -> list[dict[str, Any]]:
    full_paths = policies.scope(user, Perm.MANAGE)
    rows = []
    for m in members:
        full = any(m.org.node.path.startswith(p) for p in full_paths)
        rows.append({"member": m, "full": full, "mobile": m.masked_mobile if full else ""})
    return rows


MEMBERS_SHOWN = 500


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def member_list(request: HttpRequest) -> HttpResponse:
    """The filter form posts, so that names searched for stay out of URLs, history and logs; a name
    in a link is not searched."""
    policies.require(request.user, Perm.NAMES)
    data = request.POST if request.method == "POST" else request.GET
    status = data.get("status", MemberStatus.ACTIVE)
    org_id = data.get("org", "")
    q = request.POST.get("q", "").strip()[:50]
    members = list(selectors.member_list(request.user, org_id=org_id, status=status, q=q)[:MEMBERS_SHOWN])
    response = render(
        request,
        "party/member_list.html",
        {
            "rows": _member_rows(request.user, members),
            "any_full": bool(policies.scope(request.user, Perm.MANAGE)),
            "orgs": policies.orgs_within(request.user, Perm.NAMES)
            .select_related("node")
            .order_by("node__sort_key"),
            "statuses": MemberStatus.choices,
            "status": status,
            "org_id": org_id,
            "q": q,
            "limit": MEMBERS_SHOWN,
        },
    )
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@page_errors
def members_xlsx(request: HttpRequest) -> HttpResponse:
    policies.require(request.user, Perm.MANAGE)
    members = list(
        selectors.member_list(request.user, status=request.GET.get("status", MemberStatus.ACTIVE)).filter(
            path_q(policies.scope(request.user, Perm.MANAGE), "org__node__path")
        )
    )
    # One audit row per managed subtree, each at its node, so that auditors there see it.
    nodes = Node.objects.filter(path__in=policies.scope(request.user, Perm.MANAGE)).order_by("path")
    counts = [(node, sum(m.org.node.path.startswith(node.path) for m in members)) for node in nodes]
    actions.do_record_members_export(actor=request.user, counts=counts)
    rows = [
        [
            m.name,
            m.get_gender_display(),
            m.joined_on,
            m.get_standing_display(),
            m.org.name,
            m.masked_mobile,
            m.get_status_display(),
            m.moved_out_on,
            m.moved_out_to,
        ]
        for m in members
    ]
    header = [
        pgettext("person", "Name"),
        _("Gender"),
        _("Joined the party on"),
        _("Standing"),
        _("Party organisation"),
        _("Mobile"),
        _("Status"),
        _("Moved out on"),
        _("Moved to"),
    ]
    return _xlsx(_("Party members"), [str(h) for h in header], rows, "party-members.xlsx")


def _person(person_id: Any, org: PartyOrg) -> Person | None:
    """Only residents living in the organisation's territory are looked up: the registry beyond it
    cannot be probed (missing and elsewhere give the same error)."""
    if not person_id:
        return None
    person = actions.persons_under(org).filter(pk=person_id).first()
    if person is None:
        raise actions.person_invalid("person_id")
    return person


def _member_values(form: MemberForm, org: PartyOrg) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("org", None)
    data["person"] = _person(data.pop("person_id", None), org)
    return data


@login_required
@page_errors
def member_new(request: HttpRequest) -> HttpResponse:
    policies.require(request.user, Perm.MANAGE)
    form = MemberForm(request.POST or None, user=request.user, initial={"org": request.GET.get("org")})
    if request.method == "POST" and form.is_valid():
        try:
            org = form.cleaned_data["org"]
            member = actions.do_register_member(org=org, actor=request.user, **_member_values(form, org))
        except DomainError as exc:
            if _refusal(exc):
                raise
            _form_error(
                form,
                exc
                if exc.params.get("field") != "person"
                else DomainError(exc.code, exc.message, field="person_id"),
            )
        else:
            messages.success(request, _("Party member registered."))
            return redirect("party:member", member.pk)
    return render(request, "party/member_form.html", {"form": form, "member": None})


@login_required
@page_errors
def member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    member = policies.get_member_for_user(request.user, member_id)
    initial = {
        "name": member.name,
        "gender": member.gender,
        "joined_on": member.joined_on,
        "standing": member.standing,
        "person_id": member.person_id,
    }
    form = MemberForm(
        request.POST or None,
        user=request.user,
        editing=True,
        initial=initial,
        masked_mobile=member.masked_mobile,
    )
    if request.method == "POST" and form.is_valid():
        try:
            values = _member_values(form, member.org)
            # The mobile is never pre-filled: empty keeps it, the checkbox removes it.
            values["mobile"] = "" if values.pop("clear_mobile", False) else (values["mobile"] or None)
            actions.do_update_member(member, actor=request.user, **values)
        except DomainError as exc:
            if _refusal(exc):
                raise
            _form_error(
                form,
                exc
                if exc.params.get("field") != "person"
                else DomainError(exc.code, exc.message, field="person_id"),
            )
        else:
            messages.success(request, _("Changes saved."))
            return redirect("party:member", member.pk)
    return render(request, "party/member_form.html", {"form": form, "member": member})


def _member_page(
    request: HttpRequest,
    member: PartyMember,
    transfer_form: TransferForm | None = None,
    move_out_form: MoveOutForm | None = None,
    status: int = 200,
) -> HttpResponse:
    active = member.status == MemberStatus.ACTIVE
    return render(
        request,
        "party/member_detail.html",
        {
            "member": member,
            "transfers": list(
                MemberTransfer.objects.filter(member=member).select_related("from_org", "to_org", "actor")
            ),
            "contacts": [
                selectors.household_label(c.household)
                for c in member.contacts.select_related("household__building").order_by("pk")
            ],
            "transfer_form": (transfer_form or TransferForm(user=request.user, member=member))
            if active
            else None,
            "move_out_form": (move_out_form or MoveOutForm()) if active else None,
            "hours": Attendance.objects.filter(
                member=member,
                activity__status=ActivityStatus.HELD,
                activity__date__year=selectors.this_year(),
            ).aggregate(h=Sum("hours"))["h"]
            or Decimal(0),
        },
        status=status,
    )


@login_required
@page_errors
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    return _member_page(request, policies.get_member_for_user(request.user, member_id))


@login_required
@require_POST
@page_errors
def member_transfer(request: HttpRequest, member_id: int) -> HttpResponse:
    member = policies.get_member_for_user(request.user, member_id)
    form = TransferForm(request.POST, user=request.user, member=member)
    if form.is_valid():
        try:
            moved = actions.do_transfer_member(member, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if _refusal(exc):
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Membership transferred."))
            if member.person_id is not None and moved.person_id is None:
                messages.info(
                    request,
                    _("The link to the resident record was removed: they do not live in the new territory."),
                )
            return redirect("party:member", member.pk)
    return _member_page(request, member, transfer_form=form, status=400)


@login_required
@require_POST
@page_errors
def member_move_out(request: HttpRequest, member_id: int) -> HttpResponse:
    member = policies.get_member_for_user(request.user, member_id)
    form = MoveOutForm(request.POST)
    if form.is_valid():
        try:
            actions.do_transition_member(
                member,
                MemberTransition.MOVE_OUT,
                actor=request.user,
                on=form.cleaned_data["on"],
                destination=form.cleaned_data["destination"],
            )
        except DomainError as exc:
            if _refusal(exc):
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("The member has been moved out."))
            return redirect("party:member", member.pk)
    return _member_page(request, member, move_out_form=form, status=400)


# Households kept in touch with (phone) ------------------------------------------------------------


@login_required
@page_errors
def contacts(request: HttpRequest, grid_id: int) -> HttpResponse:
    user = request.user
    grid = Node.objects.filter(
        path_q(policies.scope(user, Perm.VIEW), "path"), pk=grid_id, kind=NodeKind.GRID
    ).first()
    if grid is None:
        raise NotFound()
    if not policies.allowed_at(user, Perm.NAMES, grid.path):
        raise Forbidden()
    can_link = policies.allowed_at(user, Perm.ATTEND, grid.path)
    if request.method == "POST":
        if not can_link:
            raise Forbidden()
        member = PartyMember.objects.filter(
            pk=_int(request.POST.get("member")) or 0, org__node=grid, status=MemberStatus.ACTIVE
        ).first()
        household = (
            Household.objects.filter(pk=_int(request.POST.get("household")) or 0, building__grid=grid)
            .select_related("building__grid")
            .first()
        )
        if member is None or household is None:
            messages.error(request, _("Choose a member and a household of this grid."))
        else:
            try:
                if request.POST.get("op") == "unlink":
                    actions.do_unlink_household(member, household, actor=user)
                else:
                    actions.do_link_household(member, household, actor=user)
            except DomainError as exc:
                if _refusal(exc):
                    raise
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved."))
        return redirect("party:contacts", grid.pk)
    data = selectors.contacts(grid)
    return render(
        request,
        "party/contacts.html",
        {
            "page": data,
            "can_link": can_link,
        },
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# Activities --------------------------------------------------------------------------------------


def _year(request: HttpRequest) -> int | None:
    raw = request.GET.get("year", "")
    year = _int(raw)
    return year if year and 1921 <= year <= 2200 else None


ACTIVITIES_SHOWN = 200


@login_required
@page_errors
def activity_list(request: HttpRequest) -> HttpResponse:
    policies.require_view(request.user)
    status, kind, year = request.GET.get("status", ""), request.GET.get("kind", ""), _year(request)
    activities = list(
        selectors.activity_list(request.user, status=status, kind=kind, year=year)[:ACTIVITIES_SHOWN]
    )
    return render(
        request,
        "party/activity_list.html",
        {
            "activities": activities,
            "statuses": ActivityStatus.choices,
            "kinds": ActivityKind.choices,
            "status": status,
            "kind": kind,
            "year": year or "",
            "can_plan": bool(policies.scope(request.user, Perm.PLAN)),
            "query": request.GET.urlencode(),
        },
    )


@login_required
@page_errors
def activities_xlsx(request: HttpRequest) -> HttpResponse:
    policies.require_view(request.user)
    activities = selectors.activity_list(
        request.user,
        status=request.GET.get("status", ""),
        kind=request.GET.get("kind", ""),
        year=_year(request),
    )
    rows = [
        [
            a.date,
            a.org.name,
            a.get_kind_display(),
            a.title,
            a.place,
            a.get_status_display(),
            getattr(a, "attendees", 0),
            float(getattr(a, "hours", 0) or 0),
        ]
        for a in activities
    ]
    header = [
        _("Date"),
        _("Party organisation"),
        pgettext("party activity", "Kind"),
        _("Title"),
        _("Place"),
        _("Status"),
        _("Attended"),
        _("Volunteer hours"),
    ]
    return _xlsx(_("Party activities"), [str(h) for h in header], rows, "party-activities.xlsx")


@login_required
@page_errors
def activity_new(request: HttpRequest) -> HttpResponse:
    policies.require(request.user, Perm.PLAN)
    form = ActivityForm(request.POST or None, user=request.user, initial={"org": request.GET.get("org")})
    if request.method == "POST" and form.is_valid():
        try:
            activity = actions.do_plan_activity(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if _refusal(exc):
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Activity planned."))
            return redirect("party:activity", activity.pk)
    return render(request, "party/activity_form.html", {"form": form})


@login_required
@page_errors
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = request.user
    activity = policies.get_activity_for_user(user, activity_id)
    can_plan = policies.allowed_at(user, Perm.PLAN, activity.org.node.path)
    transitions = [
        {"name": t.value, "label": ACTIVITY_TRANSITION_LABELS[t]}
        for t in ActivityTransition
        if can_plan and activity_allowed(t, activity.status)
    ]
    paths = policies.attend_paths(user, activity)
    recording = bool(paths) and activity.status == ActivityStatus.HELD
    totals = Attendance.objects.filter(activity=activity).aggregate(n=Count("pk"), h=Sum("hours"))
    return render(
        request,
        "party/activity_detail.html",
        {
            "activity": activity,
            "transitions": transitions,
            "recording": recording,
            "rows": selectors.attendance_rows(activity, paths) if recording else [],
            "attended": [] if recording else selectors.attendance_names(activity, user),
            "total_attended": totals["n"],
            "total_hours": totals["h"] or Decimal(0),
            "signups": selectors.signups(activity) if can_plan and activity.open_to_residents else None,
        },
    )


@login_required
@require_POST
@page_errors
def activity_act(request: HttpRequest, activity_id: int, name: str) -> HttpResponse:
    activity = policies.get_activity_for_user(request.user, activity_id, Perm.PLAN)
    try:
        transition = ActivityTransition(name)
    except ValueError:
        raise NotFound() from None
    try:
        actions.do_transition_activity(activity, transition, actor=request.user)
    except DomainError as exc:
        if _refusal(exc):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %(step)s.") % {"step": ACTIVITY_TRANSITION_LABELS[transition]})
    return redirect("party:activity", activity.pk)


@login_required
@require_POST
@page_errors
def activity_attendance(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = policies.get_activity_for_user(request.user, activity_id, Perm.ATTEND)
    entries = {pk: request.POST.get(f"hours-{pk}", "") for pk in request.POST.getlist("present")}
    try:
        count = actions.do_record_attendance(activity, entries=entries, actor=request.user)
    except DomainError as exc:
        if _refusal(exc):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Attendance saved: %(n)s present.") % {"n": count})
    return redirect("party:activity", activity.pk)


# Residents: 社区志愿活动 -------------------------------------------------------------------------------


@login_required
@page_errors
def volunteer(request: HttpRequest) -> HttpResponse:
    """Open volunteer services where the resident lives; sign up and cancel (phone-sized)."""
    policies.require_resident(request.user)
    return render(
        request,
        "party/volunteer.html",
        {"activities": selectors.volunteer_activities(request.user), "today": timezone.localdate()},
    )


def _volunteer_step(request: HttpRequest, step: Any, activity_id: int, done: str) -> HttpResponse:
    """Sign up or cancel (``step``, an action) and go back to the list with what happened."""
    policies.require_resident(request.user)
    try:
        changed = step(activity_id, actor=request.user)
    except DomainError as exc:
        if _refusal(exc):
            raise
        messages.error(request, exc.message)
    else:
        if changed:
            messages.success(request, done)
    return redirect("party:volunteer")


@login_required
@require_POST
@page_errors
def volunteer_sign_up(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _volunteer_step(request, actions.do_sign_up, activity_id, _("You have signed up. Thank you!"))


@login_required
@require_POST
@page_errors
def volunteer_cancel(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _volunteer_step(
        request, actions.do_cancel_sign_up, activity_id, _("Your sign-up has been cancelled.")
    )


# Volunteer hours ---------------------------------------------------------------------------------


@login_required
@page_errors
def hours(request: HttpRequest) -> HttpResponse:
    policies.require_view(request.user)
    year = _year(request) or selectors.this_year()
    by_node = selectors.hours_by_node(request.user, year)
    chart = {
        "names": [r["name"] for r in by_node],
        "hours": [float(r["hours"]) for r in by_node],
        "label": _("Volunteer hours"),
    }
    return render(
        request,
        "party/hours.html",
        {
            "year": year,
            "by_node": by_node,
            "chart": chart,
            "members": selectors.member_hours(request.user, year)
            if policies.scope(request.user, Perm.NAMES)
            else None,
        },
    )
