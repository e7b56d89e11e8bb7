"""Key rotation: every token re-encrypted with the current key, in batches, resumable, idempotent,
audited; blind indexes untouched."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.crypto import blind_index, encrypt, token_key_id
from zhili.core.idnumber import make_id_number
from zhili.residents.actions import do_create_person
from zhili.residents.keys import index_key_matches, key_status, rotate_keys
from zhili.residents.models import ID_NUMBER_INDEX, Person, PersonTag

from .conftest import ID_NUMBER, make_input

pytestmark = pytest.mark.django_db

OLD = bytes(range(32))  # the test settings' t1 key
NEW = bytes(range(100, 132))
BOTH = {"t2": NEW, "t1": OLD}


def people(household, count):
    made = []
    for n in range(count):
        born = date(1970, 1, 1 + n)
        made.append(
            do_create_person(
                household,
                make_input(
                    name=f"居民{n}",
                    gender="M",
                    birth_date=born,
                    id_number=make_id_number("110105", born, 11),
                    mobile=f"1390000{n:04d}",
                    moved_in_on=None,
                ),
                actor=None,
            )
        )
    return made


def tokens():
    return list(Person.objects.values_list("id_number_enc", "mobile_enc", "id_number_bidx")) + list(
        PersonTag.objects.exclude(tag_enc="").values_list("tag_enc", flat=True)
    )


def test_encryption_round_trip_with_key_id(person):
    fresh = Person.objects.get(pk=person.pk)
    assert token_key_id(fresh.id_number_enc) == "t1"
    assert fresh.id_number == ID_NUMBER
    assert encrypt(ID_NUMBER) != encrypt(ID_NUMBER)  # a fresh nonce each time


def test_rotation_re_encrypts_everything_and_keeps_the_indexes(household, person):
    people(household, 4)
    bidx_before = dict(Person.objects.values_list("pk", "id_number_bidx"))
    with override_settings(ZHILI_DATA_KEYS=BOTH, ZHILI_INDEX_KEY_ID="t1"):
        assert index_key_matches() is True
        result = rotate_keys(batch=2)
        # Five persons in batches of two, then the one sealed tag row.
        assert result.key_id == "t2" and result.rows == 6 and result.batches == 4
        assert result.values == 5 * 2 + 1  # ID numbers, mobiles and the sealed 低保 tag
        status = key_status()
        assert status["residents.Person.id_number_enc"] == {"t2": 5}
        assert status["residents.PersonTag.tag_enc"] == {"t2": 1}
        assert Person.objects.get(pk=person.pk).id_number == ID_NUMBER
        assert dict(Person.objects.values_list("pk", "id_number_bidx")) == bidx_before
        assert Person.objects.filter(id_number_bidx=blind_index(ID_NUMBER_INDEX, ID_NUMBER)).get() == person
    # One audit row per committed batch, naming counts and the key, never values.
    events = AuditEvent.objects.filter(action=AuditAction.KEYS_ROTATED)
    assert events.count() == 4
    assert ID_NUMBER not in json.dumps(list(events.values_list("details", flat=True)))
    # Without the new key the data is unreadable: it really moved.
    with pytest.raises(Exception, match="t2"):
        Person.objects.get(pk=person.pk).id_number  # noqa: B018


def test_rotation_is_idempotent_and_resumable(household, person, monkeypatch):
    people(household, 5)
    with override_settings(ZHILI_DATA_KEYS=BOTH, ZHILI_INDEX_KEY_ID="t1"):
        calls = []

        def stop_after_first_batch(label, rows):
            calls.append(rows)
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            rotate_keys(batch=2, progress=stop_after_first_batch)
        assert key_status()["residents.Person.id_number_enc"] == {"t1": 4, "t2": 2}
        resumed = rotate_keys(batch=2)
        assert resumed.rows == 4 + 1  # the four persons left and the sealed tag row
        again = rotate_keys(batch=2)
        assert (again.rows, again.values, again.batches) == (0, 0, 0)
        assert key_status()["residents.Person.id_number_enc"] == {"t2": 6}


def test_the_command_refuses_when_the_index_key_is_not_pinned(person):
    # New key first and no pin: indexes would be computed with t2 and every search would miss.
    with override_settings(ZHILI_DATA_KEYS=BOTH, ZHILI_INDEX_KEY_ID="t2"):
        with pytest.raises(CommandError, match="ZHILI_INDEX_KEY_ID"):
            call_command("keys", "rotate")
        assert token_key_id(Person.objects.get(pk=person.pk).id_number_enc) == "t1"


def test_the_command_rotates_and_reports(person, capsys):
    with override_settings(ZHILI_DATA_KEYS=BOTH, ZHILI_INDEX_KEY_ID="t1"):
        call_command("keys", "rotate", "--batch", "1000", "--json")
        result = json.loads(capsys.readouterr().out)
        assert result["key_id"] == "t2" and result["rows"] == 2  # the person and the sealed tag
        call_command("keys", "status", "--json")
        assert json.loads(capsys.readouterr().out)["residents.Person.mobile_enc"] == {"t2": 1}


def test_keys_from_the_environment_parse_as_rotation_expects():
    from zhili.settings.env import parse_data_keys

    raw = f"t2:{base64.b64encode(NEW).decode()},t1:{base64.b64encode(OLD).decode()}"
    assert list(parse_data_keys("ZHILI_DATA_KEY", raw)) == ["t2", "t1"]
