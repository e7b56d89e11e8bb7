"""Demo data of analytics, called by the demo loader (zhili.demo.extras) after the demo cases."""

from __future__ import annotations


def load_demo(seed: int) -> None:
    """Rebuild the cockpit's rollups from the demo cases (some are loaded with earlier dates, past the
    actions). Deterministic, and safe to call twice: a rebuild replaces what it finds."""
    from zhili.analytics.rollups import rebuild

    rebuild()
