"""``zhili manage notify send [--every SECONDS]``: send due messages from the outbox."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Send due notifications from the outbox (safe to run in several processes)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help="send due messages")
        send.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
        send.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from zhili.notify.actions import send_due_notifications

        while True:
            counts = send_due_notifications()
            if options["json"]:
                self.stdout.write(json.dumps(counts))
            else:
                self.stdout.write(
                    f"sent {counts['sent']}, failed {counts['failed']}, skipped {counts['skipped']}"
                )
            if not options["every"]:
                return
            time.sleep(options["every"])
