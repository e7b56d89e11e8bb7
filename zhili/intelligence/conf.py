"""Tunables of the classifier, read from settings with their defaults (all optional)."""

from __future__ import annotations

from django.conf import settings


def min_confidence() -> float:
    """Below this confidence ``classify`` abstains and the case waits for a person."""
    return float(getattr(settings, "ZHILI_CLASSIFIER_MIN_CONFIDENCE", 0.3))


def min_training_cases() -> int:
    """Confirmed cases needed before a model is trained; until then keyword rules classify."""
    return int(getattr(settings, "ZHILI_CLASSIFIER_MIN_CASES", 50))
