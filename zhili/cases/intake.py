"""Helpers of the intake endpoints: Idempotency-Key handling, webhook signatures, client addresses.

Idempotency: the first request with a key inserts the key row (the unique constraint is the lock)
in the same transaction as the case, and stores the response in it. A retry with the same key and
the same body gets the stored response; with a different body, 409 ``idempotency_key_reused``. A
request that failed left no key behind (its transaction rolled back), so the client may retry it.
On PostgreSQL a concurrent retry waits on the first insert and then reads the stored response.

The write that every intake queues behind (the audit chain's lock) is held from the statement
that takes it until the commit. Inside ``run_idempotent`` it is therefore written last, after the
response has been built and stored (``before_commit``), so that concurrent submits wait only for
that statement and the commit of the one before them.

Webhook signature: ``X-Zhili-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`` with
the shared secret ZHILI_WEBHOOK_SECRET, and ``X-Zhili-Timestamp: <Unix seconds>`` within five
minutes of our clock. The timestamp is inside the signed text, so it cannot be changed to replay an
old request; a replay inside the window carries the same signature and gets the stored response
(the signature doubles as the idempotency key), so it never creates a second case.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.cases import conf
from zhili.cases.models import Case, IdempotencyKey
from zhili.core import prepared
from zhili.core.errors import DomainError

KEY_MAX = 100

# Work queued for the end of the current ``run_idempotent`` (None: none is running, run it now).
_last: ContextVar[list[Callable[[], object]] | None] = ContextVar("zhili_cases_last", default=None)


def before_commit(work: Callable[[], object]) -> None:
    """Run ``work`` as the last thing of the current unit of work, inside its transaction.

    Inside ``run_idempotent`` that is after the response is built and stored, just before the
    commit; anywhere else it runs now (callers call it as the last step of their transaction).
    """
    queued = _last.get()
    if queued is None:
        work()
    else:
        queued.append(work)


def request_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# What ``run`` returns as the body: a dict, or the JSON text of one (sent and stored as it is, so
# that the response is encoded once).
Body = dict[str, Any] | str


def run_idempotent(
    *, owner: str, key: str | None, digest: str, run: Callable[[], tuple[int, Body, Case | None]]
) -> tuple[int, Body, bool]:
    """(status, body, replayed). ``run`` does the work inside the same transaction as the key.

    A replayed body is the stored one, as a dict."""
    if not key:
        status, body, _case = run()
        return status, body, False
    if len(key) > KEY_MAX or not key.isprintable():
        raise DomainError(
            "idempotency_key_invalid", _("The Idempotency-Key header is not valid."), status=422
        )
    with transaction.atomic():
        claimed = _claim_key(owner, key, digest)
        if claimed is None:
            existing = IdempotencyKey.objects.get(owner=owner, key=key)
            if existing.request_hash != digest:
                raise DomainError(
                    "idempotency_key_reused",
                    _("This Idempotency-Key was used with a different request."),
                    status=409,
                ) from None
            return existing.status_code, existing.response, True
        queued: list[Callable[[], object]] = []
        reset = _last.set(queued)
        try:
            status, body, case = run()
            _store_response(claimed, status, body, case)
        finally:
            _last.reset(reset)
        for work in queued:  # the serialising writes, last (see the module's docstring)
            work()
    return status, body, False


def _claim_key(owner: str, key: str, digest: str) -> int | None:
    """Insert the key row; its id, or None when the key exists (once its inserter has committed).

    ``INSERT … ON CONFLICT DO NOTHING``: one statement where a savepoint around a plain INSERT
    takes three; on PostgreSQL it waits for a concurrent insert of the same key to end like the
    plain INSERT does, then inserts (the other rolled back) or does nothing (it committed).
    """
    meta = IdempotencyKey._meta
    qn = connection.ops.quote_name
    values: dict[str, Any] = {
        "owner": owner,
        "key": key,
        "request_hash": digest,
        "status_code": 0,
        "response": {},
        "created_at": timezone.now(),
    }
    fields = [field for field in meta.concrete_fields if field.name in values]
    params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
    with prepared.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"
            f" VALUES ({', '.join(['%s'] * len(fields))})"
            f" ON CONFLICT ({qn('owner')}, {qn('key')}) DO NOTHING RETURNING {qn(meta.pk.column or 'id')}",
            params,
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _store_response(pk: int, status: int, body: Body, case: Case | None) -> None:
    """The response, as JSON text, in the claimed key row (one UPDATE, no re-encoding)."""
    meta = IdempotencyKey._meta
    qn = connection.ops.quote_name
    text = body if isinstance(body, str) else json.dumps(body)
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with prepared.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(meta.db_table)} SET {qn('status_code')} = %s, {qn('response')} = %s{cast},"
            f" {qn('case_id')} = %s WHERE {qn(meta.pk.column or 'id')} = %s",
            [status, text, case.pk if case is not None else None, pk],
        )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_webhook(request: HttpRequest, *, now: float | None = None) -> str:
    """Check the signature of a webhook request; returns the signature (for idempotency)."""
    secret = conf.webhook_secret()
    if not secret:
        raise DomainError("webhook_disabled", _("The webhook is not configured."), status=503)
    timestamp = request.headers.get("X-Zhili-Timestamp", "")
    signature = request.headers.get("X-Zhili-Signature", "")
    if not timestamp.isdigit() or not signature:
        raise DomainError("signature_missing", _("The request is not signed."), status=401)
    skew = abs((now if now is not None else time.time()) - int(timestamp))
    if skew > conf.webhook_max_skew_seconds():
        raise DomainError("signature_expired", _("The signature is too old or from the future."), status=401)
    expected = sign(secret, timestamp, request.body)
    if not hmac.compare_digest(expected, signature):
        raise DomainError("signature_invalid", _("The signature does not match."), status=401)
    return signature


def client_address(request: HttpRequest) -> str:
    """The client's IP. Behind our own proxy the last X-Forwarded-For hop (the one it added)."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]
