"""Tunables of the case loop, read from settings with their defaults (all optional)."""

from __future__ import annotations

from django.conf import settings


def max_returns() -> int:
    """How often a case may be returned before a supervisor must arbitrate (ZHILI_MAX_RETURNS)."""
    return int(getattr(settings, "ZHILI_MAX_RETURNS", 2))


def auto_dispatch_confidence() -> float:
    """A dispatch rule acts alone only when the category is at least this sure."""
    return float(getattr(settings, "ZHILI_AUTO_DISPATCH_CONFIDENCE", 0.8))


def default_rating_days() -> int:
    """Verified cases nobody rated count as satisfied after this many days (默认满意)."""
    return int(getattr(settings, "ZHILI_DEFAULT_RATING_DAYS", 7))


def yellow_fraction() -> float:
    """The light turns yellow when this share of the time to finish has passed."""
    return float(getattr(settings, "ZHILI_SLA_YELLOW_FRACTION", 0.8))


def track_failure_limit() -> int:
    """Failed tracking look-ups per client address per window before 429."""
    return int(getattr(settings, "ZHILI_TRACK_FAILURE_LIMIT", 10))


def track_window_seconds() -> int:
    return int(getattr(settings, "ZHILI_TRACK_WINDOW_SECONDS", 600))


def webhook_secret() -> str:
    return str(getattr(settings, "ZHILI_WEBHOOK_SECRET", "") or "")


def webhook_max_skew_seconds() -> int:
    return int(getattr(settings, "ZHILI_WEBHOOK_MAX_SKEW_SECONDS", 300))
