from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from zhili.core.crypto import blind_index
from zhili.residents.models import (
    ID_NUMBER_INDEX,
    MOBILE_INDEX,
    Gender,
    Person,
    PersonTag,
    RelationToHead,
    Tag,
)
from zhili.territory.models import Building, Household

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
MOBILE = "13812345678"


@pytest.fixture
def household(region):
    building = Building.objects.create(grid=region.grid_a, name="3号楼", address="和平街道朝阳路12号院3号楼")
    return Household.objects.create(building=building, number="1单元301")


def make_person(household, *, name="张秀英", id_number=ID_NUMBER, **extra):
    person = Person(
        household=household,
        name=name,
        gender=Gender.FEMALE,
        birth_date=date(1949, 12, 31),
        relation_to_head=RelationToHead.HEAD,
        **extra,
    )
    person.set_id_number(id_number)
    person.set_mobile(MOBILE)
    person.save()
    return person


def test_id_number_and_mobile_are_stored_only_encrypted(household):
    person = make_person(household)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number_enc, id_number_bidx, mobile_enc, mobile_bidx"
            " FROM residents_person WHERE id = %s",
            [person.pk],
        )
        row = cursor.fetchone()
    stored = " ".join(row)
    assert ID_NUMBER not in stored and MOBILE not in stored
    assert row[0].startswith("t1:") and row[2].startswith("t1:")
    fresh = Person.objects.get(pk=person.pk)
    assert fresh.id_number == ID_NUMBER
    assert fresh.mobile == MOBILE
    assert fresh.masked_id_number == "110105********002X"
    assert fresh.masked_mobile == "138****5678"


def test_blind_index_finds_a_person_by_number_as_typed(household):
    person = make_person(household)
    make_person(household, name="李四", id_number="440524188001010014")
    typed = " 110105 19491231 002x"
    found = Person.objects.filter(id_number_bidx=blind_index(ID_NUMBER_INDEX, typed))
    assert list(found) == [person]
    by_mobile = Person.objects.filter(mobile_bidx=blind_index(MOBILE_INDEX, "+86 138 1234 5678"))
    assert person in by_mobile


def test_empty_values_stay_empty(household):
    person = make_person(household)
    person.set_mobile("")
    person.save()
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.mobile_enc, fresh.mobile_bidx, fresh.mobile, fresh.masked_mobile) == ("", "", "", "")


def test_household_lists_its_members_and_protects_them(household):
    person = make_person(household)
    assert list(household.members.all()) == [person]
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        household.delete()


def test_tags_are_seeded_with_chinese_names_and_sensitivity():
    tags = {tag.code: tag for tag in Tag.objects.all()}
    assert tags["elderly_alone"].name == "独居老人"
    assert tags["dibao"].name == "低保"
    assert tags["dibao"].sensitive and tags["disabled"].sensitive
    assert not tags["elderly_80"].sensitive
    assert len(tags) == 8


def test_a_tag_is_given_once_per_person(household):
    from django.db import IntegrityError, transaction

    person = make_person(household)
    tag = Tag.objects.get(code="elderly_alone")
    person.tags.add(tag)
    assert list(Tag.objects.get(code="elderly_alone").persons.all()) == [person]
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonTag.objects.create(person=person, tag=tag)
