"""The demo shows one past emergency, played through the actions."""

from __future__ import annotations

import pytest
from django.utils import timezone

from zhili.demo.actions import do_load_demo_region
from zhili.emergency.demo import load_demo
from zhili.emergency.models import Acknowledgement, Alert, CheckTask, EmergencyMode
from zhili.emergency.selectors import active_emergency, board
from zhili.emergency.states import AlertStatus
from zhili.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_the_demo_has_one_past_emergency_from_alert_to_checks(django_capture_on_commit_callbacks):
    do_load_demo_region(5, scale=0.15)
    load_demo(5)
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.EXPIRED
    assert alert.approved_by_id and alert.approved_by_id != alert.drafted_by_id
    assert (timezone.now() - alert.sent).days >= 59
    acks = Acknowledgement.objects.filter(alert=alert)
    assert acks.filter(audience="staff").exists() and acks.filter(audience="resident").exists()
    assert 0 < acks.filter(acknowledged_at__isnull=False).count() < acks.count()
    assert acks.filter(notified_at__isnull=True).count() == 0
    assert not Notification.objects.filter(topic=f"emergency.alert:{alert.pk}", status="pending").exists()
    data = board(alert).total
    assert data.total > 0 and data.done >= data.total * 0.7
    assert (
        CheckTask.objects.filter(alert=alert, outcome="needs_help", case__isnull=False).count()
        == data.needs_help
    )
    mode = EmergencyMode.objects.get()
    assert mode.alert == alert and mode.ended_at is not None and mode.ended_by_id
    assert active_emergency(alert.node) is None
    load_demo(5)
    assert Alert.objects.count() == 1
