"""Background work of emergency: the alert fan-out (takes an id, safe to run twice)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_alert_task(alert_id: int) -> int:
    from zhili.emergency.delivery import deliver_alert

    return deliver_alert(alert_id)
