"""The Django admin shows the audit log and offers no way to add, change or delete an event."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhili.accounts.models import User
from zhili.audit.models import AuditEvent, ChainVerification
from zhili.audit.tests.helpers import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x" * 12))
    return client


def test_changelist_and_detail_are_readable(superuser_client):
    event = record(details={"mark": "visible-in-admin"})
    assert superuser_client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    detail = superuser_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert b"visible-in-admin" in detail.content
    assert b'name="_save"' not in detail.content


def test_add_change_and_delete_are_refused(superuser_client):
    event = record()
    assert superuser_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    response = superuser_client.post(
        reverse("admin:audit_auditevent_change", args=[event.pk]), {"actor_label": "someone"}
    )
    assert response.status_code == 403
    assert superuser_client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    response = superuser_client.post(
        reverse("admin:audit_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "system"


def test_verifications_are_read_only_too(superuser_client):
    verification = ChainVerification.objects.create()
    assert superuser_client.get(reverse("admin:audit_chainverification_changelist")).status_code == 200
    assert superuser_client.get(reverse("admin:audit_chainverification_add")).status_code == 403
    url = reverse("admin:audit_chainverification_delete", args=[verification.pk])
    assert superuser_client.get(url).status_code == 403
