"""``zhili demo_data load [--seed N] [--scale X] [--if-empty] [--json]``: the demo region."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zhili.core.errors import DomainError
from zhili.demo.actions import do_load_demo_region, territory_is_empty
from zhili.demo.extras import load_extras
from zhili.demo.logins import demo_logins, logins_table


def _scale(raw: str) -> float:
    import argparse

    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError("a number in (0, 1]") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("a number in (0, 1]")
    return value


class Command(BaseCommand):
    help = "Demo data: `load` builds a realistic demo district (communities, grids, residents, staff)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        load = sub.add_parser("load", help="load the demo region into an empty database")
        load.add_argument(
            "--seed", type=int, default=1, help="the same seed gives the same region (default 1)"
        )
        load.add_argument("--scale", type=_scale, default=1.0, help="fraction of the full size, for tests")
        load.add_argument(
            "--if-empty", action="store_true", help="keep existing data: do nothing when any territory exists"
        )
        load.add_argument("--json", action="store_true", help="print counts and logins as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "load":
            self.load(
                seed=options["seed"],
                scale=options["scale"],
                if_empty=options["if_empty"],
                as_json=options["json"],
            )

    def load(self, *, seed: int, scale: float, if_empty: bool, as_json: bool) -> None:
        if if_empty and not territory_is_empty():
            if as_json:
                self.stdout.write(json.dumps({"loaded": False, "reason": "territory_not_empty"}))
            else:
                self.stdout.write(_("The database already holds a territory; the data is kept."))
                self.stdout.write("")
                self.stdout.write(_("Demo logins (every account has the same password):"))
                self.stdout.write(logins_table(demo_logins()))
            return
        started = time.perf_counter()
        try:
            result = do_load_demo_region(seed, scale=scale)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if scale >= 1.0:
            # The extras assume the full region (e.g. enough voters for a valid election).
            load_extras(seed)
        seconds = round(time.perf_counter() - started, 2)
        logins = demo_logins()
        if as_json:
            payload = {
                "loaded": True,
                "seed": seed,
                "scale": scale,
                "seconds": seconds,
                "counts": result.counts,
                "logins": [
                    {"role": login.role.value, "username": login.username, "password": login.password,
                     "scope": login.scope}
                    for login in logins
                ],
            }  # fmt: skip
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        counts = result.counts
        self.stdout.write(
            _(
                "Demo region loaded in %(seconds)s s (seed %(seed)s): %(communities)s communities, "
                "%(grids)s grids, %(buildings)s buildings, %(households)s households, %(persons)s residents."
            )
            % {"seconds": seconds, "seed": seed, **counts}
        )
        self.stdout.write("")
        self.stdout.write(_("Demo logins (every account has the same password):"))
        self.stdout.write(logins_table(logins))
