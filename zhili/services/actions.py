"""Every write of services: one transaction, one audit row.

Generation (服务找人) is safe to run twice and in two processes at once: the partial unique
constraint allows one open task per person and service, and rows are inserted with "on conflict do
nothing"; withdrawals and recordings are conditional updates through the transition table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError, Forbidden
from zhili.residents.models import Tag, VisitKind
from zhili.services import policies
from zhili.services.matching import matched_persons
from zhili.services.models import OutreachTask, Service
from zhili.services.policies import Perm
from zhili.services.states import (
    REACHED_OUTCOMES,
    Outcome,
    TaskStatus,
    TaskTransition,
    allowed,
    target_of,
)
from zhili.territory.models import Node

T = TaskTransition
LIMITS = {"name": 100, "description": 2000, "department": 100}
MAX_AGE = 120
MAX_INTERVAL_DAYS = 3650
MAX_DUE_DAYS = 365


# The catalogue ------------------------------------------------------------------------------------


def _int(values: dict[str, Any], name: str, *, low: int, high: int, default: int | None) -> int | None:
    raw = values.get(name)
    if raw is None or raw == "":
        return default
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = -1
    if not low <= number <= high:
        raise DomainError(
            "number_invalid",
            _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
            field=name,
        )
    return number


def _clean_service(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        raw = str(values.get(name) or "")
        text = raw.strip() if name == "description" else " ".join(raw.split())
        if len(text) > limit:
            raise DomainError("too_long", _("This text is too long."), field=name)
        out[name] = text
    if not out["name"]:
        raise DomainError("required", _("This field is required."), field="name")
    codes = sorted({str(code) for code in values.get("tag_codes") or []})
    if len(set(Tag.objects.filter(code__in=codes).values_list("code", flat=True))) != len(codes):
        raise DomainError("tag_invalid", _("Choose known tags only."), field="tag_codes")
    out["tag_codes"] = codes
    out["min_age"] = _int(values, "min_age", low=0, high=MAX_AGE, default=None)
    if not codes and out["min_age"] is None:
        raise DomainError(
            "rule_empty",
            _("Say who needs the service: choose tags, a minimum age, or both."),
            field="tag_codes",
        )
    out["interval_days"] = _int(values, "interval_days", low=0, high=MAX_INTERVAL_DAYS, default=0)
    out["due_days"] = _int(values, "due_days", low=1, high=MAX_DUE_DAYS, default=7)
    out["active"] = bool(values.get("active", True))
    return out


def do_save_service(service: Service | None, *, actor: Any, node: Node, **values: Any) -> Service:
    """Create a service at ``node`` (``service`` None) or change one; the actor manages both nodes."""
    if not policies.allowed_at(actor, Perm.MANAGE, node.path):
        raise Forbidden()
    if service is not None and not policies.can(actor, Perm.MANAGE, service):
        raise Forbidden()
    clean = _clean_service(values)
    with transaction.atomic():
        if service is None:
            target = Service(node=node, created_by=actor if getattr(actor, "pk", None) else None)
            changed = ["node", *clean]
        else:
            target = Service.objects.select_for_update().get(pk=service.pk)
            changed = [name for name, value in clean.items() if getattr(target, name) != value]
            if target.node_id != node.pk:
                changed.append("node")
        target.node = node
        for name, value in clean.items():
            setattr(target, name, value)
        try:
            with transaction.atomic():
                target.save()
        except IntegrityError:
            raise DomainError(
                "name_taken", _("This territory already has a service of this name."), field="name"
            ) from None
        record_audit(
            AuditAction.SERVICE_CHANGED,
            actor=actor,
            target=target,
            node=node,
            details={"created": service is None, "fields": sorted(changed), "tags": clean["tag_codes"]},
        )
    return target


# Generation (服务找人) ---------------------------------------------------------------------------


@dataclass
class Generated:
    services: int = 0
    matched: int = 0
    created: int = 0
    withdrawn: int = 0
    per_service: dict[int, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {
            "services": self.services,
            "matched": self.matched,
            "created": self.created,
            "withdrawn": self.withdrawn,
        }


def _transition(tasks: QuerySet[OutreachTask], transition: TaskTransition, **fields: Any) -> int:
    """The one path of status changes (states.TRANSITIONS): a conditional UPDATE of the rows still in
    a source state; returns how many moved (0 when another process got there first)."""
    sources, target = frozenset(s for s in TaskStatus.values if allowed(transition, s)), target_of(transition)
    return tasks.filter(status__in=sources).update(status=target, **fields)


def reached_since(service: Service, now: datetime) -> datetime | None:
    """Reached at or after this moment counts as reached (None: ever, for a once-only service)."""
    return now - timedelta(days=service.interval_days) if service.interval_days else None


def _recently_reached(service: Service, now: datetime) -> set[int]:
    done = OutreachTask.objects.filter(service=service, status=TaskStatus.DONE, outcome__in=REACHED_OUTCOMES)
    since = reached_since(service, now)
    if since is not None:
        done = done.filter(done_at__gte=since)
    return set(done.values_list("person_id", flat=True))


def _generate_one(service: Service, now: datetime, tags: dict[str, Tag], result: Generated) -> None:
    today = timezone.localdate(now)
    matched = matched_persons(service, today=today, tags=tags)
    with transaction.atomic():
        open_tasks = dict(
            OutreachTask.objects.filter(service=service, status=TaskStatus.OPEN).values_list(
                "person_id", "pk"
            )
        )
        stale = [pk for person_id, pk in open_tasks.items() if person_id not in matched]
        withdrawn = _transition(OutreachTask.objects.filter(pk__in=stale), T.WITHDRAW) if stale else 0
        skip = set(open_tasks) | _recently_reached(service, now)
        due_on = today + timedelta(days=service.due_days)
        rows = [
            OutreachTask(
                service=service,
                person_id=person_id,
                household_id=household_id,
                grid_id=grid_id,
                created_at=now,
                due_on=due_on,
            )
            for person_id, (household_id, grid_id) in sorted(matched.items())
            if person_id not in skip
        ]
        # A task made by a concurrent run in the meantime wins: the row is skipped, not doubled.
        OutreachTask.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        created = (
            OutreachTask.objects.filter(service=service, created_at=now, status=TaskStatus.OPEN).count()
            if rows
            else 0
        )
    result.services += 1
    result.matched += len(matched)
    result.created += created
    result.withdrawn += withdrawn
    result.per_service[service.pk] = {"matched": len(matched), "created": created, "withdrawn": withdrawn}


def do_generate_outreach(
    *, actor: Any = None, services: Iterable[Service] | None = None, now: datetime | None = None
) -> Generated:
    """Evaluate the rules of ``services`` (default: every service; for a person, those they manage)
    and create the missing open tasks. Audited with counts only, and, when run by the scheduler
    (no actor), only when something changed, so that a run every few minutes does not fill the log."""
    now = now or timezone.now()
    chosen = list(services) if services is not None else list(Service.objects.select_related("node"))
    if actor is not None:
        if not policies.scope(actor, Perm.MANAGE):
            raise Forbidden()
        chosen = [s for s in chosen if policies.can(actor, Perm.MANAGE, s)]
    tags = {t.code: t for t in Tag.objects.all()}
    result = Generated()
    for service in sorted(chosen, key=lambda s: s.pk):
        _generate_one(service, now, tags, result)
    if actor is not None or result.created or result.withdrawn:
        with transaction.atomic():
            record_audit(
                AuditAction.OUTREACH_GENERATED,
                actor=actor,
                details={
                    **result.as_dict(),
                    "per_service": {str(k): v for k, v in result.per_service.items()},
                },
            )
    return result


# Recording an outcome ------------------------------------------------------------------------------

VISIT_KINDS = {
    Outcome.INFORMED: VisitKind.CARE,
    Outcome.APPLIED: VisitKind.CARE,
    Outcome.NOT_NEEDED: VisitKind.CARE,
    Outcome.UNREACHABLE: VisitKind.OTHER,
}


def do_record_outreach(
    task: OutreachTask, *, actor: Any, outcome: str, note: str = "", now: datetime | None = None
) -> OutreachTask:
    """A grid worker's outcome for one task: a visit in the person's history, and the task is done."""
    from zhili.residents.actions import do_record_visit

    if outcome not in Outcome.values:
        raise DomainError("outcome_invalid", _("Choose one of the offered outcomes."), field="outcome")
    if not policies.allowed_at(actor, Perm.RECORD, task.grid.path):
        raise Forbidden()
    note = " ".join((note or "").split())
    if len(note) > 500:
        raise DomainError("too_long", _("This text is too long."), field="note")
    if outcome == Outcome.UNREACHABLE and not note:
        raise DomainError(
            "note_required", _("Say what you tried (for example: called twice, nobody home)."), field="note"
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            OutreachTask.objects.select_for_update()
            .select_related("service", "grid", "household__building", "person")
            .get(pk=task.pk)
        )
        if not allowed(T.RECORD, locked.status):
            raise DomainError("not_open", _("This task is no longer open."), status=409)
        person = locked.person if locked.person.household_id == locked.household_id else None
        label = Outcome(outcome).label
        # The history is read by more roles than may see a sensitive tag: a service that names one
        # (低保年审) would say that the person carries it, so its name stays out of the visit.
        if Tag.objects.filter(sensitive=True, code__in=locked.service.tag_codes or []).exists():
            heading = _("Proactive service visit")
        else:
            prefix = _("Proactive service")
            heading = f"{prefix}：{locked.service.name}"
        visit = do_record_visit(
            locked.household,
            visited_at=now,
            kind=VISIT_KINDS[Outcome(outcome)],
            note=f"{heading}。{label}。{note}".rstrip("。") + "。",
            actor=actor,
            person=person,
        )
        _transition(
            OutreachTask.objects.filter(pk=locked.pk),
            T.RECORD,
            outcome=outcome,
            note=note,
            done_by=actor if getattr(actor, "pk", None) else None,
            done_at=now,
            visit=visit,
        )
        locked.refresh_from_db()
        # The note is the worker's own words and may name people: not in the audit log.
        record_audit(
            AuditAction.OUTREACH_RECORDED,
            actor=actor,
            target=locked,
            node=locked.grid,
            details={"service": locked.service_id, "outcome": outcome, "visit": visit.pk},
        )
    return locked
