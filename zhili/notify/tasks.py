"""The sender task: run by the worker after every commit that queued messages, and again for retries."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

BATCH = 200


@task()
def send_notifications() -> dict[str, int]:
    from zhili.notify.actions import next_retry_at, send_due_notifications

    counts = send_due_notifications(limit=BATCH)
    if sum(counts.values()) >= BATCH:
        # A full batch: more may be due (one waiting run serves every message queued before it
        # starts, see zhili.notify.actions._kick_sender), so another run follows.
        send_notifications.enqueue()
    # Retries: a run that saw failures schedules one more run for the earliest pending retry (when
    # the backend can defer), so each failing chain keeps exactly one follow-up alive.
    if not counts["failed"]:
        return counts
    retry_at = next_retry_at()
    backend = send_notifications.get_backend()
    if retry_at is not None and retry_at > timezone.now() and backend.supports_defer:
        send_notifications.using(run_after=retry_at).enqueue()
    return counts
