"""Background tasks of the intelligence app. Safe to run twice: a retrain only adds a version, a
scan raises each warning once and replaces the hotspot snapshot."""

from __future__ import annotations

from django_tasks import task


@task()
def retrain_classifier() -> dict[str, object]:
    from zhili.intelligence.actions import do_retrain_classifier

    version = do_retrain_classifier()
    if version is None:
        return {"trained": False}
    return {
        "trained": True,
        "version": version.version,
        "active": version.active,
        "macro_f1": version.macro_f1,
    }


@task()
def scan_intelligence(days: int = 2) -> dict[str, int]:
    """Raise new early warnings and refresh the hotspot snapshot."""
    from zhili.intelligence.actions import run_scan

    return run_scan(days=days)
