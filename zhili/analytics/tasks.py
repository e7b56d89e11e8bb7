"""Background tasks of analytics. Safe to run twice and beside the actions."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task


@task()
def refresh_rollups() -> int:
    """The overdue counters from the SLA lights (run after the sweep)."""
    from zhili.analytics.rollups import refresh_lights

    return refresh_lights()


@task()
def repair_rollups(days: int = 3) -> dict[str, int]:
    """Recompute the last few days from the case table (nightly)."""
    from zhili.analytics.rollups import rebuild
    from zhili.analytics.scope import today

    return rebuild(today() - timedelta(days=days - 1))
