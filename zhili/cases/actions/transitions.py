"""One action per transition of the table, each through ``do_transition``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhili.accounts.models import Department
from zhili.accounts.roles import Role
from zhili.audit.models import AuditAction
from zhili.cases import clock, conf
from zhili.cases.actions.base import (
    NOTE_MAX,
    SYSTEM_ACTOR,
    RejectReason,
    S,
    Step,
    T,
    _actor_user,
    _clean_text,
    _lock,
    _record,
    _target_data,
    clean_photos,
    do_transition,
)
from zhili.cases.models import (
    Case,
    Category,
    Evaluation,
    Rating,
    RatingSource,
)
from zhili.cases.photos import CleanPhoto
from zhili.cases.policies import (
    is_assignee,
    is_verifier,
    require_roles,
    staff_paths,
)
from zhili.cases.states import (
    OPEN_STATUSES,
    RULES,
    CaseStatus,
)
from zhili.core.errors import DomainError, Forbidden
from zhili.territory.models import Node, NodeKind

# Dispatching -------------------------------------------------------------------------------------


def _set_target(step: Step, department: Department | None, grid: Node | None) -> None:
    case = step.case
    if (department is None) == (grid is None):
        raise DomainError("target_required", _("Choose either a department or a grid."), status=422)
    if department is not None:
        if not case.node.path.startswith(department.node.path):
            raise DomainError(
                "department_out_of_area", _("This department does not serve the case's area."), status=422
            )
        case.department, case.assigned_grid = department, None
    elif grid is not None:
        if grid.kind != NodeKind.GRID:
            raise DomainError("grid_invalid", _("Choose a grid."), status=422)
        if step.actor is not SYSTEM_ACTOR:
            paths = staff_paths(step.actor, {Role.DISPATCHER, Role.SUPERVISOR})
            if not any(grid.path.startswith(p) for p in paths):
                raise DomainError("grid_out_of_scope", _("This grid is outside your area."), status=422)
        case.department, case.assigned_grid = None, grid
    case.assignee = None
    step.data.update(_target_data(case))


def _need_reason(reason: str) -> str:
    return _clean_text(reason, field_name="reason", required=True, max_length=NOTE_MAX)


def _note(note: str) -> str:
    return _clean_text(note, field_name="note", required=False, max_length=NOTE_MAX)


def awaiting_arbitration(case: Case) -> bool:
    return case.status == S.RETURNED and case.return_count >= conf.max_returns()


# Where a category set by a dispatcher (or supervisor) is recorded: the classifier trains on it.
DISPATCHER_SOURCE = "dispatcher"


def _set_category(step: Step, category: Category | None) -> None:
    """The dispatcher confirms or corrects the category while taking the case on or sending it out.

    Choosing the case's own category confirms it (the classifier counts it as one a person stands
    behind); choosing another corrects it. Either way the event keeps what it was and what it is."""
    if category is None:
        return
    if not category.active:
        raise DomainError("category_invalid", _("Unknown category."), field="category", status=422)
    case = step.case
    before = case.category if case.category_id else None
    if (
        before is not None
        and before.pk == category.pk
        and case.category_source == DISPATCHER_SOURCE
        and case.category_confidence == 1.0
    ):
        return  # already confirmed by a dispatcher: nothing to record
    case.category = category
    case.category_source = DISPATCHER_SOURCE
    case.category_confidence = 1.0
    step.data["category"] = {
        "from": before.code if before is not None else "",
        "to": category.code,
        "from_name": before.name if before is not None else "",
        "to_name": category.name,
    }
    if before is None or before.pk != category.pk:
        # Another category may have another SLA policy: the deadlines follow it.
        extended = case.events.filter(kind=T.APPROVE_EXTENSION.value).exists()
        if clock.follow_category(case, step.now, extended=extended):
            step.data["deadline"] = case.finish_due_at.isoformat() if case.finish_due_at else ""


def do_accept(case: Case | int, *, actor: Any, note: str = "", category: Category | None = None) -> Case:
    def change(step: Step) -> CaseStatus:
        _set_category(step, category)
        return S.ACCEPTED

    return do_transition(case, T.ACCEPT, actor=actor, note=_note(note), change=change)


def do_reject(case: Case | int, *, actor: Any, reason: str, note: str = "") -> Case:
    if reason not in RejectReason.codes():
        raise DomainError("reason_invalid", _("Choose a reason from the list."), status=422)

    def change(step: Step) -> CaseStatus:
        step.case.closed_at = step.now
        step.data["reason"] = reason
        return S.REJECTED

    return do_transition(case, T.REJECT, actor=actor, note=_note(note), change=change)


def do_dispatch(
    case: Case | int,
    *,
    actor: Any,
    department: Department | None = None,
    grid: Node | None = None,
    note: str = "",
    category: Category | None = None,
) -> Case:
    def change(step: Step) -> CaseStatus:
        if awaiting_arbitration(step.case):
            raise DomainError(
                "arbitration_required",
                _("This case was returned %(n)s times: a supervisor must arbitrate.")
                % {"n": step.case.return_count},
                status=409,
            )
        _set_target(step, department, grid)
        _set_category(step, category)
        return S.DISPATCHED

    return do_transition(case, T.DISPATCH, actor=actor, note=_note(note), change=change)


def _require_assignee(step: Step) -> None:
    if not is_assignee(step.actor, step.case):
        raise Forbidden()


def do_sign(case: Case | int, *, actor: Any, note: str = "") -> Case:
    def change(step: Step) -> CaseStatus:
        _require_assignee(step)
        step.case.assignee = step.actor
        if step.case.signed_at is None:
            step.case.signed_at = step.now
        return S.SIGNED

    return do_transition(case, T.SIGN, actor=actor, note=_note(note), change=change)


def do_start(case: Case | int, *, actor: Any, note: str = "") -> Case:
    def change(step: Step) -> CaseStatus:
        _require_assignee(step)
        return S.IN_PROGRESS

    return do_transition(case, T.START, actor=actor, note=_note(note), change=change)


def do_return(case: Case | int, *, actor: Any, reason: str) -> Case:
    """退单: the department gives the case back with a reason; after N returns a supervisor arbitrates."""
    reason = _need_reason(reason)

    def change(step: Step) -> CaseStatus:
        _require_assignee(step)
        if step.case.binding:
            raise DomainError(
                "assignment_binding",
                _("A supervisor made this assignment binding: it cannot be returned."),
                status=409,
            )
        step.case.return_count += 1
        step.data.update({"returns": step.case.return_count, **_target_data(step.case)})
        if step.case.return_count >= conf.max_returns():
            step.data["arbitration"] = True
        return S.RETURNED

    return do_transition(case, T.RETURN, actor=actor, note=reason, change=change)


def do_arbitrate(
    case: Case | int,
    *,
    actor: Any,
    department: Department | None = None,
    grid: Node | None = None,
    note: str = "",
    category: Category | None = None,
) -> Case:
    """The supervisor decides who handles a case returned too often; the assignment becomes binding."""

    def change(step: Step) -> CaseStatus:
        if not awaiting_arbitration(step.case):
            raise DomainError("arbitration_not_needed", _("This case does not need arbitration."), status=409)
        _set_target(step, department, grid)
        _set_category(step, category)
        step.case.binding = True
        step.data["binding"] = True
        return S.DISPATCHED

    return do_transition(case, T.ARBITRATE, actor=actor, note=_note(note), change=change)


def do_transfer(
    case: Case | int,
    *,
    actor: Any,
    reason: str,
    department: Department | None = None,
    grid: Node | None = None,
    category: Category | None = None,
) -> Case:
    """转办: to another department or grid, with a reason that stays in the timeline."""
    reason = _need_reason(reason)

    def change(step: Step) -> CaseStatus:
        if step.case.binding and Role.SUPERVISOR not in step.roles:
            raise DomainError(
                "assignment_binding", _("Only a supervisor can move a binding assignment."), status=409
            )
        step.data["from"] = _target_data(step.case)
        _set_target(step, department, grid)
        _set_category(step, category)
        return S.DISPATCHED

    return do_transition(case, T.TRANSFER, actor=actor, note=reason, change=change)


def do_request_extension(case: Case | int, *, actor: Any, until: datetime, reason: str) -> Case:
    reason = _need_reason(reason)

    def change(step: Step) -> CaseStatus:
        _require_assignee(step)
        due = step.case.finish_due_at
        if until.tzinfo is None or (due is not None and until <= due) or until <= step.now:
            raise DomainError(
                "extension_not_later", _("An extension must end after the current deadline."), status=422
            )
        step.case.status_before = step.case.status
        step.case.extension_until = until
        step.data["until"] = until.isoformat()
        return S.EXTENSION_PENDING

    return do_transition(case, T.REQUEST_EXTENSION, actor=actor, note=reason, change=change)


def _back_to_before(case: Case) -> CaseStatus:
    before = case.status_before or S.IN_PROGRESS
    case.status_before = ""
    return S(before)


def do_approve_extension(case: Case | int, *, actor: Any, note: str = "") -> Case:
    def change(step: Step) -> CaseStatus:
        until = step.case.extension_until
        if until is not None:
            clock.extend_clock(step.case, until, step.now)
            step.data["until"] = until.isoformat()
        step.case.extension_until = None
        return _back_to_before(step.case)

    return do_transition(case, T.APPROVE_EXTENSION, actor=actor, note=_note(note), change=change)


def do_deny_extension(case: Case | int, *, actor: Any, note: str = "") -> Case:
    def change(step: Step) -> CaseStatus:
        step.case.extension_until = None
        return _back_to_before(step.case)

    return do_transition(case, T.DENY_EXTENSION, actor=actor, note=_note(note), change=change)


def do_suspend(case: Case | int, *, actor: Any, reason: str) -> Case:
    """挂起: the clock stops until the case is resumed (e.g. waiting for a court, or the weather)."""
    reason = _need_reason(reason)

    def change(step: Step) -> CaseStatus:
        step.case.status_before = step.case.status
        clock.pause_clock(step.case, step.now)
        return S.SUSPENDED

    return do_transition(case, T.SUSPEND, actor=actor, note=reason, change=change)


def do_resume(case: Case | int, *, actor: Any, note: str = "") -> Case:
    def change(step: Step) -> CaseStatus:
        paused = clock.resume_clock(step.case, step.now)
        step.data["paused_seconds"] = int(paused.total_seconds())
        return _back_to_before(step.case)

    return do_transition(case, T.RESUME, actor=actor, note=_note(note), change=change)


def do_resolve(
    case: Case | int, *, actor: Any, feedback: str, photos: Sequence[bytes | CleanPhoto] = ()
) -> Case:
    """办结 with feedback; some categories need a photo of the result."""
    feedback = _clean_text(feedback, field_name="feedback", required=True, max_length=NOTE_MAX)
    clean = clean_photos(photos)

    def change(step: Step) -> CaseStatus:
        _require_assignee(step)
        category = step.case.category
        if category is not None and category.requires_photo_on_feedback and not clean:
            raise DomainError("photo_required", _("This category needs a photo of the result."), status=422)
        step.case.resolved_at = step.now
        return S.RESOLVED

    return do_transition(case, T.RESOLVE, actor=actor, note=feedback, photos=clean, change=change)


def _require_verifier(step: Step) -> None:
    if not is_verifier(step.actor, step.case):
        raise Forbidden()
    if step.case.assignee_id is not None and step.case.assignee_id == getattr(step.actor, "pk", None):
        raise DomainError("verifier_is_handler", _("Someone else must verify your own work."), status=403)


def do_verify(
    case: Case | int, *, actor: Any, note: str = "", photos: Sequence[bytes | CleanPhoto] = ()
) -> Case:
    """督查核实: a supervisor or the grid worker of the case's grid confirms the result on site, saying
    what they found or showing it in a photo (a bare confirmation is no evidence of a visit)."""
    clean = clean_photos(photos)
    note = _note(note)

    def change(step: Step) -> CaseStatus:
        _require_verifier(step)
        if not note and not clean:
            raise DomainError(
                "verification_evidence_required",
                _("Say what you found on site, or add a photo."),
                field="note",
                status=422,
            )
        step.case.verified_at = step.now
        return S.VERIFIED

    return do_transition(case, T.VERIFY, actor=actor, note=note, photos=clean, change=change)


def do_send_back(
    case: Case | int, *, actor: Any, reason: str, photos: Sequence[bytes | CleanPhoto] = ()
) -> Case:
    reason = _need_reason(reason)
    clean = clean_photos(photos)

    def change(step: Step) -> CaseStatus:
        _require_verifier(step)
        step.case.resolved_at = None
        return S.IN_PROGRESS

    return do_transition(case, T.SEND_BACK, actor=actor, note=reason, photos=clean, change=change)


def _rate(step: Step, rating: str, comment: str, source: str) -> CaseStatus:
    case = step.case
    Evaluation.objects.create(
        case=case,
        rating=rating,
        comment=comment,
        source=source,
        round=case.reopen_count,
        actor=_actor_user(step.actor),
    )
    step.data["rating"] = rating
    if rating != Rating.UNSATISFIED:
        return S.RATED
    if case.reopen_count == 0:
        # 重办: back to the same handler with priority, on a fresh clock.
        case.reopen_count += 1
        case.priority += 1
        case.assignee = None
        case.signed_at = case.resolved_at = case.verified_at = None
        clock.start_clock(case, step.now)
        step.data.update({"reopened": True, **_target_data(case)})
        return S.DISPATCHED
    case.needs_review = True
    step.data["review"] = True
    return S.RATED


def _clean_rating(rating: str, comment: str) -> str:
    if rating not in Rating.values:
        raise DomainError("rating_invalid", _("Choose a rating."), status=422)
    return _clean_text(comment, field_name="comment", required=False, max_length=500)


def do_rate(case: Case | int, *, actor: Any, rating: str, comment: str = "") -> Case:
    """回访评价 by the resident who reported the case."""
    comment = _clean_rating(rating, comment)
    return do_transition(
        case,
        T.RATE,
        actor=actor,
        note=comment,
        change=lambda step: _rate(step, rating, comment, RatingSource.RESIDENT),
    )


def do_rate_by_phone(case: Case | int, *, actor: Any, rating: str, comment: str = "") -> Case:
    """Staff enter the rating a resident gave on a follow-up call."""
    comment = _clean_rating(rating, comment)
    return do_transition(
        case,
        T.RATE_BY_PHONE,
        actor=actor,
        note=comment,
        change=lambda step: _rate(step, rating, comment, RatingSource.PHONE),
    )


def do_rate_default(case: Case | int, *, actor: Any = SYSTEM_ACTOR, now: datetime | None = None) -> Case:
    """Nobody rated within the window: 默认满意 (by the sweep)."""

    def change(step: Step) -> CaseStatus:
        verified = step.case.verified_at
        if verified is None or verified + timedelta(days=conf.default_rating_days()) > step.now:
            raise DomainError("rating_window_open", _("The resident can still rate this case."), status=409)
        return _rate(step, Rating.SATISFIED, "", RatingSource.DEFAULT)

    return do_transition(case, T.RATE_DEFAULT, actor=actor, change=change, now=now)


def do_close(case: Case | int, *, actor: Any, note: str = "") -> Case:
    def change(step: Step) -> CaseStatus:
        if step.case.needs_review and Role.SUPERVISOR not in step.roles:
            raise DomainError(
                "supervisor_required",
                _("After a second unsatisfied rating only a supervisor closes."),
                status=403,
            )
        step.case.closed_at = step.now
        return S.CLOSED

    return do_transition(case, T.CLOSE, actor=actor, note=_note(note), change=change)


def do_merge(case: Case | int, *, actor: Any, into: Case | int, note: str = "") -> Case:
    """合并: a duplicate folds into the main case; its reporter hears about the main case from now on."""
    case_pk = case.pk if isinstance(case, Case) else case
    into_pk = into.pk if isinstance(into, Case) else into
    if case_pk == into_pk:
        raise DomainError("merge_into_self", _("A case cannot be merged into itself."), status=422)
    with transaction.atomic():
        # Both rows locked in id order, so two opposite merges cannot deadlock.
        locked = {c.pk: c for c in (_lock(pk) for pk in sorted((case_pk, into_pk)))}
        main = locked[into_pk]
        if actor is not SYSTEM_ACTOR:
            require_roles(actor, main, RULES[T.MERGE].roles)

        def change(step: Step) -> CaseStatus:
            if main.status not in OPEN_STATUSES or main.merged_into_id is not None:
                raise DomainError("main_case_closed", _("The main case is no longer open."), status=409)
            step.case.merged_into = main
            step.case.closed_at = step.now
            step.data["into"] = main.code
            return S.MERGED

        merged = do_transition(case_pk, T.MERGE, actor=actor, note=_note(note), change=change)
        _record(
            main,
            "merged_in",
            actor=actor,
            data={"from": merged.code},
            audit_action=AuditAction.CASE_EVENT,
        )
    return merged
