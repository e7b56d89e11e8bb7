"""``zhili cases sweep``: SLA lights, escalation of overdue cases, default ratings.

Run it every minute (cron, a systemd timer, or ``--every 60``); several at once are safe.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Case loop maintenance: `sweep` (lights, escalation, default ratings)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser(
            "sweep", help="turn lights yellow/red, escalate overdue cases, rate by default"
        )
        sweep.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
        sweep.add_argument(
            "--start-at",
            type=float,
            default=0,
            help="wait until this Unix time before the first run (to start several sweepers together)",
        )
        sweep.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        from zhili.cases.sweep import sweep

        if options["start_at"]:
            time.sleep(max(0.0, options["start_at"] - time.time()))
        while True:
            counts = sweep()
            if options["json"]:
                self.stdout.write(json.dumps(counts))
            else:
                line = "yellow {yellow}, red {red}, escalated {escalated}, rated by default {default_rated}"
                self.stdout.write(line.format(**counts))
            if not options["every"]:
                return
            time.sleep(options["every"])
