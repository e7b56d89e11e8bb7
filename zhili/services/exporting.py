"""Export of the open outreach tasks of the exporter's territory to .xlsx (names masked).

Tasks of a service whose rule names a sensitive tag the exporter may not see are left out: the row
would say that the person carries the tag. Audited the way the registry audits its exports: one
audit row with counts and fields, and an "included in an export" entry on each exported person's
access list.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import Forbidden
from zhili.residents.models import LogKind, PersonLog
from zhili.residents.xlsx import workbook_bytes
from zhili.services import policies, selectors
from zhili.services.policies import Perm
from zhili.territory.models import Node

# Fields of the registry's field table (zhili.residents.fields) that the export shows.
EXPORTED_FIELDS = ["household", "name"]


def _common_node(paths: list[str]) -> Node | None:
    """The lowest node above all of ``paths`` (so the auditors of that territory see the export)."""
    parts = [[p for p in path.strip("/").split("/") if p] for path in paths]
    common: list[str] = []
    for segments in zip(*parts, strict=False):
        if len(set(segments)) != 1:
            break
        common.append(segments[0])
    return Node.objects.filter(pk=int(common[-1])).first() if common else None


def do_export_open_tasks(*, actor: Any) -> tuple[bytes, int]:
    if not policies.scope(actor, Perm.EXPORT):
        raise Forbidden()
    today = timezone.localdate()
    headers = [
        _("Service"),
        _("Grid"),
        _("Resident"),
        _("Address"),
        _("Unit number"),
        _("Created on"),
        _("Due on"),
        _("Overdue"),
    ]
    rows: list[list[Any]] = []
    person_ids: list[int] = []
    for task in selectors.open_tasks_for_export(actor).iterator(chunk_size=2000):
        rows.append(
            [
                task.service.name,
                task.grid.name,
                selectors.masked_name(task),
                task.household.building.address,
                task.household.number,
                timezone.localdate(task.created_at).isoformat(),
                task.due_on.isoformat(),
                _("yes") if task.due_on < today else "",
            ]
        )
        person_ids.append(task.person_id)
    content = workbook_bytes(_("Open outreach tasks"), [str(h) for h in headers], rows)
    now = timezone.now()
    withheld = sorted(
        {pk for hidden in policies.hidden_services_by_path(actor, Perm.EXPORT).values() for pk in hidden}
    )
    with transaction.atomic():
        event = record_audit(
            AuditAction.OUTREACH_EXPORTED,
            actor=actor,
            node=_common_node(policies.scope(actor, Perm.EXPORT)),
            details={
                "count": len(rows),
                "fields": EXPORTED_FIELDS,
                "masked": ["name"],
                "withheld_services": withheld,
                "format": "xlsx",
            },
        )
        label = (getattr(actor, "username", "") or "system")[:150]
        PersonLog.objects.bulk_create(
            [
                PersonLog(
                    person_id=pk,
                    kind=LogKind.EXPORTED,
                    at=now,
                    actor=actor if getattr(actor, "pk", None) else None,
                    actor_label=label,
                    fields=EXPORTED_FIELDS,
                    audit_event_id=event.pk,
                )
                for pk in sorted(set(person_ids))
            ],
            batch_size=2000,
        )
    return content, len(rows)
