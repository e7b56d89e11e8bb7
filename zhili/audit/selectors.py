"""Reading the audit log: scope, filters and rows ready for a page, an export or the API."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from zhili.audit.models import AuditAction, AuditEvent, ChainVerification
from zhili.audit.policies import visible_events
from zhili.authz.policies import Action, path_q, scope_paths
from zhili.territory.models import Node


@dataclass(frozen=True)
class EventFilters:
    actor: str = ""  # part of the actor's user name
    action: str = ""  # an AuditAction value
    node: Node | None = None  # the node and its subtree
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None

    def describe(self) -> dict[str, Any]:
        """What was asked for, as JSON for the audit row of an export."""
        described: dict[str, Any] = {}
        if self.actor:
            described["actor"] = self.actor
        if self.action:
            described["action"] = self.action
        if self.node is not None:
            described["node_id"] = self.node.pk
        if self.occurred_from is not None:
            described["from"] = self.occurred_from.isoformat()
        if self.occurred_to is not None:
            described["to"] = self.occurred_to.isoformat()
        return described


def audit_nodes(user: Any) -> QuerySet[Node]:
    """The nodes an auditor may filter by: their subtrees."""
    return Node.objects.filter(path_q(scope_paths(user, Action.VIEW_AUDIT), "path")).order_by("sort_key")


def events_for_user(user: Any, filters: EventFilters) -> QuerySet[AuditEvent]:
    """The events ``user`` may read that match ``filters``, newest first (ids follow the chain)."""
    events = visible_events(user)
    if filters.actor:
        events = events.filter(actor_label__icontains=filters.actor)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.node is not None:
        events = events.filter(node_path__startswith=filters.node.path)
    if filters.occurred_from is not None:
        events = events.filter(occurred_at__gte=filters.occurred_from)
    if filters.occurred_to is not None:
        events = events.filter(occurred_at__lte=filters.occurred_to)
    return events.order_by("-id")


def action_label(action: str) -> str:
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return action  # an action since renamed or removed: show the stored code


def compact_json(details: Any) -> str:
    return json.dumps(details, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    action_label: str
    node_name: str
    details_json: str

    @property
    def target(self) -> str:
        if not self.event.target_type:
            return ""
        return f"{self.event.target_type} #{self.event.target_id}"


def node_names(node_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {node_id for node_id in node_ids if node_id is not None}
    if not wanted:
        return {}
    return dict(Node.objects.filter(id__in=wanted).values_list("id", "name"))


def event_rows(events: Iterable[AuditEvent]) -> list[EventRow]:
    """Rows for display, with node names fetched in one query (a node may since be gone)."""
    events = list(events)
    names = node_names(event.node_id for event in events)
    return [
        EventRow(
            event=event,
            action_label=action_label(event.action),
            node_name=names.get(event.node_id, "") if event.node_id is not None else "",
            details_json=compact_json(event.details),
        )
        for event in events
    ]


def last_verification() -> ChainVerification | None:
    return ChainVerification.objects.select_related("requested_by").first()
