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
    ("proactive services and outreach progress", "zhili.services.demo.load_demo"),
    ("committee election", "zhili.participation.demo.load_demo_election"),
    ("by-election with its voter roll posted", "zhili.participation.demo.load_demo_by_election"),
    ("a resident's correction request", "zhili.residents.demo.load_demo_correction"),
    ("surveys, open and published", "zhili.participation.surveys.demo.load_demo"),
    ("consultation with a tracked outcome", "zhili.participation.consultations.demo.load_demo"),
    ("disclosure boards with a corrected finance report", "zhili.disclosure.demo.load_demo"),
    ("party organisations, members and activities", "zhili.party.demo.load_demo"),
    ("cases over the last six months", "zhili.cases.demo.load_demo_cases"),
    ("warnings and hotspots", "zhili.intelligence.demo.load_demo"),
    ("classifier trained on the confirmed cases", "zhili.intelligence.demo.load_demo_classifier"),
    ("past emergency", "zhili.emergency.demo.load_demo"),
    ("cockpit rollups", "zhili.analytics.demo.load_demo"),
    ("monthly assessment", "zhili.analytics.assessment.demo.load_demo"),
]


def load_extras(seed: int, *, report: Callable[[str], Any] | None = None) -> None:
    for label, dotted in DEMO_EXTRAS:
        loader = import_string(dotted)
        loader(seed)
        if report is not None:
            report(label)
