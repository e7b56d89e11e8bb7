"""``zhili privacy sweep [--years N] [--dry-run] [--json]``: anonymise residents who moved out long ago.

N defaults to ZHILI_RETENTION_YEARS (3). Run it daily from cron; a run with nothing to do still
writes its audit row, so that the log shows the rule is being applied.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.residents.retention import do_sweep_retention


class Command(BaseCommand):
    help = "Personal-data retention: anonymise residents who moved out more than N years ago."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sweep = sub.add_parser("sweep", help="anonymise residents past the retention period")
        sweep.add_argument("--years", type=int, default=None, help="retention in years (default: setting)")
        sweep.add_argument("--dry-run", action="store_true", help="count only, change nothing")
        sweep.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        years = options["years"]
        if years is not None and years < 1:
            raise CommandError("--years must be at least 1")
        result = do_sweep_retention(years=years, dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        elif result.dry_run:
            self.stdout.write(
                f"将匿名化 / would anonymise: {result.anonymised} (moved out before {result.cutoff})"
            )
        else:
            self.stdout.write(
                f"已匿名化 / anonymised: {result.anonymised} (moved out before {result.cutoff}); "
                f"tags removed: {result.tags_removed}; visit notes cleared: {result.visit_notes_cleared}"
            )
