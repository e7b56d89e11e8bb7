"""Background work of disclosure: telling the residents of a residents-only item (takes an id, safe
to run twice)."""

from __future__ import annotations

from django_tasks import task


@task()
def notify_residents_task(publication_id: int) -> int:
    from zhili.disclosure.actions import notify_residents

    return notify_residents(publication_id)
