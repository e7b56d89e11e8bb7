"""Background tasks of the intelligence app. Safe to run twice: a retrain only adds a version."""

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
