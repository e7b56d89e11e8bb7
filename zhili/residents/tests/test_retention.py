"""Retention sweep: anonymises persons who moved out more than N years ago, idempotent, audited."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.crypto import blind_index
from zhili.residents.actions import do_record_visit, do_update_person
from zhili.residents.models import ID_NUMBER_INDEX, Person, PersonTag, Visit
from zhili.residents.retention import ANONYMOUS_NAME, cutoff_date, do_sweep_retention

from .conftest import ID_NUMBER

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


def moved_out(person, when):
    do_update_person(person, {"moved_out_on": when}, actor=None)
    return person


def test_persons_gone_longer_than_the_retention_are_anonymised(household, person):
    moved_out(person, date(2023, 6, 14))  # three years and a day before TODAY
    do_record_visit(
        household,
        visited_at=timezone.now() - timedelta(days=1000),
        kind="care",
        note="张秀英说腿疼",
        person=person,
        actor=None,
    )
    result = do_sweep_retention(years=3, today=TODAY)
    assert (result.anonymised, result.tags_removed, result.visit_notes_cleared) == (1, 2, 1)
    fresh = Person.objects.get(pk=person.pk)
    assert fresh.name == ANONYMOUS_NAME
    assert (fresh.id_number_enc, fresh.id_number_bidx, fresh.mobile_enc, fresh.mobile_bidx) == (
        "",
        "",
        "",
        "",
    )
    assert fresh.birth_date == date(1949, 1, 1)
    assert fresh.anonymised_at is not None
    assert not PersonTag.objects.filter(person=person).exists()
    assert Visit.objects.get().note == ""
    assert not Person.objects.filter(id_number_bidx=blind_index(ID_NUMBER_INDEX, ID_NUMBER)).exists()
    event = AuditEvent.objects.get(action=AuditAction.RETENTION_SWEPT)
    assert event.details["anonymised"] == 1 and event.details["years"] == 3
    assert "张秀英" not in json.dumps(event.details, ensure_ascii=False)


def test_persons_within_the_retention_or_still_living_here_stay(person):
    moved_out(person, date(2023, 6, 15))  # exactly three years: not yet
    assert do_sweep_retention(years=3, today=TODAY).anonymised == 0
    assert Person.objects.get(pk=person.pk).name == "张秀英"


def test_the_sweep_is_idempotent_and_audits_every_run(person):
    moved_out(person, date(2020, 1, 1))
    assert do_sweep_retention(years=3, today=TODAY).anonymised == 1
    second = do_sweep_retention(years=3, today=TODAY)
    assert (second.anonymised, second.tags_removed) == (0, 0)
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION_SWEPT).count() == 2
    assert Person.objects.get(pk=person.pk).name == ANONYMOUS_NAME


def test_an_anonymised_record_cannot_be_edited(person):
    moved_out(person, date(2020, 1, 1))
    do_sweep_retention(years=3, today=TODAY)
    from zhili.core.errors import DomainError

    with pytest.raises(DomainError):
        do_update_person(Person.objects.get(pk=person.pk), {"name": "张秀英"}, actor=None)


def test_the_setting_gives_the_default_years(person):
    moved_out(person, date(2025, 1, 1))
    with override_settings(ZHILI_RETENTION_YEARS=1):
        assert do_sweep_retention(today=TODAY).anonymised == 1


def test_cutoff_on_29_february():
    assert cutoff_date(date(2028, 2, 29), 3) == date(2025, 2, 28)


def test_the_command(person, capsys):
    moved_out(person, date(2015, 1, 1))
    call_command("privacy", "sweep", "--dry-run", "--json")
    assert json.loads(capsys.readouterr().out)["anonymised"] == 1
    assert Person.objects.get(pk=person.pk).anonymised_at is None
    call_command("privacy", "sweep", "--years", "3", "--json")
    assert json.loads(capsys.readouterr().out)["anonymised"] == 1
    call_command("privacy", "sweep", "--json")
    assert json.loads(capsys.readouterr().out)["anonymised"] == 0


def test_the_retention_setting_is_validated(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from zhili.settings.env import env_int

    monkeypatch.setenv("ZHILI_RETENTION_YEARS", "0")
    with pytest.raises(ImproperlyConfigured, match="ZHILI_RETENTION_YEARS"):
        env_int("ZHILI_RETENTION_YEARS", 3, minimum=1, maximum=100)
