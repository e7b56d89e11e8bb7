"""Writing the audit log. ``record_audit`` is the only way in; it must run inside the action's transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from zhili.audit.models import AuditAction, AuditEvent

GENESIS_HASH = "0" * 64
# Any constant works; it names the one advisory lock that orders the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 0x7A68696C69


def canonical_json(payload: dict[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same event always hashes the same way."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_payload(
    *,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    node_id: int | None,
    node_path: str,
    details: dict[str, Any],
) -> dict[str, Any]:
    return {
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "node_id": node_id,
        "node_path": node_path,
        "details": details,
    }


def compute_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode("utf-8")).hexdigest()


def payload_of(event: AuditEvent) -> dict[str, Any]:
    return event_payload(
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        node_id=event.node_id,
        node_path=event.node_path,
        details=event.details,
    )


def _lock_chain() -> None:
    # Two writers must not both read the same head and fork the chain. On SQLite the write
    # transaction (BEGIN IMMEDIATE) already serialises writers; PostgreSQL needs a lock held to commit.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def record_audit(
    action: AuditAction,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    node: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Call it inside the transaction of the action it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_audit must run inside the action's transaction")
    _lock_chain()
    head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    prev_hash = head or GENESIS_HASH
    # JSON round trip so that what we hash is exactly what the database gives back later.
    clean_details = json.loads(canonical_json(details or {}))
    fields = {
        "occurred_at": timezone.now(),
        "actor_id": getattr(actor, "pk", None),
        "actor_label": (getattr(actor, "username", "") or "")[:150] if actor is not None else "system",
        "action": str(action.value if isinstance(action, AuditAction) else action),
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None else "",
        "node_id": getattr(node, "pk", None),
        "node_path": getattr(node, "path", "") or "",
        "details": clean_details,
    }
    digest = compute_hash(prev_hash, event_payload(**fields))
    return AuditEvent.objects.create(prev_hash=prev_hash, hash=digest, **fields)
