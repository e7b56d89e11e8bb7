"""``zhili analytics rebuild [--since DATE | --days N [--every N]]`` and ``zhili analytics refresh
[--every N]``.

``rebuild`` recomputes the cockpit's rollups from the case table (all days, or the days from
``--since``); run it nightly for the last few days as a repair (``--days 3 --every 86400``), and
once after a bulk import.
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
from django.db import connection


class Command(BaseCommand):
    help = "Cockpit rollups: `rebuild` from the case table, `refresh` the overdue counters."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="recompute the rollups from the case table")
        rebuild.add_argument("--since", default="", help="first day to recompute (YYYY-MM-DD); default: all")
        rebuild.add_argument("--days", type=int, default=0, help="or: the last N days")
        rebuild.add_argument(
            "--every", type=float, default=0, help="repeat every N seconds, with --days (0: once)"
        )
        rebuild.add_argument(
            "--start-at", type=float, default=0, help="wait until this Unix time before the first run"
        )
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
            if options["every"] and (not options["days"] or options["since"]):
                # a fixed --since, or everything, again and again is not a repair
                raise CommandError("--every: give --days N (the last N days, counted from each run)")
            since: date | None = None
            if options["since"]:
                try:
                    since = date.fromisoformat(options["since"])
                except ValueError:
                    raise CommandError("--since: give a date as YYYY-MM-DD") from None
            if options["start_at"]:  # the nightly repair runs at night, not when the service starts
                time.sleep(max(0.0, options["start_at"] - time.time()))
            while True:
                if options["days"] and not options["since"]:
                    since = today() - timedelta(days=options["days"] - 1)
                started = time.perf_counter()
                counts = rollups.rebuild(since)
                figures = {"since": since.isoformat() if since else None, "rows": counts,
                           "seconds": round(time.perf_counter() - started, 2)}  # fmt: skip
                self.stdout.write(json.dumps(figures) if options["json"] else f"rebuilt: {figures}")
                if not options["every"]:
                    return
                if not connection.in_atomic_block:  # (a test runs inside one)
                    connection.close()  # a fresh connection after a day's sleep
                time.sleep(options["every"])
        while True:
            changed = rollups.refresh_lights()
            self.stdout.write(
                json.dumps({"changed": changed}) if options["json"] else f"refreshed {changed} rows"
            )
            if not options["every"]:
                return
            time.sleep(options["every"])
