"""Every write to a case. One transaction each, one case event, one audit row, messages on commit.

Status changes go through ``do_transition`` only: it locks the row, checks that the actor may take
this transition on this case (404 when they cannot see it, 403 when they may not act), runs the
transition's guards and changes, refuses anything that is not an edge of ``states.EDGES``, writes
the timeline event and the audit row, and queues the messages in the outbox (sent after commit).

Actors: a ``User``, or ``SYSTEM_ACTOR`` for the system itself (signed webhooks, the sweep). Never
``None``: a view that forgot its user must not act with the system's rights.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhili.accounts.models import Department
from zhili.accounts.roles import Role
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.cases import clock, conf
from zhili.cases.contact import MOBILE_RE, PHONE_RE, normalise_phone, phone_index, seal
from zhili.cases.dispatch import match_rule
from zhili.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    Category,
    Channel,
    Evaluation,
    Rating,
    RatingSource,
    SlaState,
    Urgency,
)
from zhili.cases.notifications import announce, announce_escalation
from zhili.cases.photos import MAX_PHOTOS, CleanPhoto, clean_photo
from zhili.cases.policies import (
    case_roles,
    is_assignee,
    is_verifier,
    require_roles,
    staff_paths,
)
from zhili.cases.states import (
    CLOCK_RUNNING_STATUSES,
    NEW,
    OPEN_STATUSES,
    RULES,
    SYSTEM,
    CaseStatus,
    Transition,
    is_edge,
    targets_from,
)
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.territory.models import GridBoundary, Node, NodeKind

logger = logging.getLogger(__name__)

S = CaseStatus
T = Transition

TITLE_MAX = 100
BODY_MAX = 2000
NOTE_MAX = 2000
# Crockford's base32: no I, L, O, U, so codes read aloud over the phone are not misheard.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10  # 50 bits: guessing a code is hopeless, and the tracking look-up is rate-limited


class _SystemActor:
    """The system itself. Has no user row; audit rows name it "system"."""

    pk = None
    is_authenticated = False
    is_active = True
    username = "system"

    def __repr__(self) -> str:
        return "SYSTEM_ACTOR"


SYSTEM_ACTOR = _SystemActor()


class RejectReason:
    """不予受理 reasons; the list is fixed so that reports can count them."""

    CHOICES: tuple[tuple[str, Any], ...] = (
        ("not_in_remit", gettext_lazy("Not within the remit of the street")),
        ("duplicate", gettext_lazy("Duplicate of another request")),
        ("insufficient_information", gettext_lazy("Not enough information to act on")),
        ("legal_procedure", gettext_lazy("To be settled through legal or judicial procedure")),
        ("private_dispute", gettext_lazy("A private dispute between parties")),
        ("abusive", gettext_lazy("Abusive or malicious content")),
        ("other", gettext_lazy("Other")),
    )

    @classmethod
    def codes(cls) -> list[str]:
        return [code for code, _label in cls.CHOICES]

    @classmethod
    def label(cls, code: str) -> str:
        return str(dict(cls.CHOICES).get(code, code))


def _actor_for_audit(actor: Any) -> Any:
    return None if actor is SYSTEM_ACTOR or not getattr(actor, "is_authenticated", False) else actor


def _actor_user(actor: Any) -> Any:
    return _actor_for_audit(actor)


FIELD_LABELS: dict[str, Any] = {
    "title": gettext_lazy("Title"),
    "body": gettext_lazy("Description"),
    "address": gettext_lazy("Address"),
    "contact_name": gettext_lazy("Contact name"),
    "external_ref": gettext_lazy("External reference"),
    "reason": gettext_lazy("Reason"),
    "note": gettext_lazy("Note"),
    "feedback": gettext_lazy("Feedback"),
    "comment": gettext_lazy("Comment"),
}


def _clean_text(value: str | None, *, field_name: str, required: bool, max_length: int) -> str:
    text = (value or "").strip()
    label = FIELD_LABELS.get(field_name, field_name)
    if required and not text:
        raise DomainError(f"{field_name}_required", _("Please fill in: %(f)s.") % {"f": label}, status=422)
    if len(text) > max_length:
        raise DomainError(
            f"{field_name}_too_long",
            _("%(f)s is too long (at most %(n)s characters).") % {"f": label, "n": max_length},
            status=422,
        )
    return text


def clean_photos(photos: Sequence[bytes | CleanPhoto]) -> list[CleanPhoto]:
    if len(photos) > MAX_PHOTOS:
        raise DomainError("too_many_photos", _("At most %(n)s photos.") % {"n": MAX_PHOTOS}, status=422)
    return [p if isinstance(p, CleanPhoto) else clean_photo(p) for p in photos]


def _save_attachments(
    case: Case, event: CaseEvent, photos: Sequence[CleanPhoto], actor: Any
) -> list[Attachment]:
    saved = []
    for photo in photos:
        attachment = Attachment(
            case=case,
            event=event,
            token=secrets.token_hex(16),
            extension=photo.extension,
            content_type=photo.content_type,
            size=len(photo.data),
            exif_stripped=True,
            uploaded_by=_actor_user(actor),
        )
        attachment.file.save(f"photo{photo.extension}", ContentFile(photo.data), save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def _record(
    case: Case,
    kind: str,
    *,
    actor: Any,
    source: str = "",
    target: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    photos: Sequence[CleanPhoto] = (),
    audit_action: AuditAction = AuditAction.CASE_TRANSITION,
) -> CaseEvent:
    """The timeline event, its photos and the audit row of one change (inside the transaction)."""
    event = CaseEvent.objects.create(
        case=case,
        actor=_actor_user(actor),
        kind=kind,
        from_status=source,
        to_status=target,
        note=note,
        data=data or {},
    )
    if photos:
        _save_attachments(case, event, photos, actor)
    # Notes and contact details stay out of the audit log: it is kept for ever and read by auditors.
    details: dict[str, Any] = {"code": case.code, "event": event.pk, "kind": kind}
    if source or target:
        details.update({"from": source, "to": target})
    for key in ("department", "grid", "rule", "reason", "rating", "into", "auto"):
        if data and key in data:
            details[key] = data[key]
    record_audit(audit_action, actor=_actor_for_audit(actor), target=case, node=case.node, details=details)
    return event


# The transition machinery ------------------------------------------------------------------------


@dataclass
class Step:
    """What a transition's change function sees: the locked case, who acts, and what to record."""

    case: Case
    actor: Any
    roles: set[str]
    now: datetime
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def _lock(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    try:
        # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins.
        return (
            Case.objects.select_for_update(of=("self",))
            .select_related("node", "grid", "assigned_grid", "category", "department", "reporter")
            .get(pk=pk)
        )
    except Case.DoesNotExist:
        raise NotFound() from None


def _authorize(actor: Any, case: Case, transition: Transition) -> set[str]:
    rule = RULES[transition]
    if actor is SYSTEM_ACTOR:
        if SYSTEM not in rule.roles:
            raise Forbidden()
        return {SYSTEM}
    if actor is None:
        raise NotFound()
    return require_roles(actor, case, rule.roles)


def do_transition(
    case: Case | int,
    transition: Transition,
    *,
    actor: Any,
    change: Callable[[Step], CaseStatus],
    note: str = "",
    data: dict[str, Any] | None = None,
    photos: Sequence[CleanPhoto] = (),
    now: datetime | None = None,
) -> Case:
    """Take one transition: lock, authorise, guard and change (``change``), check the edge, record."""
    with transaction.atomic():
        locked = _lock(case)
        roles = _authorize(actor, locked, transition)
        source = locked.status
        if not targets_from(transition, source):
            raise DomainError(
                "invalid_transition",
                _("This cannot be done while the case is “%(status)s”.") % {"status": S(source).label},
                status=409,
            )
        step = Step(
            case=locked, actor=actor, roles=roles, now=now or timezone.now(), note=note, data=dict(data or {})
        )
        target = change(step)
        if not is_edge(transition, source, target):  # a change function out of step with the table
            raise DomainError(
                "invalid_transition", f"{transition} {source}->{target} is not in the table", status=409
            )
        locked.status = target
        locked.save()
        _record(
            locked,
            transition.value,
            actor=actor,
            source=source,
            target=target,
            note=step.note,
            data=step.data,
            photos=photos,
        )
        announce(locked, transition.value, source, target, actor=_actor_user(actor))
    return locked


# Intake ------------------------------------------------------------------------------------------


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Case.objects.filter(code=code).exists():
            return code


STAFF_ROLES = frozenset(
    {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR}
)
CHANNEL_ROLES: dict[str, frozenset[str]] = {
    Channel.HOTLINE: frozenset({Role.DISPATCHER, Role.COMMUNITY_STAFF}),
    Channel.PATROL: frozenset({Role.GRID_WORKER}),
}


def _user_roles(actor: Any) -> set[str]:
    if actor is SYSTEM_ACTOR or actor is None or not getattr(actor, "is_authenticated", False):
        return set()
    from zhili.authz.policies import _memberships

    return {role for role, _path in _memberships(actor)}


def _check_channel(channel: str, actor: Any) -> None:
    if channel not in Channel.values:
        raise DomainError("channel_invalid", _("Unknown channel."), status=422)
    roles = _user_roles(actor)
    if channel in CHANNEL_ROLES:
        allowed = bool(roles & CHANNEL_ROLES[channel])
    elif channel in (Channel.WEBHOOK, Channel.OPEN311):
        allowed = actor is SYSTEM_ACTOR
    elif channel == Channel.API:
        allowed = actor is SYSTEM_ACTOR or bool(getattr(actor, "is_authenticated", False))
    else:  # the resident form: anyone
        allowed = True
    if not allowed:
        raise Forbidden()


@dataclass(frozen=True)
class Located:
    node: Node
    grid: Node | None
    boundary: GridBoundary | None


def _valid_coordinate(value: float, low: float, high: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and low <= value <= high


def _locate(*, lat: float | None, lng: float | None, address: str, node: Node | None, actor: Any) -> Located:
    from zhili.territory.locate import locate, locate_address

    grid: Node | None = None
    if (lat is None) != (lng is None):
        raise DomainError("coordinates_incomplete", _("Give both latitude and longitude."), status=422)
    if lat is not None and lng is not None:
        if not (_valid_coordinate(lat, -90, 90) and _valid_coordinate(lng, -180, 180)):
            raise DomainError("coordinates_invalid", _("The coordinates are not valid."), status=422)
        grid = locate(lat, lng)
        if grid is None:
            raise DomainError(
                "outside_territory", _("This place lies outside the territory we serve."), status=422
            )
    elif address:
        grid = locate_address(address)
    boundary = GridBoundary.objects.filter(grid=grid, is_current=True).first() if grid is not None else None
    if grid is not None:
        return Located(grid, grid, boundary)
    if node is not None:
        if actor is not SYSTEM_ACTOR:
            paths = staff_paths(actor, STAFF_ROLES)
            if not any(node.path.startswith(p) for p in paths):
                raise DomainError("node_not_found", _("Unknown area."), status=422)
        return Located(node, None, None)
    # Neither a point nor a known address: the case waits with the dispatcher of the actor's area,
    # or of the only street when the platform serves one.
    paths = staff_paths(actor, STAFF_ROLES) if actor is not SYSTEM_ACTOR else []
    if paths:
        fallback = Node.objects.filter(path=paths[0]).first()
        if fallback is not None:
            return Located(fallback, None, None)
    roots = list(Node.objects.filter(parent__isnull=True)[:2])
    if len(roots) == 1:
        return Located(roots[0], None, None)
    raise DomainError("location_required", _("Mark the place on the map or give an address."), status=422)


def _classify(title: str, body: str, lat: float | None, lng: float | None) -> Any:
    from zhili.intelligence.classify import classify

    try:
        return classify(title, body, (lat, lng) if lat is not None and lng is not None else None)
    except Exception:  # a broken model must never stop intake: the dispatcher decides instead
        logger.exception("classifier failed; the case goes to the dispatcher")
        return None


def do_submit_case(
    *,
    actor: Any,
    channel: str,
    title: str,
    body: str,
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    node: Node | None = None,
    category: Category | None = None,
    urgency: str = Urgency.NORMAL,
    contact_name: str = "",
    contact_mobile: str = "",
    anonymous: bool = False,
    external_ref: str = "",
    photos: Sequence[bytes | CleanPhoto] = (),
    now: datetime | None = None,
) -> Case:
    """Intake from any channel: validate, locate, classify, start the clock, dispatch by rule or queue."""
    _check_channel(channel, actor)
    title = _clean_text(title, field_name="title", required=True, max_length=TITLE_MAX)
    body = _clean_text(body, field_name="body", required=True, max_length=BODY_MAX)
    address = _clean_text(address, field_name="address", required=False, max_length=200)
    contact_name = _clean_text(contact_name, field_name="contact_name", required=False, max_length=50)
    external_ref = _clean_text(external_ref, field_name="external_ref", required=False, max_length=100)
    mobile = normalise_phone(contact_mobile) if contact_mobile else ""
    if mobile and not (MOBILE_RE.match(mobile) or PHONE_RE.match(mobile)):
        raise DomainError("mobile_invalid", _("The phone number is not valid."), status=422)
    if urgency not in Urgency.values:
        raise DomainError("urgency_invalid", _("Unknown urgency."), status=422)
    is_staff = bool(_user_roles(actor) & STAFF_ROLES) or actor is SYSTEM_ACTOR
    if urgency != Urgency.NORMAL and not is_staff:
        raise DomainError("urgency_not_allowed", _("Only staff can mark a case urgent."), status=422)
    if category is not None and not category.active:
        raise DomainError("category_invalid", _("Unknown category."), status=422)
    clean = clean_photos(photos)

    located = _locate(lat=lat, lng=lng, address=address, node=node, actor=actor)
    prediction = _classify(title, body, lat, lng)
    confidence: float | None = None
    source = ""
    if category is not None:
        if is_staff:
            confidence, source = 1.0, ("system" if actor is SYSTEM_ACTOR else "staff")
        else:
            agrees = prediction is not None and prediction.category_code == category.code
            confidence, source = (float(prediction.confidence) if agrees else 0.0), "reporter"
    elif prediction is not None:
        category = Category.objects.filter(code=prediction.category_code, active=True).first()
        if category is not None:
            confidence, source = float(prediction.confidence), "classifier"

    now = now or timezone.now()
    with transaction.atomic():
        case = Case(
            code=new_code(),
            title=title,
            body=body,
            channel=channel,
            status=S.PENDING,
            category=category,
            category_confidence=confidence,
            category_source=source,
            node=located.node,
            grid=located.grid,
            boundary=located.boundary,
            lat=lat,
            lng=lng,
            address=address,
            reporter=_actor_user(actor),
            contact_name_enc=seal(contact_name),
            contact_mobile_enc=seal(mobile),
            contact_mobile_bidx=phone_index(mobile),
            anonymous=anonymous,
            external_ref=external_ref,
            urgency=urgency,
            priority={Urgency.NORMAL: 0, Urgency.URGENT: 1, Urgency.EMERGENCY: 2}[Urgency(urgency)],
        )
        clock.start_clock(case, now)
        data: dict[str, Any] = {"channel": channel}
        if prediction is not None:
            data["suggested"] = {
                "category": prediction.category_code,
                "department": prediction.department_code,
                "confidence": round(float(prediction.confidence), 3),
                "model": prediction.model_version,
            }
        rule = match_rule(category, located.node, located.grid) if category is not None else None
        if rule is not None and confidence is not None and confidence >= conf.auto_dispatch_confidence():
            case.status = S.DISPATCHED
            case.department = rule.department
            case.assigned_grid = located.grid if rule.to_case_grid else rule.grid
            data.update({"auto": True, "rule": rule.pk, **_target_data(case)})
        assert is_edge(T.SUBMIT, NEW, case.status)
        case.save()
        _record(
            case,
            T.SUBMIT.value,
            actor=actor,
            source=NEW,
            target=case.status,
            data=data,
            photos=clean,
            audit_action=AuditAction.CASE_SUBMITTED,
        )
        announce(case, T.SUBMIT.value, NEW, case.status, actor=_actor_user(actor))
    return case


# Dispatching -------------------------------------------------------------------------------------


def _target_data(case: Case) -> dict[str, Any]:
    if case.department_id and case.department is not None:
        return {"department": case.department_id, "department_name": case.department.name}
    if case.assigned_grid_id and case.assigned_grid is not None:
        return {"grid": case.assigned_grid_id, "grid_name": case.assigned_grid.name}
    return {}


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


def do_accept(case: Case | int, *, actor: Any, note: str = "") -> Case:
    return do_transition(case, T.ACCEPT, actor=actor, note=_note(note), change=lambda step: S.ACCEPTED)


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
) -> Case:
    """The supervisor decides who handles a case returned too often; the assignment becomes binding."""

    def change(step: Step) -> CaseStatus:
        if not awaiting_arbitration(step.case):
            raise DomainError("arbitration_not_needed", _("This case does not need arbitration."), status=409)
        _set_target(step, department, grid)
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
    """督查核实: a supervisor or the grid worker of the case's grid confirms the result on site."""
    clean = clean_photos(photos)

    def change(step: Step) -> CaseStatus:
        _require_verifier(step)
        step.case.verified_at = step.now
        return S.VERIFIED

    return do_transition(case, T.VERIFY, actor=actor, note=_note(note), photos=clean, change=change)


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


# Events without a status change ------------------------------------------------------------------


def do_record_contact(case: Case | int, *, actor: Any, note: str) -> Case:
    """The handler reached the resident (the "first contact" clock)."""
    note = _clean_text(note, field_name="note", required=True, max_length=NOTE_MAX)
    with transaction.atomic():
        locked = _lock(case)
        if actor is None or actor is SYSTEM_ACTOR:
            raise Forbidden()
        require_roles(actor, locked, frozenset({Role.HANDLER, Role.GRID_WORKER}))
        if not is_assignee(actor, locked):
            raise Forbidden()
        if locked.status not in OPEN_STATUSES:
            raise DomainError("case_not_open", _("The case is no longer open."), status=409)
        if locked.contacted_at is None:
            locked.contacted_at = timezone.now()
            locked.save(update_fields=["contacted_at", "updated_at"])
        _record(locked, "contact", actor=actor, note=note, audit_action=AuditAction.CASE_EVENT)
    return locked


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
    """The transitions with an edge from the case's status whose roles this user holds for the case."""
    roles = case_roles(user, case)
    result: list[Transition] = []
    for transition in Transition:
        if transition == T.SUBMIT or not targets_from(transition, case.status):
            continue
        if roles & RULES[transition].roles:
            result.append(transition)
    return result
