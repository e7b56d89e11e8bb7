"""``zhili audit verify [--json]``: check the hash chain of the audit log.

Exit 0 when the chain is intact, 1 naming the first bad event. Run it from cron and keep the
printed head hash somewhere outside the database: a later run must chain through it.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from zhili.audit import triggers
from zhili.audit.verify import DEFAULT_BATCH_SIZE, REASON_LABELS, Reason, verify_chain


class Command(BaseCommand):
    help = "Audit log tools: verify the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="recompute every hash and follow every link")
        verify.add_argument("--json", action="store_true", help="print the result as JSON")
        verify.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="rows per query")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify(as_json=options["json"], batch_size=options["batch_size"])

    def verify(self, *, as_json: bool, batch_size: int) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        result = verify_chain(batch_size=batch_size)
        guarded = triggers.installed(connection)
        if as_json:
            self.stdout.write(json.dumps({**result.as_dict(), "triggers_installed": guarded}))
        elif result.ok:
            self.stdout.write(
                f"审计链完整 / audit chain intact: {result.count} events, head {result.head_hash}"
            )
        if not guarded and not as_json:
            self.stderr.write("警告 / warning: the append-only triggers on audit_auditevent are missing")
        if not result.ok:
            label = REASON_LABELS[Reason(result.reason)] if result.reason else ""
            raise CommandError(
                f"审计链断裂 / audit chain broken at event #{result.first_bad_id}: "
                f"{result.reason} ({label}); {result.count} events checked",
                returncode=1,
            )
