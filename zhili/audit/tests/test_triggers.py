"""The database itself refuses to change or remove audit events, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from zhili.audit import triggers
from zhili.audit.models import AuditEvent
from zhili.audit.tests.helpers import chain, record

pytestmark = pytest.mark.django_db

APPEND_ONLY = "append-only"


def test_migrations_install_the_triggers():
    assert triggers.installed(connection)


def test_orm_save_of_an_existing_event_is_refused():
    event = record()
    event.actor_label = "someone else"
    with pytest.raises(IntegrityError, match=APPEND_ONLY), transaction.atomic():
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "system"


def test_orm_queryset_update_is_refused():
    chain(2)
    with pytest.raises(IntegrityError, match=APPEND_ONLY), transaction.atomic():
        AuditEvent.objects.update(action="auth.logout")
    assert not AuditEvent.objects.filter(action="auth.logout").exists()


def test_orm_delete_of_one_event_is_refused():
    event = record()
    with pytest.raises(IntegrityError, match=APPEND_ONLY), transaction.atomic():
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_queryset_delete_is_refused():
    chain(3)
    with pytest.raises(IntegrityError, match=APPEND_ONLY), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 3


def test_raw_sql_update_is_refused():
    event = record()
    with (
        pytest.raises(IntegrityError, match=APPEND_ONLY),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"n": 99}', event.pk])
    assert AuditEvent.objects.get(pk=event.pk).details == {}


def test_raw_sql_delete_is_refused():
    chain(2)
    with (
        pytest.raises(IntegrityError, match=APPEND_ONLY),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 2


def test_truncate_is_refused_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    chain(2)
    with (
        pytest.raises(IntegrityError, match=APPEND_ONLY),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 2


def test_appending_still_works():
    first = record()
    second = record()
    assert second.prev_hash == first.hash


def test_maintenance_hatch_lets_a_delete_through_only_inside_its_transaction():
    chain(2)
    with triggers.maintenance(connection):
        AuditEvent.objects.filter(pk=AuditEvent.objects.order_by("id").first().pk).delete()
    assert AuditEvent.objects.count() == 1
    # Closed again once the transaction is over.
    with pytest.raises(IntegrityError, match=APPEND_ONLY), transaction.atomic():
        AuditEvent.objects.all().delete()


def test_maintenance_hatch_closes_when_its_transaction_rolls_back():
    chain(1)
    with pytest.raises(RuntimeError), triggers.maintenance(connection):
        raise RuntimeError("boom")
    with pytest.raises(IntegrityError, match=APPEND_ONLY), transaction.atomic():
        AuditEvent.objects.all().delete()


@override_settings(ZHILI_AUDIT_TEST_FLUSH=False)
def test_flush_outside_tests_refuses_to_erase_the_audit_log():
    chain(1)
    with pytest.raises(CommandError), transaction.atomic():
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert AuditEvent.objects.count() == 1


@override_settings(ZHILI_AUDIT_TEST_FLUSH=True)
def test_flush_in_tests_empties_the_audit_log_and_leaves_the_triggers_armed():
    chain(2)
    with transaction.atomic():
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert AuditEvent.objects.count() == 0
    assert triggers.installed(connection)
    record()
    with pytest.raises(IntegrityError, match=APPEND_ONLY), transaction.atomic():
        AuditEvent.objects.all().delete()
