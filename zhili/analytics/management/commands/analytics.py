"""``zhili analytics rebuild [--since DATE]`` and ``zhili analytics refresh [--every N]``.

``rebuild`` recomputes the cockpit's rollups from the case table (all days, or the days from
``--since``); run it nightly for the last few days as a repair, and once after a bulk import.
``refresh`` folds the actions' journal into the rollups and sets the overdue counters from the SLA
lights, which the sweep changes in bulk; run it beside the sweep (``--every 60``). Both are safe
beside the running actions and each other. (Every cockpit read folds the journal too.)
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Cockpit rollups: `rebuild` from the case table, `refresh` the overdue counters."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="recompute the rollups from the case table")
        rebuild.add_argument("--since", default="", help="first day to recompute (YYYY-MM-DD); default: all")
        rebuild.add_argument("--days", type=int, default=0, help="or: the last N days")
        rebuild.add_argument("--json", action="store_true")
        refresh = sub.add_parser(
            "refresh", help="fold the actions' changes in, set the overdue counters from the SLA lights"
        )
        refresh.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
        refresh.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from zhili.analytics import rollups
        from zhili.analytics.scope import today

        if options["action"] == "rebuild":
            since: date | None = None
            if options["since"]:
                try:
                    since = date.fromisoformat(options["since"])
                except ValueError:
                    raise CommandError("--since: give a date as YYYY-MM-DD") from None
            elif options["days"]:
                since = today() - timedelta(days=options["days"] - 1)
            started = time.perf_counter()
            counts = rollups.rebuild(since)
            figures = {"since": since.isoformat() if since else None, "rows": counts,
                       "seconds": round(time.perf_counter() - started, 2)}  # fmt: skip
            self.stdout.write(json.dumps(figures) if options["json"] else f"rebuilt: {figures}")
            return
        while True:
            changed = rollups.refresh_lights()
            self.stdout.write(
                json.dumps({"changed": changed}) if options["json"] else f"refreshed {changed} rows"
            )
            if not options["every"]:
                return
            time.sleep(options["every"])
