"""/api/v1/audit/: the audit log for auditors, with the same scope and filters as the page."""

# No `from __future__ import annotations` here: ninja's @paginate reads the annotations at import.

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from zhili.audit import policies, selectors
from zhili.audit.models import AuditAction
from zhili.core.errors import NotFound

router = Router(tags=["audit"])


class EventQuery(Schema):
    actor: str = Field("", max_length=150, description="part of the actor's user name")
    action: AuditAction | None = Field(None, description="an audit action code")
    node: int | None = Field(None, description="a territory node id: events of it and its subtree")
    occurred_from: datetime | None = Field(None, alias="from", description="on or after (ISO 8601)")
    occurred_to: datetime | None = Field(None, alias="to", description="on or before (ISO 8601)")


class EventOut(Schema):
    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    action_label: str
    target_type: str
    target_id: str
    node_id: int | None
    node_path: str
    node_name: str
    details: Any
    prev_hash: str
    hash: str


def _row(row: selectors.EventRow) -> dict[str, Any]:
    event = row.event
    return {
        "id": event.id,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "action_label": row.action_label,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "node_id": event.node_id,
        "node_path": event.node_path,
        "node_name": row.node_name,
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


class _Rows:
    """A lazy sequence that the paginator slices; node names are looked up per page only."""

    def __init__(self, events: Any) -> None:
        self.events = events

    def __len__(self) -> int:
        return int(self.events.count())

    def count(self) -> int:
        return len(self)

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_row(row) for row in selectors.event_rows(self.events[item])]


@router.get(
    "/events",
    response=list[EventOut],
    summary="Audit events the auditor may read, newest first",
)
@paginate
def list_events(request: HttpRequest, query: Query[EventQuery]) -> Any:
    policies.require_auditor(request.user)
    node = None
    if query.node is not None:
        node = selectors.audit_nodes(request.user).filter(pk=query.node).first()
        if node is None:
            raise NotFound()
    filters = selectors.EventFilters(
        actor=query.actor.strip(),
        action=query.action.value if query.action else "",
        node=node,
        occurred_from=query.occurred_from,
        occurred_to=query.occurred_to,
    )
    return _Rows(selectors.events_for_user(request.user, filters))
