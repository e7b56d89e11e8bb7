"""Helpers for audit tests: write events the way actions do, and tamper the way an attacker would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

from zhili.audit import triggers
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction, AuditEvent


def record(action: AuditAction = AuditAction.LOGIN, **kwargs: Any) -> AuditEvent:
    with transaction.atomic():
        return record_audit(action, **kwargs)


def chain(n: int, **kwargs: Any) -> list[AuditEvent]:
    return [record(details={"n": i}, **kwargs) for i in range(n)]


@contextmanager
def without_triggers() -> Iterator[Any]:
    """An attacker with database access: drop the triggers, run raw SQL, (we) put them back."""
    with connection.cursor() as cursor:
        triggers.remove(cursor, connection.vendor)
        try:
            yield cursor
        finally:
            triggers.install(cursor, connection.vendor)
    assert triggers.installed(connection)
