"""Every write to a case. One transaction each, one case event, one audit row, messages on commit.

Status changes go through ``do_transition`` only: it locks the row, checks that the actor may take
this transition on this case (404 when they cannot see it, 403 when they may not act), runs the
transition's guards and changes, refuses anything that is not an edge of ``states.EDGES``, writes
the timeline event and the audit row, and queues the messages in the outbox (sent after commit).

Actors: a ``User``, or ``SYSTEM_ACTOR`` for the system itself (signed webhooks, the sweep). Never
``None``: a view that forgot its user must not act with the system's rights.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhili.accounts.roles import Role
from zhili.analytics import rollups
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.cases.models import (
    Attachment,
    Case,
    CaseEvent,
)
from zhili.cases.notifications import announce
from zhili.cases.photos import MAX_PHOTOS, CleanPhoto, clean_photo
from zhili.cases.policies import (
    require_roles,
)
from zhili.cases.states import (
    RULES,
    SYSTEM,
    CaseStatus,
    Transition,
    is_edge,
    targets_from,
)
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.rows import insert_new

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


@dataclass(frozen=True)
class ReporterProof:
    """Whoever gave a case's tracking code and the last four digits of its number (the public
    tracking page): they act as that case's reporter, on that case only. No user row; audit rows
    name no one."""

    case_id: int
    is_authenticated = False
    is_active = True


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


def _known_attachments(event: CaseEvent, attachments: list[Attachment]) -> None:
    """Fill the event's ``attachments`` as a prefetch would, so that showing it reads no rows."""
    # Without photos, an empty queryset: building the filter costs more than the rest of this.
    rows = Attachment.objects.filter(event=event) if attachments else Attachment.objects.none()
    rows._result_cache = attachments
    rows._prefetch_done = True  # type: ignore[attr-defined]
    event._prefetched_objects_cache = {"attachments": rows}  # type: ignore[attr-defined]


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
    defer: Callable[[Callable[[], object]], None] | None = None,
) -> CaseEvent:
    """The timeline event, its photos and the audit row of one change (inside the transaction).

    ``defer``: given, it is handed the audit write to run later in the same transaction (intake
    writes it last, see ``zhili.cases.intake.before_commit``)."""
    event = CaseEvent(
        case=case,
        actor=_actor_user(actor),
        kind=kind,
        from_status=source,
        to_status=target,
        note=note,
        data=data or {},
    )
    insert_new([event])  # every action writes one: a plain INSERT (see ``zhili.core.rows``)
    saved = _save_attachments(case, event, photos, actor) if photos else []
    _known_attachments(event, saved)
    # Notes and contact details stay out of the audit log: it is kept for ever and read by auditors.
    details: dict[str, Any] = {"code": case.code, "event": event.pk, "kind": kind}
    if source or target:
        details.update({"from": source, "to": target})
    for key in ("department", "grid", "rule", "reason", "rating", "into", "auto"):
        if data and key in data:
            details[key] = data[key]
    if data and "category" in data:  # a dispatcher's confirmation or correction: the codes
        details["category"] = {k: data["category"][k] for k in ("from", "to")}
    actor = _actor_for_audit(actor)
    audit = partial(record_audit, audit_action, actor=actor, target=case, node=case.node, details=details)
    if defer is None:
        audit()
    else:
        defer(audit)
    return event


def _target_data(case: Case) -> dict[str, Any]:
    if case.department_id and case.department is not None:
        return {"department": case.department_id, "department_name": case.department.name}
    if case.assigned_grid_id and case.assigned_grid is not None:
        return {"grid": case.assigned_grid_id, "grid_name": case.assigned_grid.name}
    return {}


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
    if isinstance(actor, ReporterProof):
        if actor.case_id != case.pk:
            raise NotFound()
        if Role.RESIDENT not in rule.roles:
            raise Forbidden()
        return {Role.RESIDENT}
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
        before = rollups.snapshot(locked)
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
        rollups.on_case_change(before, locked)  # the cockpit's counters, to the journal
        announce(locked, transition.value, source, target, actor=_actor_user(actor))
    return locked
