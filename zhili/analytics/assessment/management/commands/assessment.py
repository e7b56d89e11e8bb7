"""``zhili assessment compute --node CODE --month 2026-10 [--set ID] [--publish] [--json]``.

Computes (or recomputes) the month's draft of every indicator set owned by the node that applies to
that month, or of one set; ``--publish`` freezes them. A published month is left alone: it changes
only through a correction (the run page or POST /api/v1/assessment/runs/{id}/correct).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Monthly assessment: `compute` a month for a territory node (optionally publish it)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        compute = sub.add_parser("compute", help="compute the month's assessment runs of a node")
        compute.add_argument("--node", required=True, help="territory node code (or id)")
        compute.add_argument("--month", required=True, help="YYYY-MM")
        compute.add_argument("--set", type=int, default=None, help="only this indicator set (id)")
        compute.add_argument("--publish", action="store_true", help="publish (freeze) what was computed")
        compute.add_argument("--json", action="store_true", help="print the runs as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        from zhili.analytics.assessment import actions
        from zhili.analytics.assessment.models import IndicatorSet
        from zhili.analytics.assessment.states import RunState
        from zhili.core.errors import DomainError
        from zhili.territory.models import Node

        node_ref = str(options["node"])
        node = Node.objects.filter(code=node_ref).first()
        if node is None and node_ref.isdigit():
            node = Node.objects.filter(pk=int(node_ref)).first()
        if node is None:
            raise CommandError(f"no territory node {node_ref!r}")
        try:
            month = actions.parse_month(options["month"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        sets = IndicatorSet.objects.filter(node=node).order_by("id")
        if options["set"] is not None:
            sets = sets.filter(pk=options["set"])
        chosen = [s for s in sets if s.valid_in(month)]
        if not chosen:
            raise CommandError("no indicator set of this node applies to that month")
        out = []
        for indicator_set in chosen:
            try:
                run = actions.do_compute_run(indicator_set=indicator_set, month=month, actor=None)
                if options["publish"]:
                    run = actions.do_publish_run(run, actor=None)
            except DomainError as exc:
                out.append(
                    {
                        "set": indicator_set.pk,
                        "name": indicator_set.name,
                        "error": exc.code,
                        "message": exc.message,
                    }
                )
                continue
            top = run.results.order_by("rank", "label").values_list("label", "total")[:3]
            out.append(
                {
                    "set": indicator_set.pk,
                    "name": indicator_set.name,
                    "run": run.pk,
                    "version": run.version,
                    "state": run.state,
                    "subjects": run.results.count(),
                    "top": [[label, str(total)] for label, total in top],
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            for row in out:
                if "error" in row:
                    self.stdout.write(f"{row['name']}: {row['message']}")
                else:
                    frozen = " (published)" if row["state"] == RunState.PUBLISHED else ""
                    self.stdout.write(
                        f"{row['name']}: run {row['run']} v{row['version']}{frozen}, {row['subjects']} rows"
                    )
        if any("error" in row for row in out):
            raise SystemExit(1)
