"""Reads of emergency: the emergency in force at a node (the cockpit, the SLA clock), alert lists,
acknowledgement counts, the mobilisation board and a grid worker's check tasks."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from zhili.emergency import policies
from zhili.emergency.models import Acknowledgement, Alert, Audience, CheckTask, EmergencyMode
from zhili.emergency.states import AlertStatus, CheckOutcome

# Emergency mode ------------------------------------------------------------------------------------

# active_emergency runs on every case intake, so the active periods are kept per process for a few
# seconds: one small query (usually answering "none") per process every CACHE_SECONDS. A switch in
# this process forgets the cache at once; other processes follow within CACHE_SECONDS, which is far
# inside any SLA target (the shortest is an hour).
CACHE_SECONDS = 5.0
_lock = threading.Lock()
_cache: tuple[float, dict[int, EmergencyMode]] = (-math.inf, {})


def forget_active_emergencies() -> None:
    global _cache
    with _lock:
        _cache = (-math.inf, {})


def _active_by_node() -> dict[int, EmergencyMode]:
    global _cache
    now = time.monotonic()
    loaded_at, modes = _cache
    if now - loaded_at < CACHE_SECONDS:
        return modes
    fresh = {
        mode.node_id: mode
        for mode in EmergencyMode.objects.filter(ended_at__isnull=True).select_related("node", "alert")
    }
    with _lock:
        _cache = (now, fresh)
    return fresh


def active_emergency(node: Any) -> EmergencyMode | None:
    """The emergency mode in force at this node or above it (the nearest), or None."""
    if node is None:
        return None
    modes = _active_by_node()
    if not modes:
        return None
    for node_id in reversed(node.ancestors()):
        if node_id in modes:
            return modes[node_id]
    return None


def mode_history(node_paths: list[str], limit: int = 50) -> list[EmergencyMode]:
    q = Q(pk__in=[])
    for path in node_paths:
        q |= Q(node__path__startswith=path)
    return list(
        EmergencyMode.objects.filter(q).select_related("node", "alert", "started_by", "ended_by")[:limit]
    )


# Alerts --------------------------------------------------------------------------------------------


def alert_list(user: Any, status: str = "") -> QuerySet[Alert]:
    alerts = policies.visible_alerts(user).select_related("node", "drafted_by", "approved_by")
    if status in AlertStatus.values:
        alerts = alerts.filter(status=status)
    return alerts


@dataclass
class AckCounts:
    audience: str
    label: str
    total: int = 0
    queued: int = 0
    acknowledged: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.acknowledged / self.total) if self.total else 0


def ack_counts(alert: Alert) -> list[AckCounts]:
    """Recipients, messages queued and acknowledgements, per audience (one query)."""
    rows = {
        row["audience"]: row
        for row in Acknowledgement.objects.filter(alert=alert)
        .values("audience")
        .annotate(
            total=Count("pk"),
            queued=Count("pk", filter=Q(notified_at__isnull=False)),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        )
    }
    out = []
    for value, label in Audience.choices:
        row = rows.get(value, {})
        out.append(
            AckCounts(
                value, str(label), row.get("total", 0), row.get("queued", 0), row.get("acknowledged", 0)
            )
        )
    return out


def own_acknowledgement(alert: Alert, user: Any) -> Acknowledgement | None:
    if not getattr(user, "pk", None):
        return None
    return Acknowledgement.objects.filter(alert=alert, user_id=user.pk).first()


def history(alert: Alert, names: dict[str, str]) -> list[Any]:
    """The alert's events, a mobilisation's note (its tag codes) spelled out as tag names."""
    events: list[Any] = list(alert.events.select_related("actor"))
    for event in events:
        event.shown_note = (
            tag_text(event.note.split(","), names) if event.kind == "mobilise" and event.note else event.note
        )
    return events


def mobilisations(alert: Alert, names: dict[str, str]) -> list[Any]:
    """The alert's mobilisation runs, each with ``tags_text``: the names of the tags it looked for."""
    rows: list[Any] = list(alert.mobilisations.all())
    for row in rows:
        row.tags_text = tag_text(row.tag_codes, names)
    return rows


def tag_names() -> dict[str, str]:
    """Tag code → name, read once per page for ``history`` and ``mobilisations``."""
    from zhili.residents.models import Tag

    return dict(Tag.objects.values_list("code", "name"))


def tag_text(codes: list[str], names: dict[str, str]) -> str:
    return "、".join(names.get(code, code) for code in codes if code)


# The mobilisation board ----------------------------------------------------------------------------


@dataclass
class GridProgress:
    grid_id: int | None
    name: str
    total: int = 0
    safe: int = 0
    needs_help: int = 0
    unreachable: int = 0

    @property
    def done(self) -> int:
        return self.safe + self.needs_help + self.unreachable

    @property
    def open(self) -> int:
        return self.total - self.done

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class Board:
    rows: list[GridProgress] = field(default_factory=list)
    total: GridProgress = field(default_factory=lambda: GridProgress(None, ""))


def board(alert: Alert) -> Board:
    """Progress of the alert's check tasks per grid (one aggregate query)."""
    counts = (
        CheckTask.objects.filter(alert=alert)
        .values("grid_id", "grid__name", "grid__path")
        .annotate(
            total=Count("pk"),
            safe=Count("pk", filter=Q(outcome=CheckOutcome.SAFE)),
            needs_help=Count("pk", filter=Q(outcome=CheckOutcome.NEEDS_HELP)),
            unreachable=Count("pk", filter=Q(outcome=CheckOutcome.UNREACHABLE)),
        )
        .order_by("grid__sort_key")
    )
    result = Board()
    for row in counts:
        item = GridProgress(
            row["grid_id"],
            row["grid__name"],
            row["total"],
            row["safe"],
            row["needs_help"],
            row["unreachable"],
        )
        result.rows.append(item)
        result.total.total += item.total
        result.total.safe += item.safe
        result.total.needs_help += item.needs_help
        result.total.unreachable += item.unreachable
    return result


# A grid worker's check tasks -------------------------------------------------------------------------


def my_tasks(user: Any, *, alert_id: int | None = None) -> QuerySet[CheckTask]:
    """Check tasks of the user's grids for alerts that are approved or out, open ones first."""
    tasks = policies.visible_tasks(user).filter(alert__status__in=[AlertStatus.APPROVED, AlertStatus.SENT])
    if alert_id is not None:
        tasks = tasks.filter(alert_id=alert_id)
    return tasks.select_related("alert", "grid", "household__building", "case").order_by(
        "-alert__created_at", "outcome", "household__building__address", "household__number"
    )


# Alerts that are over: their tasks are a record of what was found, no longer work to do.
PAST_STATUSES = (AlertStatus.EXPIRED, AlertStatus.CANCELLED)


def my_past_tasks(user: Any) -> QuerySet[CheckTask]:
    """Check tasks of the user's grids for alerts that are over, the most recent alert first."""
    return (
        policies.visible_tasks(user)
        .filter(alert__status__in=PAST_STATUSES)
        .select_related("alert", "grid", "household__building", "case")
        .order_by(
            "-alert__effective", "-alert_id", "outcome", "household__building__address", "household__number"
        )
    )


def task_people(user: Any, task: CheckTask) -> list[Any]:
    """The household's current members as the registry shows them to this user (masked by role)."""
    from zhili.residents.models import Person
    from zhili.residents.selectors import persons_for_viewer

    persons = list(
        Person.objects.filter(
            household=task.household, anonymised_at__isnull=True, moved_out_on__isnull=True
        ).select_related("household__building__grid__parent")
    )
    return persons_for_viewer(user, persons)
