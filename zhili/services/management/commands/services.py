"""``zhili manage services outreach``: find the residents who need each service (服务找人) and give
their grid workers an outreach task. Safe to run twice and in parallel (one open task per person
and service is a database constraint)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Proactive services: `outreach` (generate outreach tasks from the services' rules)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("outreach", help="generate outreach tasks from the services' rules")
        run.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
        run.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        from zhili.services.actions import do_generate_outreach

        while True:
            counts = do_generate_outreach().as_dict()
            if options["json"]:
                self.stdout.write(json.dumps(counts))
            else:
                self.stdout.write(
                    "services {services}, residents matched {matched}, tasks created {created}, "
                    "withdrawn {withdrawn}".format(**counts)
                )
            if not options["every"]:
                return
            time.sleep(options["every"])
