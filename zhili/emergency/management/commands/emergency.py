"""``zhili manage emergency sweep``: expire sent alerts past their end, and queue any messages of sent
alerts that are still waiting (when a fan-out task could not be enqueued). Safe to run in parallel.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


def sweep() -> dict[str, int]:
    from zhili.emergency.actions import do_expire_alerts
    from zhili.emergency.delivery import deliver_alert
    from zhili.emergency.models import Acknowledgement

    waiting = (
        Acknowledgement.objects.filter(notified_at__isnull=True).values_list("alert_id", flat=True).distinct()
    )
    queued = sum(deliver_alert(alert_id) for alert_id in sorted(set(waiting)))
    return {"expired": do_expire_alerts(), "queued": queued}


class Command(BaseCommand):
    help = "Emergency maintenance: `sweep` (expire alerts, queue waiting messages)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("sweep", help="expire alerts past their end; queue waiting messages")
        run.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
        run.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            counts = sweep()
            if options["json"]:
                self.stdout.write(json.dumps(counts))
            else:
                self.stdout.write("expired {expired}, messages queued {queued}".format(**counts))
            if not options["every"]:
                return
            time.sleep(options["every"])
