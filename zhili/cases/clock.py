"""A case's SLA clock: which policy applies, the deadline columns, pausing and extending.

Deadlines are computed once, when the clock starts (or restarts on a reopen), and then only moved by
a resumed suspension or an approved extension, so that the sweep compares plain columns with now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from zhili.cases import conf
from zhili.cases.models import Case, Category, SlaState, SlaUnit, Urgency
from zhili.cases.sla import add_time, duration, elapsed


@dataclass(frozen=True)
class Limits:
    unit: str
    accept_within: float
    contact_within: float
    finish_within: float


# Used when no SLAPolicy row matches: 4 working hours to sign, 1 working day to contact the resident,
# 5 working days to finish; urgent cases a quarter of that; emergencies in natural hours.
DEFAULT_LIMITS = {
    Urgency.NORMAL: Limits(SlaUnit.WORKING_HOURS, 4, 8, 40),
    Urgency.URGENT: Limits(SlaUnit.WORKING_HOURS, 1, 2, 16),
    Urgency.EMERGENCY: Limits(SlaUnit.NATURAL_HOURS, 1, 1, 24),
}


def limits_for(category: Category | None, urgency: str) -> Limits:
    """The policy of the nearest category (the case's own, then its parents), then any category."""
    from zhili.cases.rulebook import rulebook

    book = rulebook()
    lineage = book.lineage_ids(category.pk) if category is not None else []
    rank = {pk: i for i, pk in enumerate(lineage)}
    rows = [
        p
        for p in book.policies
        if p.urgency == urgency and not p.emergency_mode and (p.category_id is None or p.category_id in rank)
    ]
    if rows:
        best = min(rows, key=lambda p: rank.get(p.category_id, len(rank)) if p.category_id else len(rank) + 1)
        return Limits(best.unit, best.accept_within, best.contact_within, best.finish_within)
    return DEFAULT_LIMITS.get(Urgency(urgency), DEFAULT_LIMITS[Urgency.NORMAL])


def yellow_moment(start: datetime, finish_due: datetime, unit: str) -> datetime:
    total = elapsed(start, finish_due, unit)
    return add_time(start, total * conf.yellow_fraction(), unit)


def start_clock(case: Case, now: datetime) -> None:
    """Set the deadline columns from ``now`` (intake, or a reopened case)."""
    limits = limits_for(case.category, case.urgency)
    # Emergency mode (zhili.emergency): while the case's node or one above it is in emergency mode,
    # the emergency policy set applies instead. The check is a per-process cached lookup.
    from zhili.emergency.sla import emergency_limits

    limits = emergency_limits(case) or limits
    unit = limits.unit
    case.sla_unit = unit
    case.sla_started_at = now
    case.accept_due_at = add_time(now, duration(limits.accept_within, unit), unit)
    case.contact_due_at = add_time(now, duration(limits.contact_within, unit), unit)
    case.finish_due_at = add_time(now, duration(limits.finish_within, unit), unit)
    case.yellow_at = yellow_moment(now, case.finish_due_at, unit)
    case.sla_state = SlaState.GREEN
    case.escalated_at = None


def follow_category(case: Case, now: datetime, *, extended: bool) -> bool:
    """The dispatcher changed the category: the deadlines follow the new category's policy,
    counted from when the clock started and moved on by the time the case spent suspended, as if
    the case had come in with it. Not while suspended (resuming moves the deadlines), and an
    approved extension's finish date stands (``extended``). Returns whether anything moved."""
    if case.suspended_at is not None or case.sla_started_at is None:
        return False
    from zhili.emergency.sla import emergency_limits

    limits = emergency_limits(case) or limits_for(case.category, case.urgency)
    unit, start = limits.unit, case.sla_started_at
    paused = timedelta(seconds=case.paused_seconds)

    def due(within: float) -> datetime:
        return add_time(add_time(start, duration(within, unit), unit), paused, unit)

    before = (case.accept_due_at, case.contact_due_at, case.finish_due_at)
    case.sla_unit = unit
    case.accept_due_at = due(limits.accept_within)
    case.contact_due_at = due(limits.contact_within)
    if not extended:
        unpaused_finish = add_time(start, duration(limits.finish_within, unit), unit)
        case.finish_due_at = due(limits.finish_within)
        case.yellow_at = add_time(yellow_moment(start, unpaused_finish, unit), paused, unit)
    if case.escalated_at is not None and case.finish_due_at is not None and case.finish_due_at > now:
        case.escalated_at = None  # a later deadline: it may escalate again when that one passes
    refresh_light(case, now)
    return before != (case.accept_due_at, case.contact_due_at, case.finish_due_at)


def pause_clock(case: Case, now: datetime) -> None:
    case.suspended_at = now


def _current_calendar() -> None:
    """Bring the holiday arrangements up to date (the rulebook hands them to the SLA calendar) for
    the paths below that compute with working time but read no policy."""
    from zhili.cases.rulebook import rulebook

    rulebook()


def resume_clock(case: Case, now: datetime) -> timedelta:
    """Move every unmet deadline on by the (working) time the case spent suspended."""
    if case.suspended_at is None:
        return timedelta(0)
    _current_calendar()
    paused = elapsed(case.suspended_at, now, case.sla_unit)
    if paused > timedelta(0):
        if case.accept_due_at and case.signed_at is None:
            case.accept_due_at = add_time(case.accept_due_at, paused, case.sla_unit)
        if case.contact_due_at and case.contacted_at is None:
            case.contact_due_at = add_time(case.contact_due_at, paused, case.sla_unit)
        if case.finish_due_at:
            case.finish_due_at = add_time(case.finish_due_at, paused, case.sla_unit)
        if case.yellow_at:
            case.yellow_at = add_time(case.yellow_at, paused, case.sla_unit)
    case.paused_seconds += int(paused.total_seconds())
    case.suspended_at = None
    refresh_light(case, now)
    return paused


def extend_clock(case: Case, until: datetime, now: datetime) -> None:
    """An approved extension: a new finish deadline; an escalated case can escalate again later."""
    _current_calendar()
    case.finish_due_at = until
    start = case.sla_started_at or now
    case.yellow_at = yellow_moment(start, until, case.sla_unit)
    case.escalated_at = None
    refresh_light(case, now)


def light_at(case: Case, now: datetime) -> str:
    if case.finish_due_at is not None and case.finish_due_at <= now:
        return SlaState.RED
    if case.yellow_at is not None and case.yellow_at <= now:
        return SlaState.YELLOW
    return SlaState.GREEN


def refresh_light(case: Case, now: datetime) -> None:
    case.sla_state = light_at(case, now)
