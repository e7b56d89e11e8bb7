"""``zhili bench <name> [options] [--json]``: the product's benchmarks.

Each benchmark is a module with ``add_arguments(parser)`` and ``run(**options) -> dict`` (the
figures); register it in ``BENCHMARKS`` with one line. The command prints the figures as
``name: value`` lines, or as one JSON object with ``--json``.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

# name → module path. Add a benchmark here.
BENCHMARKS: dict[str, str] = {
    "tally": "zhili.participation.elections.bench",
    "import": "zhili.residents.bench",
    "dashboard": "zhili.analytics.bench",
    "intake": "zhili.cases.bench",
}


class Command(BaseCommand):
    help = "Benchmarks: " + ", ".join(sorted(BENCHMARKS))

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="benchmark", required=True)
        for name, module in sorted(BENCHMARKS.items()):
            loaded = importlib.import_module(module)
            child = sub.add_parser(name, help=(loaded.__doc__ or name).strip().splitlines()[0])
            loaded.add_arguments(child)
            child.add_argument("--json", action="store_true", help="print the figures as one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options.pop("benchmark")
        as_json = options.pop("json", False)
        module = importlib.import_module(BENCHMARKS[name])
        try:
            figures = module.run(**options)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if as_json:
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
        else:
            for key, value in figures.items():
                self.stdout.write(f"{key}: {value}")
