"""``zhili intelligence scan``: early warnings (风险预警) and the live hotspot snapshot.

    zhili intelligence scan [--days 2] [--every 600] [--json]

Raises the new warnings of the last ``--days`` days (a warning already raised is never raised
again, so running it often, or in several places at once, is safe) and recomputes the hotspots of
the live cases. With ``--every N`` it repeats every N seconds (the demo runs it beside the server).
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Intelligence upkeep: `scan` (early warnings and the hotspot snapshot)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        scan = sub.add_parser("scan", help="raise new early warnings and refresh the hotspots")
        scan.add_argument("--days", type=int, default=2, help="days to scan, up to today (default 2)")
        scan.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
        scan.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        from zhili.intelligence.actions import run_scan

        while True:
            counts = run_scan(days=max(1, options["days"]))
            if options["json"]:
                self.stdout.write(json.dumps(counts))
            else:
                self.stdout.write(
                    "warnings raised {warnings_raised}, hotspots {hotspots} over {cases} cases".format(
                        **counts
                    )
                )
            if not options["every"]:
                return
            time.sleep(options["every"])
