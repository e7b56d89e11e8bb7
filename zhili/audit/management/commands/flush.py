"""``flush`` that can empty the append-only audit log, in tests only.

Transactional tests (``transaction=True``, browser tests) end with ``flush``: TRUNCATE on
PostgreSQL, DELETE on SQLite, both refused by the audit triggers. With the setting
``ZHILI_AUDIT_TEST_FLUSH`` (set by the test settings, never in production) the flush runs inside
the triggers' maintenance hatch. Without it, this is Django's flush unchanged, and flushing a
database that holds audit events fails, as it should.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands import flush
from django.db import connections

from zhili.audit import triggers


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        if not getattr(settings, "ZHILI_AUDIT_TEST_FLUSH", False):
            return super().handle(**options)
        with triggers.maintenance(connections[options["database"]]):
            return super().handle(**options)
