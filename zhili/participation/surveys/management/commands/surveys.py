"""``zhili surveys close-due [--every N]``: close the open surveys whose closing time has passed.

Answers are refused after the closing time anyway; closing also freezes the results and tells the
staff. Safe to run twice or in parallel (``close_due_surveys`` skips a survey another run closed).
The demo runs it every minute beside the server.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Surveys: `close-due` closes the open surveys past their closing time."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("close-due", help="close the open surveys past their closing time")
        run.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
        run.add_argument("--json", action="store_true", help="print the count as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        from zhili.participation.surveys.actions import close_due_surveys

        while True:
            closed = close_due_surveys()
            if options["json"]:
                self.stdout.write(json.dumps({"closed": closed}))
            else:
                self.stdout.write(f"surveys closed: {closed}")
            if not options["every"]:
                return
            time.sleep(options["every"])
