"""Demo data of consultations, called by the demo loader (zhili.demo.extras)."""

from __future__ import annotations


def load_demo(seed: int) -> None:
    """Safe to call twice."""
    return None
