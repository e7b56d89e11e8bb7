"""Background tasks of the case loop. Each is safe to run twice and in several workers at once."""

from __future__ import annotations

from django_tasks import task


@task()
def sweep_cases() -> dict[str, int]:
    from zhili.cases.sweep import sweep

    return sweep()
