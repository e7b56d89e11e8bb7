"""Reads of cases: scoped lists, the staff view of one case, and the public (redacted) timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from zhili.cases.actions import RejectReason, allowed_transitions
from zhili.cases.contact import mask_name, mask_phone, unseal
from zhili.cases.models import Attachment, Case, CaseEvent, SlaState
from zhili.cases.policies import get_case_for_user, visible_cases
from zhili.cases.states import CaseStatus, Transition

EVENT_LABELS: dict[str, Any] = {t.value: t.label for t in Transition}


def event_label(kind: str) -> str:
    from django.utils.translation import gettext as _

    extra = {
        "contact": _("Resident contacted"),
        "escalated": _("Escalated as overdue"),
        "merged_in": _("A duplicate was merged into this case"),
    }
    return str(EVENT_LABELS.get(kind) or extra.get(kind) or kind)


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    sla_state: str = ""
    q: str = ""  # tracking code (exact) or words of the title
    phone: str = ""  # the reporter's number, through the blind index
    mine: bool = False  # assigned to the user's department or grid, or reported by the user


def case_list(user: Any, filters: CaseFilters | None = None) -> QuerySet[Case]:
    from zhili.cases.contact import phone_index

    f = filters or CaseFilters()
    cases = visible_cases(user).select_related("category", "department", "node", "assigned_grid")
    if f.status:
        cases = cases.filter(status=f.status)
    if f.sla_state:
        cases = cases.filter(sla_state=f.sla_state)
    if f.q:
        text = f.q.strip()
        cases = cases.filter(Q(code=text.upper()) | Q(title__icontains=text))
    if f.phone:
        cases = cases.filter(contact_mobile_bidx=phone_index(f.phone))
    if f.mine:
        cases = cases.filter(Q(department_id=user.department_id) | Q(reporter=user) | Q(assignee=user))
    return cases.order_by("-priority", "-created_at", "-id")


def case_detail(user: Any, pk: Any) -> Case:
    case = get_case_for_user(user, pk)
    events = CaseEvent.objects.select_related("actor").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    # The prefetch cache is what timeline() reads.
    case._timeline = list(events.filter(case=case).order_by("created_at", "id"))  # type: ignore[attr-defined]
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
    """What the tracking page shows: status and a timeline without names, notes or contact data."""
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
        "merged_into": None,
    }
    if case.merged_into_id and case.merged_into is not None:
        main = case.merged_into
        view["merged_into"] = {"code": main.code, "status_label": str(CaseStatus(main.status).label)}
    return view


def find_for_tracking(code: str, phone4: str) -> Case | None:
    """The case with this code whose contact number ends in these four digits, or None."""
    import hmac

    from zhili.cases.contact import last4

    code = (code or "").strip().upper()
    digits = (phone4 or "").strip()
    if not code or len(code) > 16 or len(digits) != 4 or not digits.isdigit():
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
