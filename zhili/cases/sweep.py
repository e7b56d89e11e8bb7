"""The periodic sweep: traffic lights, escalation of overdue cases, default ratings.

Safe to run in several workers at once. The lights are plain conditional UPDATEs (running them
twice changes nothing); each escalation is claimed with ``UPDATE … WHERE escalated_at IS NULL``
(``actions.escalate_if_unclaimed``), so an overdue case is escalated exactly once however many
sweepers race; default ratings go through the transition machinery, whose row lock and status
check make the second sweeper's attempt a no-op.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from zhili.cases import conf
from zhili.cases.actions import SYSTEM_ACTOR, do_rate_default, escalate_if_unclaimed
from zhili.cases.models import Case, SlaState
from zhili.cases.states import CLOCK_RUNNING_STATUSES, CaseStatus
from zhili.core.errors import DomainError

BATCH = 500


def sweep(*, now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    now = now or timezone.now()
    running = Q(status__in=sorted(CLOCK_RUNNING_STATUSES))
    yellow = (
        Case.objects.filter(running, sla_state=SlaState.GREEN, yellow_at__lte=now)
        .filter(Q(finish_due_at__gt=now) | Q(finish_due_at__isnull=True))
        .update(sla_state=SlaState.YELLOW)
    )
    red = (
        Case.objects.filter(running, finish_due_at__lte=now)
        .exclude(sla_state=SlaState.RED)
        .update(sla_state=SlaState.RED)
    )
    escalated = 0
    while True:
        candidates = list(
            Case.objects.filter(running, finish_due_at__lte=now, escalated_at__isnull=True)
            .order_by("finish_due_at", "id")
            .values_list("id", flat=True)[:batch]
        )
        if not candidates:
            break
        won = sum(1 for pk in candidates if escalate_if_unclaimed(pk, now))
        escalated += won
        if len(candidates) < batch:
            break
    rated = 0
    cutoff = now - timedelta(days=conf.default_rating_days())
    for pk in Case.objects.filter(status=CaseStatus.VERIFIED, verified_at__lte=cutoff).values_list(
        "id", flat=True
    )[:batch]:
        try:
            do_rate_default(pk, actor=SYSTEM_ACTOR, now=now)
        except DomainError:  # rated meanwhile by the resident or by another sweeper
            continue
        rated += 1
    return {"yellow": yellow, "red": red, "escalated": escalated, "default_rated": rated}
