"""The emergency SLA policy set: what a case's clock uses while its node is in emergency mode.

Rows of ``cases.SLAPolicy`` with ``emergency_mode=True`` come first (nearest category, then any);
without one, natural hours with the targets below, tighter than the normal set at every urgency.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from zhili.cases.clock import Limits
from zhili.cases.models import SLAPolicy, SlaUnit, Urgency

EMERGENCY_LIMITS = {
    Urgency.NORMAL: Limits(SlaUnit.NATURAL_HOURS, 2, 4, 48),
    Urgency.URGENT: Limits(SlaUnit.NATURAL_HOURS, 1, 2, 24),
    Urgency.EMERGENCY: Limits(SlaUnit.NATURAL_HOURS, 1, 1, 12),
}


def emergency_limits(case: Any) -> Limits | None:
    """The emergency limits for this case, or None when no emergency is in force over its node."""
    from zhili.emergency.selectors import active_emergency

    if active_emergency(case.node) is None:
        return None
    category = case.category
    lineage = category.lineage() if category else []
    rank = {c.pk: i for i, c in enumerate(lineage)}
    rows = list(
        SLAPolicy.objects.filter(urgency=case.urgency, emergency_mode=True).filter(
            Q(category_id__in=list(rank)) | Q(category__isnull=True)
        )
    )
    if rows:
        best = min(rows, key=lambda p: rank.get(p.category_id, len(rank)) if p.category_id else len(rank) + 1)
        return Limits(best.unit, best.accept_within, best.contact_within, best.finish_within)
    return EMERGENCY_LIMITS.get(Urgency(case.urgency), EMERGENCY_LIMITS[Urgency.NORMAL])
