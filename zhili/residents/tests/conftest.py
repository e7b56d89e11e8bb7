from __future__ import annotations

import importlib
from datetime import date

import pytest

from zhili.residents.actions import PersonInput, do_create_person
from zhili.residents.models import Tag
from zhili.territory.actions import do_create_building, do_create_household

ID_NUMBER = "11010519491231002X"  # the example of GB 11643: a woman born 31 December 1949
MOBILE = "13812345678"


@pytest.fixture
def building(region):
    return do_create_building(region.grid_a, "3号楼", "和平街道朝阳路12号院3号楼", None, None, actor=None)


@pytest.fixture
def household(building):
    return do_create_household(building, "1单元301", actor=None)


@pytest.fixture
def building_c(region):
    return do_create_building(region.grid_c, "8号楼", "和平街道光明路8号楼", None, None, actor=None)


@pytest.fixture
def household_c(building_c):
    return do_create_household(building_c, "2-502", actor=None)


def make_input(**overrides):
    values = {
        "name": "张秀英",
        "gender": "F",
        "birth_date": date(1949, 12, 31),
        "relation_to_head": "head",
        "id_type": "resident_id",
        "id_number": ID_NUMBER,
        "mobile": MOBILE,
        "residence_status": "registered",
        "moved_in_on": date(1985, 6, 1),
    }
    values.update(overrides)
    return PersonInput(**values)


@pytest.fixture
def seeded_tags(db):
    """The tags of migration 0002/0004. Transactional tests (the browser) flush the tables between
    tests, migrations' rows included, so a later test in the same process would find none."""
    seed = importlib.import_module("zhili.residents.migrations.0002_seed_tags")
    for code, name, sensitive in seed.TAGS:
        roles = ["grid_worker", "community_staff"] if sensitive else []
        Tag.objects.get_or_create(
            code=code, defaults={"name": name, "sensitive": sensitive, "visible_roles": roles}
        )
    return list(Tag.objects.all())


@pytest.fixture
def person(household, seeded_tags):
    tags = list(Tag.objects.filter(code__in=["elderly_alone", "dibao"]))
    return do_create_person(household, make_input(), actor=None, tags=tags)
