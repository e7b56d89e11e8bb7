"""Reads of cases: scoped lists, the staff view of one case, and the public (redacted) timeline."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from zhili.accounts.roles import Role
from zhili.authz.policies import _memberships
from zhili.cases.actions import RejectReason, allowed_transitions
from zhili.cases.contact import mask_name, mask_phone, unseal
from zhili.cases.models import Attachment, Case, CaseEvent, SlaState
from zhili.cases.policies import can_view, get_case_for_user, visible_cases
from zhili.cases.states import STAFF_DISPATCH, CaseStatus, Transition
from zhili.core.crypto import mask_numbers_in_text
from zhili.core.errors import NotFound

EVENT_LABELS: dict[str, Any] = {t.value: t.label for t in Transition}


def event_label(kind: str) -> str:
    from django.utils.translation import gettext as _

    extra = {
        "contact": _("Resident contacted"),
        "escalated": _("Escalated as overdue"),
        "merged_in": _("A duplicate was merged into this case"),
    }
    return str(EVENT_LABELS.get(kind) or extra.get(kind) or kind)


def action_label(name: str) -> str:
    """What the case page's button for a transition says: the verb (签收), where the timeline says
    what happened (已签收)."""
    from django.utils.translation import pgettext

    labels: dict[str, str] = {
        Transition.ACCEPT: pgettext("case action", "Accept"),
        Transition.REJECT: pgettext("case action", "Reject"),
        Transition.DISPATCH: pgettext("case action", "Dispatch"),
        Transition.SIGN: pgettext("case action", "Sign for"),
        Transition.START: pgettext("case action", "Start handling"),
        Transition.RETURN: pgettext("case action", "Return"),
        Transition.ARBITRATE: pgettext("case action", "Arbitrate"),
        Transition.TRANSFER: pgettext("case action", "Transfer"),
        Transition.REQUEST_EXTENSION: pgettext("case action", "Request an extension"),
        Transition.APPROVE_EXTENSION: pgettext("case action", "Approve the extension"),
        Transition.DENY_EXTENSION: pgettext("case action", "Deny the extension"),
        Transition.SUSPEND: pgettext("case action", "Suspend"),
        Transition.RESUME: pgettext("case action", "Resume"),
        Transition.RESOLVE: pgettext("case action", "Resolve"),
        Transition.VERIFY: pgettext("case action", "Verify"),
        Transition.SEND_BACK: pgettext("case action", "Send back for rework"),
        Transition.RATE: pgettext("case action", "Rate"),
        Transition.RATE_BY_PHONE: pgettext("case action", "Rate by follow-up call"),
        Transition.CLOSE: pgettext("case action", "Close"),
        Transition.MERGE: pgettext("case action", "Merge into another case"),
    }
    return str(labels.get(name) or event_label(name))


def contact_overdue(case: Case) -> bool:
    """Nobody has reached the resident and the time to do so is over, while the clock runs."""
    from zhili.cases.states import CLOCK_RUNNING_STATUSES

    return bool(
        case.contacted_at is None
        and case.contact_due_at is not None
        and case.contact_due_at < timezone.now()
        and case.status in CLOCK_RUNNING_STATUSES
    )


def event_details(event: dict[str, Any]) -> list[str]:
    """Lines the case page adds under a timeline event: the deadline asked for or granted, the rating."""
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    from zhili.cases.models import Rating

    data = event.get("data") or {}
    lines = []
    until = data.get("until")
    if isinstance(until, str):
        try:
            moment = datetime.fromisoformat(until)
        except ValueError:
            moment = None
        if moment is not None and timezone.is_aware(moment):
            when = date_format(timezone.localtime(moment), "Y-m-d H:i")
            lines.append(_("New deadline: %(when)s") % {"when": when})
    if data.get("rating") in Rating.values:
        lines.append(_("Rating: %(rating)s") % {"rating": Rating(data["rating"]).label})
    change = data.get("category")
    if isinstance(change, dict) and change.get("to"):
        new = change.get("to_name") or change["to"]
        old = change.get("from_name") or change.get("from") or ""
        if change.get("from") == change["to"]:
            lines.append(_("Category confirmed: %(category)s") % {"category": new})
        elif old:
            lines.append(_("Category corrected: %(old)s → %(new)s") % {"old": old, "new": new})
        else:
            lines.append(_("Category set: %(category)s") % {"category": new})
    deadline = data.get("deadline")
    if isinstance(deadline, str) and deadline:
        try:
            moment = datetime.fromisoformat(deadline)
        except ValueError:
            moment = None
        if moment is not None and timezone.is_aware(moment):
            when = date_format(timezone.localtime(moment), "Y-m-d H:i")
            lines.append(_("Deadline to finish, by the new category: %(when)s") % {"when": when})
    return lines


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    sla_state: str = ""
    q: str = ""  # tracking code (exact) or words of the title or description
    phone: str = ""  # the reporter's number, through the blind index
    mine: bool = False  # assigned to the user's department or grid, or reported by the user
    queue: str = ""  # one of QUEUES: the workbench tab
    category: int | None = None  # this category or any below it
    grid: int | None = None  # filed in this grid or dispatched to it
    department: int | None = None
    date_from: date | None = None  # submitted on or after (local date)
    date_to: date | None = None  # submitted on or before (local date)


class Queue:
    """The workbench tabs. Each is a filter on top of what the user may see anyway."""

    MINE = "mine"  # assigned to me, my department or my grid (or reported by me), still open
    DISPATCH = "dispatch"  # the dispatcher's queue: not placed yet, least sure category first
    VERIFY = "verify"  # resolved, waiting for me to verify (supervisor, or grid worker of its grid)
    OVERDUE = "overdue"  # open and past the finish deadline
    ALL = "all"


QUEUES = (Queue.MINE, Queue.DISPATCH, Queue.VERIFY, Queue.OVERDUE, Queue.ALL)
# Statuses a dispatcher can dispatch from (the table's DISPATCH edges).
DISPATCHABLE = (CaseStatus.PENDING, CaseStatus.ACCEPTED, CaseStatus.RETURNED)


def queue_labels() -> dict[str, Any]:
    from django.utils.translation import gettext_lazy

    return {
        Queue.MINE: gettext_lazy("My cases"),
        Queue.DISPATCH: gettext_lazy("To dispatch"),
        Queue.VERIFY: gettext_lazy("To verify"),
        Queue.OVERDUE: gettext_lazy("Overdue"),
        Queue.ALL: gettext_lazy("All"),
    }


def available_queues(user: Any) -> list[str]:
    """The tabs a user gets: every tab only narrows what they see, so this is about usefulness."""
    from zhili.accounts.roles import Role
    from zhili.cases.policies import staff_paths

    roles = {role for role, _path in _memberships(user)}
    tabs = [Queue.MINE]
    if staff_paths(user, STAFF_DISPATCH):
        tabs.append(Queue.DISPATCH)
    if roles & {Role.SUPERVISOR, Role.GRID_WORKER}:
        tabs.append(Queue.VERIFY)
    tabs += [Queue.OVERDUE, Queue.ALL]
    return tabs


def default_queue(user: Any) -> str:
    """The tab a user starts on: their own work (dispatching, verifying, handling), or everything
    for those who only watch (leaders, community staff)."""
    from zhili.accounts.roles import Role

    roles = {role for role, _path in _memberships(user)}
    if Role.DISPATCHER in roles:
        return Queue.DISPATCH
    if Role.SUPERVISOR in roles:
        return Queue.VERIFY
    if roles & {Role.HANDLER, Role.GRID_WORKER, Role.RESIDENT} or not roles:
        return Queue.MINE
    return Queue.ALL


def is_resident_only(user: Any) -> bool:
    """A resident (or an account without a post): the workbench is not for them, their requests are."""
    from zhili.accounts.roles import Role

    return {role for role, _path in _memberships(user)} <= {Role.RESIDENT}


def my_requests(user: Any) -> QuerySet[Case]:
    """The requests this resident filed, newest first: their 我的诉求 list."""
    return Case.objects.filter(reporter=user).select_related("category").order_by("-created_at", "-id")


def _open_q() -> Q:
    from zhili.cases.states import OPEN_STATUSES

    return Q(status__in=sorted(OPEN_STATUSES))


def queue_q(user: Any, queue: str, now: datetime | None = None) -> Q:
    """The condition of one workbench tab for this user (on top of ``visible_cases``)."""
    from zhili.accounts.roles import Role
    from zhili.cases.policies import _prefix_q, staff_paths
    from zhili.cases.states import CLOCK_RUNNING_STATUSES

    now = now or timezone.now()
    if queue == Queue.MINE:
        mine = Q(assignee=user) | Q(reporter=user)
        if user.department_id and staff_paths(user, {Role.HANDLER}):
            mine |= Q(department_id=user.department_id)
        mine |= _prefix_q(staff_paths(user, {Role.GRID_WORKER}), "assigned_grid__path")
        return _open_q() & mine
    if queue == Queue.DISPATCH:
        return Q(status__in=DISPATCHABLE) & _prefix_q(staff_paths(user, STAFF_DISPATCH), "node__path")
    if queue == Queue.VERIFY:
        verifier = _prefix_q(staff_paths(user, {Role.SUPERVISOR}), "node__path")
        verifier |= _prefix_q(staff_paths(user, {Role.GRID_WORKER}), "grid__path")
        # Nobody verifies their own work (the action refuses it too).
        return Q(status=CaseStatus.RESOLVED) & verifier & ~Q(assignee=user)
    if queue == Queue.OVERDUE:
        return Q(status__in=sorted(CLOCK_RUNNING_STATUSES)) & (
            Q(sla_state=SlaState.RED) | Q(finish_due_at__lt=now)
        )
    return Q()


def queue_counts(user: Any, queues: list[str]) -> dict[str, int]:
    """How many cases each tab holds, in one query."""
    from django.db.models import Count

    now = timezone.now()
    aggregates = {q: Count("id", filter=queue_q(user, q, now)) for q in queues}
    return dict(visible_cases(user).aggregate(**aggregates))


def case_list(user: Any, filters: CaseFilters | None = None) -> QuerySet[Case]:
    from zhili.cases.contact import phone_index

    f = filters or CaseFilters()
    cases = visible_cases(user).select_related("category", "department", "node", "assigned_grid", "grid")
    if f.queue:
        cases = cases.filter(queue_q(user, f.queue))
    if f.status:
        cases = cases.filter(status=f.status)
    if f.sla_state:
        cases = cases.filter(sla_state=f.sla_state)
    if f.q:
        text = f.q.strip()
        cases = cases.filter(Q(code=text.upper()) | Q(title__icontains=text) | Q(body__icontains=text))
    if f.phone:
        cases = cases.filter(contact_mobile_bidx=phone_index(f.phone))
    if f.mine:
        cases = cases.filter(Q(department_id=user.department_id) | Q(reporter=user) | Q(assignee=user))
    if f.category:
        cases = cases.filter(
            Q(category_id=f.category)
            | Q(category__parent_id=f.category)
            | Q(category__parent__parent_id=f.category)
        )
    if f.grid:
        cases = cases.filter(Q(grid_id=f.grid) | Q(assigned_grid_id=f.grid))
    if f.department:
        cases = cases.filter(department_id=f.department)
    if f.date_from:
        cases = cases.filter(created_at__gte=_day_start(f.date_from))
    if f.date_to:
        cases = cases.filter(created_at__lt=_day_start(f.date_to + timedelta(days=1)))
    if f.queue == Queue.DISPATCH:
        # The least sure first: the dispatcher's judgement is worth most where the classifier's is least.
        from django.db.models import F

        return cases.order_by("-priority", F("category_confidence").asc(nulls_first=True), "created_at", "id")
    if f.queue in (Queue.OVERDUE, Queue.MINE, Queue.VERIFY):
        from django.db.models import F

        return cases.order_by("-priority", F("finish_due_at").asc(nulls_last=True), "id")
    return cases.order_by("-priority", "-created_at", "-id")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def sla_light(case: Case, now: datetime | None = None) -> str:
    """green / yellow / red for an open case from its deadlines (the sweep may not have run yet),
    "" for a case whose clock does not run."""
    from zhili.cases.states import CLOCK_RUNNING_STATUSES

    if case.status not in CLOCK_RUNNING_STATUSES:
        return ""
    now = now or timezone.now()
    if case.sla_state == SlaState.RED or (case.finish_due_at is not None and case.finish_due_at <= now):
        return SlaState.RED
    if case.sla_state == SlaState.YELLOW or (case.yellow_at is not None and case.yellow_at <= now):
        return SlaState.YELLOW
    return SlaState.GREEN


def countdown(due: datetime | None, now: datetime | None = None) -> str:
    """ "剩余 3小时" / "超期 2天": the time to (or past) a deadline in its largest whole unit."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    if due is None:
        return ""
    now = now or timezone.now()
    seconds = int((due - now).total_seconds())
    late = seconds < 0
    seconds = abs(seconds)
    if seconds >= 86400:
        n = seconds // 86400
        amount = ngettext("%(n)d day", "%(n)d days", n) % {"n": n}
    elif seconds >= 3600:
        n = seconds // 3600
        amount = ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    else:
        n = max(1, seconds // 60)
        amount = ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
    if late:
        return _("overdue by %(t)s") % {"t": amount}
    return _("%(t)s left") % {"t": amount}


def with_countdown(cases: Any, now: datetime | None = None) -> list[Case]:
    """The cases with ``light`` and ``countdown`` set for the list (suspended: no countdown)."""
    now = now or timezone.now()
    rows = list(cases)
    for case in rows:
        case.light = sla_light(case, now)  # type: ignore[attr-defined]
        case.countdown = countdown(case.finish_due_at, now) if case.light else ""  # type: ignore[attr-defined]
    return rows


def case_detail(user: Any, pk: Any) -> Case:
    case = get_case_for_user(user, pk)
    events = CaseEvent.objects.select_related("actor").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    # The prefetch cache is what timeline() reads.
    case._timeline = list(events.filter(case=case).order_by("created_at", "id"))  # type: ignore[attr-defined]
    return case


def case_photo(user: Any, case_id: Any, *, token: str | None = None, pk: int | None = None) -> Attachment:
    """A photo of a case this user may see, by its token (pages) or id (API); 404 as for the case."""
    case = get_case_for_user(user, case_id)
    photos = Attachment.objects.filter(case=case)
    photo = photos.filter(token=token).first() if token is not None else photos.filter(pk=pk or 0).first()
    if photo is None:
        raise NotFound()
    return photo


def photo_urls(case: Case) -> dict[int, list[str]]:
    """Each timeline event's photos, as addresses of ``cases:photo`` (read from the loaded timeline)."""
    from django.urls import reverse

    return {
        event.pk: [reverse("cases:photo", args=[case.pk, photo.token]) for photo in event.attachments.all()]
        for event in timeline(case)
    }


_TIMES = (
    "sla_started_at",
    "accept_due_at",
    "contact_due_at",
    "contacted_at",
    "finish_due_at",
    "yellow_at",
    "escalated_at",
)


def submitted_case(user: Any, case: Case) -> Case:
    """The case an intake just created, as ``case_detail`` would load it, without reading it again.

    Everything the view shows is on the object ``do_submit_case`` saved, its first event too; the
    same 404 as ``case_detail`` when the user may not see it (staff filing a call for another area).
    Times in UTC, as read back from the database.
    """
    if not can_view(user, case):
        raise NotFound()
    case._timeline = [case._submit_event]  # type: ignore[attr-defined]
    for name in _TIMES:
        moment = getattr(case, name)
        if moment is not None:
            setattr(case, name, moment.astimezone(UTC))
    return case


def contact_for_staff(case: Case) -> dict[str, str]:
    """Masked contact details; nothing at all for an anonymous report."""
    if case.anonymous:
        return {"name": "", "mobile": ""}
    return {
        "name": mask_name(unseal(case.contact_name_enc)),
        "mobile": mask_phone(unseal(case.contact_mobile_enc)),
    }


def timeline(case: Case) -> list[CaseEvent]:
    cached = getattr(case, "_timeline", None)
    if cached is not None:
        return list(cached)
    return list(case.events.select_related("actor").order_by("created_at", "id"))


def staff_view(user: Any, case: Case) -> dict[str, Any]:
    """The case as staff see it. The resident who reported it (and holds no staff role for it) sees the
    same shape without staff names, internal notes or internal events (the handling result stays)."""
    from zhili.accounts.roles import Role
    from zhili.cases.policies import case_roles

    events = timeline(case)
    resident_only = user is not None and case_roles(user, case) <= {Role.RESIDENT}
    if resident_only:
        events = [e for e in events if e.kind in PUBLIC_KINDS]

    def own(e: CaseEvent) -> bool:
        return not resident_only or (e.actor_id is not None and e.actor_id == getattr(user, "pk", None))

    def note_of(e: CaseEvent) -> str:
        # The handling result (办理结果) is the answer the resident is owed; other notes stay internal.
        return e.note if own(e) or e.kind == Transition.RESOLVE else ""

    return {
        "id": case.pk,
        "code": case.code,
        "title": case.title,
        "body": case.body,
        "status": case.status,
        "status_label": str(CaseStatus(case.status).label),
        "channel": case.channel,
        "category": {"code": case.category.code, "name": case.category.name} if case.category else None,
        "category_confidence": case.category_confidence,
        "node": {"id": case.node_id, "name": case.node.name},
        "grid_id": case.grid_id,
        "lat": case.lat,
        "lng": case.lng,
        "address": case.address,
        "urgency": case.urgency,
        "priority": case.priority,
        "department": {"id": case.department_id, "name": case.department.name} if case.department else None,
        "assigned_grid": (
            {"id": case.assigned_grid_id, "name": case.assigned_grid.name} if case.assigned_grid else None
        ),
        "binding": case.binding,
        "return_count": case.return_count,
        "reopen_count": case.reopen_count,
        "needs_review": case.needs_review,
        "merged_into": case.merged_into.code if case.merged_into_id and case.merged_into else None,
        "anonymous": case.anonymous,
        "contact": contact_for_staff(case),
        "sla_state": case.sla_state,
        "accept_due_at": case.accept_due_at,
        "contact_due_at": case.contact_due_at,
        "contacted_at": case.contacted_at,
        "finish_due_at": case.finish_due_at,
        "escalated_at": case.escalated_at,
        "created_at": case.created_at,
        "allowed_transitions": [t.value for t in allowed_transitions(user, case)],
        "events": [
            {
                "id": e.pk,
                "kind": e.kind,
                "label": event_label(e.kind),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": str(e.actor) if e.actor and own(e) else "",
                "note": note_of(e),
                "data": _public_data(e.data) if not resident_only else _resident_data(e.data),
                "created_at": e.created_at,
                "attachments": [att.pk for att in e.attachments.all()],
            }
            for e in events
        ],
    }


def _resident_data(data: dict[str, Any]) -> dict[str, Any]:
    keep = ("department_name", "grid_name", "rating")
    shown = {k: data[k] for k in keep if k in data}
    if "reason" in data and data["reason"] in RejectReason.codes():
        shown["reason_label"] = RejectReason.label(data["reason"])
    return shown


def _public_data(data: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in data.items() if k != "suggested"}
    if "reason" in shown and shown["reason"] in RejectReason.codes():
        shown["reason_label"] = RejectReason.label(shown["reason"])
    return shown


# The public tracking view ------------------------------------------------------------------------

# Events a resident sees; internal ones (escalations, merges of others' reports) stay internal.
PUBLIC_KINDS = frozenset(t.value for t in Transition) | {"contact"}


def public_view(case: Case) -> dict[str, Any]:
    """What the tracking page shows: status, a timeline without names, notes or contact data, and the
    handling result once there is one (its personal numbers masked)."""
    events = [e for e in timeline(case) if e.kind in PUBLIC_KINDS]
    view: dict[str, Any] = {
        "code": case.code,
        "title": case.title,
        "status": case.status,
        "status_label": str(CaseStatus(case.status).label),
        "category": case.category.name if case.category else "",
        "created_at": case.created_at,
        "overdue": case.sla_state == SlaState.RED and case.is_open,
        "can_rate": case.status == CaseStatus.VERIFIED,
        "timeline": [
            {
                "at": e.created_at,
                "label": event_label(e.kind),
                "status": e.to_status,
                "status_label": str(CaseStatus(e.to_status).label) if e.to_status else "",
                # Departments and grids are public bodies; people's names are not shown.
                "handled_by": e.data.get("department_name") or e.data.get("grid_name") or "",
                "reason": RejectReason.label(e.data["reason"])
                if e.kind == "reject" and "reason" in e.data
                else "",
            }
            for e in events
        ],
        "result": _public_result(case, events),
        "merged_into": None,
    }
    if case.merged_into_id and case.merged_into is not None:
        main = case.merged_into
        view["merged_into"] = {"code": main.code, "status_label": str(CaseStatus(main.status).label)}
    return view


# Once the case is resolved, the resident who proves the code and the digits is owed the answer.
ANSWERED_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.VERIFIED, CaseStatus.RATED, CaseStatus.CLOSED})


def _public_result(case: Case, events: list[CaseEvent]) -> str:
    """The latest 办理结果 (the handler's feedback), with mobile and ID numbers in it masked.

    Other notes stay internal; a result that was sent back is not the answer until it is given again.
    """
    if case.status not in ANSWERED_STATUSES:
        return ""
    results = [e for e in events if e.kind == Transition.RESOLVE and e.note]
    return mask_numbers_in_text(results[-1].note) if results else ""


def public_case(pk: int) -> Case:
    """A case for ``public_view`` (after the caller proved the code and the digits)."""
    return Case.objects.select_related("category", "merged_into").get(pk=pk)


def find_for_tracking(code: str, phone4: str) -> Case | None:
    """The case with this code whose contact number ends in these four digits, or None."""
    import hmac

    from zhili.cases.contact import last4

    code = (code or "").strip().upper()
    # Full-width digits (a Chinese keyboard's ０-９) are the digits they look like; any other
    # non-ASCII "digit" matches nothing.
    digits = unicodedata.normalize("NFKC", phone4 or "").strip()
    if not code or len(code) > 16 or len(digits) != 4 or not (digits.isascii() and digits.isdigit()):
        return None
    case = Case.objects.select_related("category", "merged_into").filter(code=code).first()
    if case is None or not case.contact_mobile_enc:
        return None
    if not hmac.compare_digest(last4(unseal(case.contact_mobile_enc)), digits):
        return None
    return case


# 三率 ---------------------------------------------------------------------------------------------


def three_rates(cases: QuerySet[Case]) -> dict[str, float | int | None]:
    """响应率, 按时办结率, 解决率 and 满意率 over a set of cases (a grid, a department, a month …).

    - response rate: signed for by the sign-by deadline, among cases that had one and were signed;
    - on-time rate: resolved by the finish-by deadline, among resolved cases;
    - resolution rate: cases that reached 已办结 or later, among cases taken on (not rejected or merged);
    - satisfaction rate: 满意 or 基本满意 in the latest rating of each rated case.
    A rate is None when nothing counts towards it. Two aggregate queries whatever the size of the set.
    """
    from django.db.models import Count, F, OuterRef, Subquery

    from zhili.cases.models import Evaluation, Rating

    done = [CaseStatus.RESOLVED, CaseStatus.VERIFIED, CaseStatus.RATED, CaseStatus.CLOSED]
    counts = cases.aggregate(
        total=Count("id"),
        taken=Count("id", filter=~Q(status__in=[CaseStatus.REJECTED, CaseStatus.MERGED])),
        signed=Count("id", filter=Q(signed_at__isnull=False, accept_due_at__isnull=False)),
        signed_on_time=Count("id", filter=Q(signed_at__isnull=False, signed_at__lte=F("accept_due_at"))),
        resolved=Count("id", filter=Q(resolved_at__isnull=False, finish_due_at__isnull=False)),
        resolved_on_time=Count(
            "id", filter=Q(resolved_at__isnull=False, resolved_at__lte=F("finish_due_at"))
        ),
        finished=Count("id", filter=Q(status__in=done)),
    )
    latest = Evaluation.objects.filter(case=OuterRef("pk")).order_by("-id").values("rating")[:1]
    ratings = cases.annotate(last_rating=Subquery(latest)).aggregate(
        rated=Count("id", filter=Q(last_rating__isnull=False)),
        pleased=Count("id", filter=Q(last_rating__in=[Rating.SATISFIED, Rating.BASICALLY])),
    )

    def rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "cases": counts["total"],
        "response_rate": rate(counts["signed_on_time"], counts["signed"]),
        "on_time_rate": rate(counts["resolved_on_time"], counts["resolved"]),
        "resolution_rate": rate(counts["finished"], counts["taken"]),
        "satisfaction_rate": rate(ratings["pleased"], ratings["rated"]),
    }


# Choices of the workbench's filters and of bulk dispatch --------------------------------------------


def _user_paths(user: Any) -> list[str]:
    return sorted({path for _role, path in _memberships(user)})


def filter_choices(user: Any) -> dict[str, Any]:
    """Categories, grids and departments for the filters: the grids and departments of the user's area."""
    from zhili.accounts.models import Department
    from zhili.cases.models import Category
    from zhili.cases.policies import _prefix_q
    from zhili.territory.models import Node, NodeKind

    paths = _user_paths(user)
    grids = Node.objects.filter(kind=NodeKind.GRID).filter(_prefix_q(paths, "path")).order_by("sort_key")
    departments = [
        d
        for d in Department.objects.select_related("node").order_by("code")
        if any(d.node.path.startswith(p) or p.startswith(d.node.path) for p in paths)
    ]
    return {
        "categories": list(Category.objects.filter(active=True).order_by("code")),
        "grids": list(grids),
        "departments": departments,
    }


def dispatch_targets(user: Any) -> dict[str, Any]:
    """Departments and grids a dispatcher (or supervisor) may send cases to from the queue."""
    from zhili.accounts.models import Department
    from zhili.cases.policies import _prefix_q, staff_paths
    from zhili.territory.models import Node, NodeKind

    paths = staff_paths(user, STAFF_DISPATCH)
    # A department serves its node's subtree: one at or above the dispatcher's area, or inside it.
    departments = [
        d
        for d in Department.objects.select_related("node").order_by("code")
        if any(p.startswith(d.node.path) or d.node.path.startswith(p) for p in paths)
    ]
    grids = list(
        Node.objects.filter(kind=NodeKind.GRID).filter(_prefix_q(paths, "path")).order_by("sort_key")
    )
    return {"departments": departments, "grids": grids}


# The dispatcher's panel: what the classifier thought, and possible duplicates --------------------


# Category sources where a person stands behind the category (the classifier's wait is over).
PERSON_SOURCES = frozenset({"staff", "dispatcher", "system"})


def classifier_view(case: Case) -> dict[str, Any]:
    """The suggestion stored at intake (category, department, confidence, model) and the terms that
    weigh most for that category now (the terms are not stored: they are worked out again).

    When the classifier abstained (its best guess fell below the threshold) the panel still shows,
    with the guess if the submit event kept one, and says that a person must choose the category."""
    from zhili.cases.models import Category

    submit = next((e for e in timeline(case) if e.kind == Transition.SUBMIT), None)
    suggested = dict((submit.data or {}).get("suggested") or {}) if submit is not None else {}
    terms: list[tuple[str, float]] = []
    try:
        from zhili.intelligence.classify import classify

        prediction = classify(case.title, case.body, keep_guess=True)
    except Exception:  # the panel must show even when the model cannot be loaded
        prediction = None
    if prediction is not None:
        terms = [(str(t), float(w)) for t, w in (prediction.top_features or [])[:8]]
        if not suggested:
            suggested = {
                "category": prediction.category_code,
                "confidence": round(float(prediction.confidence), 3),
                "model": prediction.model_version,
            }
            if prediction.below_threshold:
                suggested["below_threshold"] = True
    name = ""
    if suggested.get("category"):
        category = Category.objects.filter(code=suggested["category"]).first()
        name = category.name if category else str(suggested["category"])
    return {
        "source": case.category_source,
        "source_label": _category_source_label(case.category_source),
        "confidence": case.category_confidence,
        "suggested_code": suggested.get("category", ""),
        "suggested_name": name,
        "suggested_confidence": suggested.get("confidence"),
        "model": _model_label(str(suggested.get("model", ""))),
        "terms": terms,
        # No suggestion above the threshold, or only one below it: a person classifies the case.
        "below_threshold": bool(suggested.get("below_threshold")) or not suggested,
        "threshold": _min_confidence(),
        "awaits_person": case.category_source not in PERSON_SOURCES,
    }


def _min_confidence() -> float:
    from zhili.intelligence.conf import min_confidence

    return min_confidence()


def _model_label(version: str) -> str:
    """Which classifier made the suggestion, in words: the keyword rules or a trained model."""
    from django.utils.translation import gettext as _

    from zhili.intelligence.classify import KEYWORDS_VERSION

    if not version:
        return ""
    if version == KEYWORDS_VERSION:
        return _("keyword rules")
    return _("model %(version)s") % {"version": version}


def _category_source_label(source: str) -> str:
    from django.utils.translation import gettext as _

    labels: dict[str, str] = {
        "reporter": _("chosen by the resident"),
        "classifier": _("set by the classifier"),
        "staff": _("set by staff at intake"),
        "system": _("set by the sending system"),
        "dispatcher": _("confirmed or corrected by the dispatcher"),
    }
    return labels.get(source, source)


def duplicates(user: Any, case: Case, *, limit: int = 5) -> list[dict[str, Any]]:
    """Possible duplicates of an open case among the open cases of its street that ``user`` may see,
    best first: score, text similarity, distance in metres and age in days."""
    from zhili.intelligence.selectors import similar_open_cases

    if not case.is_open:
        return []
    found = similar_open_cases(case, limit=limit * 2)
    visible = set(visible_cases(user).filter(pk__in=[c.pk for c, _m in found]).values_list("pk", flat=True))
    rows = []
    for other, match in found:
        if other.pk not in visible:
            continue
        rows.append(
            {
                "case": other,
                "score": match.score,
                "text": match.text,
                "distance_m": match.distance_m,
                "age_days": match.age_days,
                # Merging folds the duplicate into the main case: only from the early statuses.
                "can_merge_here": other.status in MERGEABLE,
            }
        )
    return rows[:limit]


MERGEABLE = (CaseStatus.PENDING, CaseStatus.ACCEPTED, CaseStatus.DISPATCHED)


def support_count(case: Case) -> int:
    return case.supports.count()


# The grid worker's phone page ------------------------------------------------------------------------


def field_tasks(user: Any) -> list[Case]:
    """What waits for this user's hands: cases dispatched to them, their department or their grid
    (to sign, handle, finish), and resolved cases of their grid to verify on site. Most urgent first."""
    from zhili.accounts.roles import Role
    from zhili.cases.policies import _prefix_q, staff_paths
    from zhili.cases.states import OPEN_STATUSES

    grid_paths = staff_paths(user, {Role.GRID_WORKER})
    assigned = Q(assignee=user) | _prefix_q(grid_paths, "assigned_grid__path")
    if user.department_id and staff_paths(user, {Role.HANDLER}):
        assigned |= Q(department_id=user.department_id)
    waiting = Q(status__in=sorted(OPEN_STATUSES - set(DISPATCHABLE))) & assigned
    cases = (
        visible_cases(user)
        .filter(waiting | queue_q(user, Queue.VERIFY))
        .select_related("category", "node", "grid", "assigned_grid", "department")
        .order_by("-priority", "finish_due_at", "id")
    )
    return with_countdown(cases[:100])


def grid_open_cases(user: Any) -> list[Case]:
    """Open cases filed in or sent to the user's grids (grid workers only)."""
    from zhili.accounts.roles import Role
    from zhili.cases.policies import _prefix_q, staff_paths

    grid_paths = staff_paths(user, {Role.GRID_WORKER})
    if not grid_paths:
        return []
    cases = (
        visible_cases(user)
        .filter(_open_q())
        .filter(_prefix_q(grid_paths, "node__path") | _prefix_q(grid_paths, "assigned_grid__path"))
        .select_related("category", "node", "grid", "assigned_grid", "department")
        .order_by("-priority", "finish_due_at", "id")
    )
    return with_countdown(cases[:100])


def patrol_categories() -> list[Any]:
    """The chips of the patrol form: second-level categories (小类), or first-level ones when the
    catalogue has no second level."""
    from zhili.cases.models import Category

    cats = list(Category.objects.filter(active=True, level=2).order_by("code")[:24])
    return cats or list(Category.objects.filter(active=True, level=1).order_by("code")[:24])


# The hotline operator's page ------------------------------------------------------------------------

HOTLINE_ROLES = frozenset({Role.DISPATCHER, Role.COMMUNITY_STAFF})
CALLER_DAYS = 180


def hotline_areas(user: Any) -> list[Any]:
    """The areas an operator may file a call under: their own areas and the communities in them."""
    from zhili.cases.policies import _prefix_q, staff_paths
    from zhili.territory.models import Node, NodeKind

    paths = staff_paths(user, HOTLINE_ROLES)
    if not paths:
        return []
    kinds = [NodeKind.DISTRICT, NodeKind.STREET, NodeKind.COMMUNITY]
    return list(Node.objects.filter(_prefix_q(paths, "path"), kind__in=kinds).order_by("path")[:200])


def hotline_recent(user: Any, limit: int = 20) -> list[Case]:
    """The calls this operator logged today, the latest first."""
    from zhili.cases.models import Channel

    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return list(
        Case.objects.filter(reporter=user, channel=Channel.HOTLINE, created_at__gte=start)
        .select_related("category", "department", "node")
        .order_by("-created_at", "-id")[:limit]
    )


def caller_history(user: Any, phone: str, limit: int = 10) -> tuple[list[Case], int, int]:
    """Cases from this number in the last half year that the operator may see, open ones first, how
    many of them are still open and how many there are (up to 50): a repeat caller is usually
    calling about one of the open ones."""
    from zhili.cases.contact import phone_index
    from zhili.cases.states import OPEN_STATUSES

    since = timezone.now() - timedelta(days=CALLER_DAYS)
    cases = (
        visible_cases(user)
        .filter(contact_mobile_bidx=phone_index(phone), created_at__gte=since)
        .select_related("category", "department", "node")
    )
    rows = list(cases.order_by("-created_at", "-id")[:50])
    open_rows = [c for c in rows if c.status in OPEN_STATUSES]
    ordered = open_rows + [c for c in rows if c.status not in OPEN_STATUSES]
    return ordered[:limit], len(open_rows), len(rows)


# The resident's form: open cases near the pin -------------------------------------------------------

SIMILAR_DAYS = 30


def _mask_digits(text: str) -> str:
    """Long runs of digits (phone numbers, ID numbers) hidden from the public list."""
    import re

    return re.sub(r"\d{5,}", lambda m: "*" * len(m.group(0)), text)


def similar_near(
    *, title: str, body: str, lat: float | None, lng: float | None, address: str = "", limit: int = 5
) -> list[dict[str, Any]]:
    """Open cases of the street around the pin (or the address) that read like this report, best
    first, in what the public may see of them: masked title, category, status, distance, age and
    support count (never the code, the description, names or numbers)."""
    from django.db.models import Count

    from zhili.cases.states import OPEN_STATUSES
    from zhili.intelligence.similar import CaseText, similar_cases
    from zhili.territory.locate import locate, locate_address
    from zhili.territory.models import Node, NodeKind

    if not (title or body).strip():
        return []
    grid = None
    if lat is not None and lng is not None:
        grid = locate(lat, lng)
    elif address:
        grid = locate_address(address)
    if grid is None:
        return []
    street = Node.objects.filter(pk__in=grid.ancestors(), kind=NodeKind.STREET).first() or grid
    now = timezone.now()
    others = list(
        Case.objects.filter(
            node__path__startswith=street.path,
            status__in=sorted(OPEN_STATUSES),
            merged_into__isnull=True,
            created_at__gte=now - timedelta(days=SIMILAR_DAYS),
        )
        .select_related("category")
        .annotate(support_total=Count("supports"))
        .order_by("-created_at")[:500]
    )
    query = CaseText("new", title, body, now, lat, lng)
    texts = [CaseText(c.pk, c.title, c.body, c.created_at, c.lat, c.lng) for c in others]
    by_id: dict[Any, Case] = {c.pk: c for c in others}
    rows = []
    for match in similar_cases(query, texts, limit=limit):
        case = by_id[match.id]
        rows.append(
            {
                "case": case,
                "title": _mask_digits(case.title),
                "category": case.category.name if case.category else "",
                "status_label": str(CaseStatus(case.status).label),
                "distance_m": match.distance_m,
                "age_days": match.age_days,
                "score": match.score,
                "supports": case.support_total,  # type: ignore[attr-defined]
            }
        )
    return rows


def public_grids() -> dict[str, Any]:
    """Current boundaries of every grid, names only: the map of the public form (no tile server)."""
    from zhili.territory.models import GridBoundary

    features = [
        {
            "type": "Feature",
            "properties": {"name": b.grid.name},
            "geometry": b.geometry,
        }
        for b in GridBoundary.objects.filter(is_current=True)
        .select_related("grid")
        .order_by("grid__sort_key")
    ]
    return {"type": "FeatureCollection", "features": features}
