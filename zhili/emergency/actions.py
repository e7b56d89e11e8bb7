"""Every write of emergency: one transaction, one audit row, side effects after commit.

Four-eyes: an alert is approved by a second person holding an approving role over its node; the
drafter can neither approve nor send back their own alert.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from zhili.accounts.roles import Role
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.authz.policies import has_role
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.emergency import policies
from zhili.emergency.area import alert_area, resolve_area
from zhili.emergency.delivery import create_acknowledgements, recipients, start_delivery
from zhili.emergency.models import (
    Acknowledgement,
    Alert,
    AlertEvent,
    CapCategory,
    CapStatus,
    CapUrgency,
    Certainty,
    CheckTask,
    EmergencyMode,
    Mobilisation,
    MsgType,
    Scope,
    Severity,
)
from zhili.emergency.policies import Perm
from zhili.emergency.states import AlertStatus, AlertTransition, CheckOutcome, allowed, target_of
from zhili.territory.models import Node, NodeKind

T = AlertTransition
S = AlertStatus

TEXT_LIMITS = {"event": 100, "headline": 160, "description": 4000, "instruction": 2000, "area_desc": 200}
CHOICES = {
    "cap_status": CapStatus,
    "msg_type": MsgType,
    "scope": Scope,
    "category": CapCategory,
    "urgency": CapUrgency,
    "severity": Severity,
    "certainty": Certainty,
}
MIN_REASON = 2


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        text = (
            " ".join(str(values.get(name) or "").split())
            if name not in ("description", "instruction")
            else (str(values.get(name) or "").strip())
        )
        if len(text) > limit:
            raise DomainError("too_long", _("This text is too long."), field=name)
        out[name] = text
    for name in ("event", "headline"):
        if not out[name]:
            raise DomainError("required", _("This field is required."), field=name)
    for name, enum in CHOICES.items():
        value = values.get(name)
        if value not in enum.values:
            raise DomainError("choice_invalid", _("Choose one of the offered values."), field=name)
        out[name] = value
    effective, expires = values.get("effective"), values.get("expires")
    if not isinstance(effective, datetime) or not isinstance(expires, datetime):
        raise DomainError("required", _("Give the start and end of the alert."), field="expires")
    if expires <= effective:
        raise DomainError(
            "window_invalid", _("The alert must expire after it takes effect."), field="expires"
        )
    out["effective"], out["expires"] = effective, expires
    out["references"] = str(values.get("references") or "")[:300]
    return out


def _event(
    alert: Alert, kind: str, *, actor: Any, source: str = "", target: str = "", note: str = ""
) -> None:
    AlertEvent.objects.create(
        alert=alert,
        kind=kind,
        from_status=source,
        to_status=target,
        actor=actor,
        note=note[:500],
        at=timezone.now(),
    )


def _area_desc(text: str, grids: list[Node]) -> str:
    if text:
        return text
    return "、".join(g.name for g in grids)[:200] or _("Drawn area")


def do_draft_alert(
    *,
    actor: Any,
    node: Node,
    grids: Iterable[Node] = (),
    polygon: dict[str, Any] | None = None,
    **values: Any,
) -> Alert:
    """A new alert in draft, at a node where the actor may draft; the area must lie in that node."""
    if node.kind == NodeKind.GRID and not grids:
        grids = [node]
    if not policies.allowed_at(actor, Perm.DRAFT, node.path):
        raise Forbidden()
    grids = list(grids)
    clean = _clean(values)
    resolve_area(node, grids, polygon)
    now = timezone.now()
    with transaction.atomic():
        alert = Alert.objects.create(
            identifier=f"{node.code}.{now:%Y%m%d%H%M%S}.{secrets.token_hex(4)}",
            sender=f"{node.code}@zhili",
            node=node,
            drafted_by=actor,
            polygon=polygon or None,
            **{**clean, "area_desc": _area_desc(clean["area_desc"], grids)},
        )
        alert.grids.set(grids)
        _event(alert, "draft", actor=actor, target=S.DRAFT)
        record_audit(
            AuditAction.ALERT_CHANGED,
            actor=actor,
            target=alert,
            node=node,
            details={"event": clean["event"], "grids": [g.pk for g in grids], "polygon": bool(polygon)},
        )
    return alert


def do_update_alert(
    alert: Alert,
    *,
    actor: Any,
    grids: Iterable[Node] = (),
    polygon: dict[str, Any] | None = None,
    **values: Any,
) -> Alert:
    """Change a draft (e.g. after it was sent back)."""
    if not policies.can(actor, Perm.DRAFT, alert):
        raise Forbidden()
    grids = list(grids)
    clean = _clean(values)
    resolve_area(alert.node, grids, polygon)
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status != S.DRAFT:
            raise DomainError("not_editable", _("Only a draft can be changed."), status=409)
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.area_desc = _area_desc(clean["area_desc"], grids)
        locked.polygon = polygon or None
        locked.save()
        locked.grids.set(grids)
        _event(locked, "edit", actor=actor)
        record_audit(
            AuditAction.ALERT_CHANGED, actor=actor, target=locked, node=locked.node, details={"edit": True}
        )
    return locked


def _guard(alert: Alert, transition: AlertTransition, actor: Any) -> None:
    if transition is T.EXPIRE:
        return  # the sweep
    if transition in (T.SUBMIT, T.SEND):
        perm_ok = policies.can(actor, Perm.DRAFT, alert) or policies.can(actor, Perm.APPROVE, alert)
    elif (
        transition is T.CANCEL
        and alert.status == S.DRAFT
        and alert.drafted_by_id == getattr(actor, "pk", None)
    ):
        perm_ok = policies.can(actor, Perm.DRAFT, alert)
    else:
        perm_ok = policies.can(actor, Perm.APPROVE, alert)
    if not perm_ok:
        raise Forbidden()
    if transition in (T.APPROVE, T.REJECT) and alert.drafted_by_id == getattr(actor, "pk", None):
        raise DomainError(
            "four_eyes", _("Someone other than the drafter must approve the alert."), status=403
        )


def do_transition_alert(
    alert: Alert, transition: AlertTransition, *, actor: Any, note: str = "", now: datetime | None = None
) -> Alert:
    """The one path of status changes (states.TRANSITIONS)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Alert.objects.select_for_update().select_related("node").get(pk=alert.pk)
        _guard(locked, transition, actor)
        if not allowed(transition, locked.status):
            raise DomainError(
                "transition_not_allowed",
                _("This step is not possible in the alert's current state."),
                status=409,
            )
        source, target = locked.status, target_of(transition)
        fields = ["status", "updated_at"]
        details: dict[str, Any] = {"transition": transition.value, "from": source, "to": target}
        if transition is T.APPROVE:
            locked.approved_by, locked.approved_at = actor, now
            fields += ["approved_by", "approved_at"]
        elif transition is T.CANCEL:
            locked.cancelled_at = now
            fields.append("cancelled_at")
        elif transition is T.SEND:
            if locked.expires <= now:
                raise DomainError("alert_expired", _("The alert has already expired."), status=409)
            people = recipients(alert_area(locked))
            details["recipients"] = create_acknowledgements(locked, people)
            locked.sent = now
            fields.append("sent")
            alert_id = locked.pk
            transaction.on_commit(lambda: start_delivery(alert_id))
        locked.status = target
        locked.save(update_fields=fields)
        _event(locked, transition.value, actor=actor, source=source, target=target, note=note)
        record_audit(
            AuditAction.ALERT_TRANSITION, actor=actor, target=locked, node=locked.node, details=details
        )
    return locked


def do_expire_alerts(*, now: datetime | None = None) -> int:
    """Sent alerts past their expiry become expired (run by the worker; safe to run twice)."""
    now = now or timezone.now()
    count = 0
    for pk in Alert.objects.filter(status=S.SENT, expires__lte=now).values_list("pk", flat=True):
        try:
            do_transition_alert(Alert(pk=pk), T.EXPIRE, actor=None, now=now)
        except DomainError:  # another worker got there first
            continue
        count += 1
    return count


# Acknowledgements ---------------------------------------------------------------------------------


def ended_notice(alert: Alert, *, now: datetime | None = None) -> str:
    """The words telling a recipient that the alert is over; empty while it is in force."""
    ended = alert.ended_at(now)
    if ended is None:
        return ""
    at = dateformat.format(timezone.localtime(ended), "Y-m-d H:i")
    if alert.status == S.CANCELLED:
        return _(
            "This alert was withdrawn at %(at)s. It is no longer in force; there is nothing to confirm."
        ) % {"at": at}
    return _("This alert ended at %(at)s. It is no longer in force; there is nothing to confirm.") % {
        "at": at
    }


def inbox_notes(topics: list[str]) -> dict[str, str]:
    """For the inbox: the ended notice of each alert of these topics ("emergency.alert:<id>") that
    is over, so that an old message asking for a confirmation no longer seems to."""
    ids = {int(t.rsplit(":", 1)[1]) for t in topics if t.rsplit(":", 1)[1].isdigit()}
    notes: dict[str, str] = {}
    for alert in Alert.objects.filter(pk__in=ids):
        notice = ended_notice(alert)
        if notice:
            notes[f"emergency.alert:{alert.pk}"] = notice
    return notes


def _refuse_if_ended(alert: Alert, now: datetime) -> None:
    notice = ended_notice(alert, now=now)
    if notice:
        raise DomainError("alert_ended", notice, status=409)


def do_acknowledge(token: str, *, now: datetime | None = None) -> Acknowledgement:
    """The recipient confirms through the link of their message. Idempotent; unknown token → 404.

    An alert that is over (expired or cancelled) is not confirmed any more: a late click would
    count as a receipt in the alert's figures.
    """
    now = now or timezone.now()
    ack = Acknowledgement.objects.select_related("alert").filter(token=token).first()
    if ack is None or not token:
        raise NotFound()
    _refuse_if_ended(ack.alert, now)
    # Conditional update: a double click records the first moment only, and an alert ended in the
    # meantime records nothing. Not audited: it records the recipient's own confirmation, and the
    # row itself is the record.
    updated = Acknowledgement.objects.filter(
        pk=ack.pk, acknowledged_at__isnull=True, alert__status=S.SENT, alert__expires__gt=now
    ).update(acknowledged_at=now)
    if not updated:
        ack.alert.refresh_from_db()
        _refuse_if_ended(ack.alert, now)
    ack.refresh_from_db(fields=["acknowledged_at"])
    return ack


def do_acknowledge_as_user(alert: Alert, *, actor: Any) -> Acknowledgement:
    ack = Acknowledgement.objects.filter(alert=alert, user_id=actor.pk).first() if actor.pk else None
    if ack is None:
        raise NotFound()
    return do_acknowledge(ack.token)


# Mobilisation -------------------------------------------------------------------------------------


def tagged_households(alert: Alert, tag_codes: list[str]) -> dict[int, int]:
    """{household id: grid id} of the area's households where someone carries one of the tags."""
    from zhili.residents.models import Person, Tag
    from zhili.residents.tags import persons_with_tag

    tags = list(Tag.objects.filter(code__in=tag_codes))
    if len(tags) != len(set(tag_codes)) or not tags:
        raise DomainError("tag_invalid", _("Choose at least one known tag."), field="tags")
    persons = Person.objects.filter(
        household__in=alert_area(alert).households(), anonymised_at__isnull=True, moved_out_on__isnull=True
    )
    household_ids: set[int] = set()
    for tag in tags:
        household_ids.update(persons_with_tag(persons, tag).values_list("household_id", flat=True))
    from zhili.territory.models import Household

    return dict(Household.objects.filter(pk__in=household_ids).values_list("pk", "building__grid_id"))


def do_mobilise(
    alert: Alert, *, actor: Any, tag_codes: list[str], now: datetime | None = None
) -> Mobilisation:
    """A check task for every tagged household of the area; households that have one are skipped."""
    if not policies.can(actor, Perm.DRAFT, alert):
        raise Forbidden()
    now = now or timezone.now()
    targets = tagged_households(alert, sorted(set(tag_codes)))
    with transaction.atomic():
        # One mobilisation at a time per alert, and only of an approved or sent one.
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status not in (S.APPROVED, S.SENT):
            raise DomainError("not_approved", _("Only an approved alert can mobilise."), status=409)
        existing = set(CheckTask.objects.filter(alert=alert).values_list("household_id", flat=True))
        mobilisation = Mobilisation.objects.create(
            alert=alert, tag_codes=sorted(set(tag_codes)), created_by=actor, created_at=now
        )
        rows = [
            CheckTask(alert=alert, mobilisation=mobilisation, household_id=hh, grid_id=grid, created_at=now)
            for hh, grid in sorted(targets.items())
            if hh not in existing
        ]
        CheckTask.objects.bulk_create(rows, batch_size=500)
        mobilisation.new_tasks = len(rows)
        mobilisation.save(update_fields=["new_tasks"])
        _event(alert, "mobilise", actor=actor, note=",".join(mobilisation.tag_codes))
        record_audit(
            AuditAction.MOBILISED,
            actor=actor,
            target=alert,
            node=alert.node,
            details={"tags": mobilisation.tag_codes, "new_tasks": len(rows), "matched": len(targets)},
        )
    return mobilisation


def do_record_check(
    task: CheckTask, *, actor: Any, outcome: str, note: str = "", now: datetime | None = None
) -> CheckTask:
    """A grid worker's outcome for one household; 需要帮助 opens an emergency case at once."""
    from zhili.cases.actions.submit import do_submit_case
    from zhili.cases.models import Channel, Urgency

    if outcome not in CheckOutcome.values:
        raise DomainError(
            "outcome_invalid", _("Choose safe, needs help or cannot be reached."), field="outcome"
        )
    if not policies.allowed_at(actor, Perm.CHECK, task.grid.path):
        raise Forbidden()
    note = " ".join((note or "").split())[:500]
    if outcome == CheckOutcome.NEEDS_HELP and not note:
        raise DomainError("note_required", _("Say what help is needed."), field="note")
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            CheckTask.objects.select_for_update()
            .select_related("alert", "grid", "household__building")
            .get(pk=task.pk)
        )
        if locked.outcome:
            raise DomainError("already_checked", _("This household has already been checked."), status=409)
        if locked.alert.status in (AlertStatus.EXPIRED, AlertStatus.CANCELLED):
            # The tasks of an alert that is over are its record: nothing is added to them afterwards.
            raise DomainError(
                "alert_over", _("This alert is over: its checks can no longer be recorded."), status=409
            )
        case = None
        if outcome == CheckOutcome.NEEDS_HELP:
            building = locked.household.building
            # The case carries the place (as every case does) and the worker's note; the tag that
            # made the household a target stays out of it.
            # A grid worker files it as a patrol report; community staff as a hotline intake.
            channel = Channel.PATROL if has_role(actor, Role.GRID_WORKER) else Channel.HOTLINE
            case = do_submit_case(
                actor=actor,
                channel=channel,
                title=_("Emergency check: help needed (%(event)s)") % {"event": locked.alert.event[:40]},
                body=note,
                lat=building.lat,
                lng=building.lng,
                node=locked.grid if building.lat is None or building.lng is None else None,
                address=f"{building.address} {locked.household.number}"[:200],
                urgency=Urgency.EMERGENCY,
                now=now,
            )
        locked.outcome, locked.note, locked.done_by, locked.done_at, locked.case = (
            outcome,
            note,
            actor,
            now,
            case,
        )
        locked.save(update_fields=["outcome", "note", "done_by", "done_at", "case"])
        record_audit(
            AuditAction.CHECK_RECORDED,
            actor=actor,
            target=locked,
            node=locked.grid,
            details={"alert": locked.alert_id, "outcome": outcome, "case": case.pk if case else None},
        )
    return locked


# Emergency mode -----------------------------------------------------------------------------------


def do_switch_emergency_mode(
    node: Node,
    *,
    actor: Any,
    on: bool,
    reason: str,
    alert: Alert | None = None,
    now: datetime | None = None,
) -> EmergencyMode:
    """Switch a node's emergency mode on (a new period) or off (the period ends). Both are kept."""
    from zhili.emergency.selectors import forget_active_emergencies

    if not policies.allowed_at(actor, Perm.SWITCH_MODE, node.path):
        raise Forbidden()
    reason = " ".join((reason or "").split())[:300]
    if len(reason) < MIN_REASON:
        raise DomainError(
            "reason_required",
            _("Give the reason (at least %(n)s characters).") % {"n": MIN_REASON},
            field="reason",
        )
    now = now or timezone.now()
    with transaction.atomic():
        current = EmergencyMode.objects.select_for_update().filter(node=node, ended_at__isnull=True).first()
        if on:
            if current is not None:
                raise DomainError("already_on", _("Emergency mode is already on here."), status=409)
            try:
                with transaction.atomic():
                    mode = EmergencyMode.objects.create(
                        node=node, alert=alert, reason=reason, started_by=actor, started_at=now
                    )
            except IntegrityError:  # switched on by someone else a moment ago
                raise DomainError("already_on", _("Emergency mode is already on here."), status=409) from None
        else:
            if current is None:
                raise DomainError("already_off", _("Emergency mode is not on here."), status=409)
            mode = current
            mode.ended_by, mode.ended_at, mode.end_reason = actor, now, reason
            mode.save(update_fields=["ended_by", "ended_at", "end_reason"])
        record_audit(
            AuditAction.EMERGENCY_MODE_SWITCHED,
            actor=actor,
            target=mode,
            node=node,
            details={"on": on, "reason": reason, "alert": alert.pk if alert else None},
        )
        # Every process re-reads within its short cache life; this one at once, and again on commit.
        forget_active_emergencies()
        transaction.on_commit(forget_active_emergencies)
    return mode
