"""Writing the audit log. ``record_audit`` is the only way in; it must run inside the action's transaction."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from zhili.audit.models import AuditAction, AuditEvent, ChainVerification

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


def _clean_text(text: str) -> str:
    # PostgreSQL stores no NUL character and UTF-8 has no lone surrogates; replace both so that the
    # same text is stored (and hashed) on either database instead of failing on one of them.
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _clean_value(value: Any) -> Any:
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)  # NaN and infinities are not JSON
        # PostgreSQL's jsonb keeps numbers as decimals and gives 1e300 or -0.0 back as integers;
        # storing whole floats as integers makes the value read back the one that was hashed.
        return int(value) if value.is_integer() else value
    if isinstance(value, list):
        return [_clean_value(item) for item in value]
    if isinstance(value, dict):
        return {_clean_text(key): _clean_value(item) for key, item in value.items()}
    return value


def clean_json(details: dict[str, Any]) -> dict[str, Any]:
    """The details as both databases store and give them back, so that what we hash is what we read.

    A JSON round trip first (tuples become lists, keys strings, other objects their ``str``);
    unsorted, since keys of mixed types (``{1: …, "a": …}``) cannot be sorted before they are strings.
    """
    cleaned: dict[str, Any] = _clean_value(json.loads(json.dumps(details, ensure_ascii=False, default=str)))
    return cleaned


def _actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    return _clean_text(getattr(actor, "username", "") or "")[:150]


def _lock_chain() -> None:
    # Two writers must not both read the same head and fork the chain. On SQLite the write
    # transaction (BEGIN IMMEDIATE) already serialises writers; PostgreSQL needs a lock held to commit.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _append_postgresql(fields: dict[str, Any]) -> AuditEvent:
    """Lock, read the head and insert the hashed row in one round trip (PostgreSQL).

    Every writer of the log waits for the one holding the chain lock until it commits, so the
    time between taking the lock and committing bounds how many actions commit per second; here
    it is one message to the server instead of three. The statements run one after the other,
    each with its own snapshot, so the head is read after the lock is held. The hash is the same
    as ``compute_hash``: SHA-256 of the previous hash and the canonical JSON of the payload.
    """
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    head = f"SELECT hash FROM {table} ORDER BY id DESC LIMIT 1"
    payload = canonical_json(event_payload(**fields)).encode("utf-8")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s); "
            f"INSERT INTO {table} (occurred_at, actor_id, actor_label, action, target_type, target_id,"
            " node_id, node_path, details, prev_hash, hash)"
            " SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, head.hash,"
            " encode(sha256(convert_to(head.hash, 'UTF8') || %s::bytea), 'hex')"
            f" FROM (SELECT coalesce(({head}), %s) AS hash) AS head"
            " RETURNING id, prev_hash, hash",
            [
                _CHAIN_LOCK_KEY,
                fields["occurred_at"],
                fields["actor_id"],
                fields["actor_label"],
                fields["action"],
                fields["target_type"],
                fields["target_id"],
                fields["node_id"],
                fields["node_path"],
                json.dumps(fields["details"], ensure_ascii=False),
                payload,
                GENESIS_HASH,
            ],
        )
        cursor.nextset()
        pk, prev_hash, digest = cursor.fetchone()
    event = AuditEvent(id=pk, prev_hash=prev_hash, hash=digest, **fields)
    event._state.adding, event._state.db = False, connection.alias
    return event


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
    clean_details = clean_json(details or {})
    fields: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "actor_id": getattr(actor, "pk", None),
        "actor_label": _actor_label(actor),
        "action": str(action.value if isinstance(action, AuditAction) else action),
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": _clean_text(str(target.pk)) if target is not None else "",
        "node_id": getattr(node, "pk", None),
        "node_path": getattr(node, "path", "") or "",
        "details": clean_details,
    }
    if connection.vendor == "postgresql":
        return _append_postgresql(fields)
    _lock_chain()
    head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    prev_hash = head or GENESIS_HASH
    digest = compute_hash(prev_hash, event_payload(**fields))
    return AuditEvent.objects.create(prev_hash=prev_hash, hash=digest, **fields)


def do_export_events(
    *, events: models.QuerySet[AuditEvent], filters: dict[str, Any], node: Any, actor: Any
) -> bytes:
    """The events as an .xlsx file; the export itself is audited (who took which slice of the log).

    The workbook is built before the transaction: the chain lock is held until commit and must not
    wait for a large file to be written.
    """
    from zhili.audit.export import events_workbook

    content, count = events_workbook(events)
    with transaction.atomic():
        record_audit(
            AuditAction.AUDIT_EXPORTED,
            actor=actor,
            node=node,
            details={"filters": filters, "count": count, "format": "xlsx"},
        )
    return content


def do_request_chain_verification(*, actor: Any) -> ChainVerification:
    """Queue a verification of the whole chain; the worker fills in the result."""
    from zhili.audit.tasks import verify_audit_chain

    with transaction.atomic():
        verification = ChainVerification.objects.create(requested_by=actor)
        record_audit(AuditAction.AUDIT_VERIFY_REQUESTED, actor=actor, target=verification)
        transaction.on_commit(lambda: verify_audit_chain.enqueue(verification.pk))
    return verification


def do_run_chain_verification(verification_id: int) -> ChainVerification | None:
    """Run a queued verification. Safe to run twice: a finished run is left as it is."""
    from zhili.audit.verify import verify_chain

    claimed = ChainVerification.objects.filter(
        pk=verification_id, status=ChainVerification.Status.QUEUED
    ).update(status=ChainVerification.Status.RUNNING)
    if not claimed:
        return None
    try:
        result = verify_chain()
    except Exception:
        ChainVerification.objects.filter(pk=verification_id).update(
            status=ChainVerification.Status.FAILED, finished_at=timezone.now()
        )
        raise
    ChainVerification.objects.filter(pk=verification_id).update(
        status=ChainVerification.Status.DONE,
        finished_at=timezone.now(),
        ok=result.ok,
        count=result.count,
        first_bad_id=result.first_bad_id,
        reason=result.reason or "",
        head_hash=result.head_hash,
    )
    return ChainVerification.objects.get(pk=verification_id)
