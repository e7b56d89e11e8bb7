"""Events without a status change: contact with the resident, escalation of an overdue case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.accounts.roles import Role
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.cases.actions.base import NOTE_MAX, SYSTEM_ACTOR, T, _clean_text, _lock, _record
from zhili.cases.actions.transitions import awaiting_arbitration
from zhili.cases.contact import unseal
from zhili.cases.models import (
    Case,
    SlaState,
)
from zhili.cases.notifications import announce_escalation
from zhili.cases.policies import (
    case_roles,
    is_assignee,
    is_verifier,
    require_roles,
)
from zhili.cases.states import (
    CLOCK_RUNNING_STATUSES,
    RULES,
    CaseStatus,
    Transition,
    targets_from,
)
from zhili.core.errors import DomainError, Forbidden

# Events without a status change ------------------------------------------------------------------


CONTACT_ROLES = frozenset({Role.HANDLER, Role.GRID_WORKER})
# While the case is with its handler: not once it was given back (已退回) or finished.
CONTACT_STATUSES = frozenset(
    {
        CaseStatus.DISPATCHED,
        CaseStatus.SIGNED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.EXTENSION_PENDING,
        CaseStatus.SUSPENDED,
    }
)


def may_record_contact(actor: Any, case: Case) -> bool:
    """Whether ``do_record_contact`` would take this actor's word for it: the handler or grid worker
    holding the open case."""
    return (
        case.status in CONTACT_STATUSES
        and bool(case_roles(actor, case) & CONTACT_ROLES)
        and is_assignee(actor, case)
    )


def do_record_contact(case: Case | int, *, actor: Any, note: str) -> Case:
    """The handler reached the resident (the "first contact" clock)."""
    note = _clean_text(note, field_name="note", required=True, max_length=NOTE_MAX)
    with transaction.atomic():
        locked = _lock(case)
        if actor is None or actor is SYSTEM_ACTOR:
            raise Forbidden()
        require_roles(actor, locked, CONTACT_ROLES)
        if not is_assignee(actor, locked):
            raise Forbidden()
        if locked.status not in CONTACT_STATUSES:
            raise DomainError(
                "case_not_held",
                _("The case is not with you to handle: it was given back or is finished."),
                status=409,
            )
        if locked.contacted_at is None:
            locked.contacted_at = timezone.now()
            locked.save(update_fields=["contacted_at", "updated_at"])
        _record(locked, "contact", actor=actor, note=note, audit_action=AuditAction.CASE_EVENT)
    return locked


# Staff who call the resident back (to ask, to follow up, to take a rating by phone).
CONTACT_REVEAL_ROLES = frozenset(
    {Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR, Role.GRID_WORKER, Role.COMMUNITY_STAFF}
)
REVEAL_REASON_MIN = 4


def may_reveal_contact(actor: Any, case: Case) -> bool:
    return not case.anonymous and bool(case_roles(actor, case) & CONTACT_REVEAL_ROLES)


def do_reveal_contact(case: Case, *, actor: Any, reason: str) -> dict[str, str]:
    """The reporter's name and phone number in full, for staff who call them, with a reason. Audited.

    Pages show them masked; an anonymous report's are never shown (the resident hears by SMS)."""
    if actor is None or actor is SYSTEM_ACTOR or not (case_roles(actor, case) & CONTACT_REVEAL_ROLES):
        raise Forbidden()
    if case.anonymous:
        raise DomainError(
            "anonymous_case",
            _("The resident asked to stay anonymous: their contact details are not shown."),
            status=409,
        )
    reason = " ".join((reason or "").split())
    if len(reason) < REVEAL_REASON_MIN:
        raise DomainError(
            "reason_required",
            _("Say why you need the full number (at least %(min)s characters).") % {"min": REVEAL_REASON_MIN},
            field="reason",
        )
    mobile = unseal(case.contact_mobile_enc)
    if not mobile:
        raise DomainError("no_contact", _("The resident left no phone number."), status=409)
    with transaction.atomic():
        record_audit(
            AuditAction.CASE_CONTACT_REVEALED,
            actor=actor,
            target=case,
            node=case.node,
            details={"case_id": case.pk, "code": case.code, "reason": reason[:200]},
        )
    return {"name": unseal(case.contact_name_enc), "mobile": mobile}


def escalate_if_unclaimed(case_pk: int, now: datetime) -> bool:
    """Escalate one overdue case, unless another sweeper already did: the conditional UPDATE is the claim.

    Two sweepers may both pick the same overdue case. Both run ``UPDATE … WHERE escalated_at IS NULL``;
    PostgreSQL makes the second wait for the first's row lock and then re-check the condition, which
    no longer holds, so it updates nothing and goes away. The claim, the event, the audit row and the
    messages commit together, so a crash leaves the case unescalated rather than half done.
    """
    with transaction.atomic():
        claimed = Case.objects.filter(
            pk=case_pk,
            status__in=sorted(CLOCK_RUNNING_STATUSES),
            finish_due_at__lte=now,
            escalated_at__isnull=True,
        ).update(escalated_at=now, sla_state=SlaState.RED)
        if claimed != 1:
            return False
        case = Case.objects.select_related("node", "category", "grid").get(pk=case_pk)
        supervisors = announce_escalation(case)
        _record(
            case,
            "escalated",
            actor=SYSTEM_ACTOR,
            data={
                "due": case.finish_due_at.isoformat() if case.finish_due_at else "",
                "notified": supervisors,
            },
            audit_action=AuditAction.CASE_EVENT,
        )
    return True


def allowed_transitions(user: Any, case: Case) -> list[Transition]:
    """The transitions with an edge from the case's status whose roles this user holds for the case
    and whose guards on who acts and on the case's state hold now: the buttons of the case page,
    so that none is offered that its action would refuse whatever is typed into its form."""
    roles = case_roles(user, case)
    result: list[Transition] = []
    for transition in Transition:
        if transition == T.SUBMIT or not targets_from(transition, case.status):
            continue
        held = roles & RULES[transition].roles
        if held and _guards_hold(transition, user, case, held):
            result.append(transition)
    return result


def _guards_hold(transition: Transition, user: Any, case: Case, roles: set[str]) -> bool:
    """The guards of ``states.RULES`` that depend on the actor and the case, as the actions check them
    (the guards on the input, a reason or a target, are the form's business)."""
    guards = RULES[transition].guards
    if "is_assignee" in guards and not is_assignee(user, case):
        return False
    # A handler never returns a binding assignment; only a supervisor moves one.
    if "not_binding" in guards and case.binding and (transition == T.RETURN or Role.SUPERVISOR not in roles):
        return False
    if "not_awaiting_arbitration" in guards and awaiting_arbitration(case):
        return False
    if "awaiting_arbitration" in guards and not awaiting_arbitration(case):
        return False
    if "verifier_of_case" in guards and (
        not is_verifier(user, case)
        or (case.assignee_id is not None and case.assignee_id == getattr(user, "pk", None))
    ):
        return False
    return not ("supervisor_if_disputed" in guards and case.needs_review and Role.SUPERVISOR not in roles)
