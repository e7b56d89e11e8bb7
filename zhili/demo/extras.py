"""Demo data of the later features, loaded after the region by `zhili demo_data load`.

Each entry is an importable function ``f(seed) -> object`` that is safe to call twice. The loader
imports them lazily so that the region generator does not depend on every app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

DEMO_EXTRAS: list[tuple[str, str]] = [
    # (what it shows, dotted path)
    ("house information, visits, sealed sensitive tags", "zhili.residents.demo.load_demo_visits"),
    ("committee election", "zhili.participation.demo.load_demo_election"),
]


def load_extras(seed: int, *, report: Callable[[str], Any] | None = None) -> None:
    for label, dotted in DEMO_EXTRAS:
        loader = import_string(dotted)
        loader(seed)
        if report is not None:
            report(label)
