from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from zhili.residents.actions import PersonInput, do_create_person
from zhili.residents.models import Person, Tag
from zhili.territory.actions import do_create_building, do_create_household
from zhili.territory.models import Household

# Points inside the test grids (lat, lng).
IN_A = (39.905, 116.305)
IN_B = (39.905, 116.315)
IN_C = (39.905, 116.325)
IN_D = (39.905, 116.405)


@pytest.fixture
def tags(db) -> dict[str, Tag]:
    seed = importlib.import_module("zhili.residents.migrations.0002_seed_tags")
    for code, name, sensitive in seed.TAGS:
        roles = ["grid_worker", "community_staff"] if sensitive else []
        Tag.objects.get_or_create(
            code=code, defaults={"name": name, "sensitive": sensitive, "visible_roles": roles}
        )
    return {t.code: t for t in Tag.objects.all()}


_ids = iter(range(10_000))


def make_person(household: Household, name: str, born: date, tag_list: list[Tag]) -> Person:
    n = next(_ids)
    values = PersonInput(
        name=name,
        gender="F",
        birth_date=born,
        relation_to_head="head",
        id_type="passport",
        id_number=f"S{n:08d}",
        residence_status="registered",
        moved_in_on=date(1990, 1, 1),
    )
    return do_create_person(household, values, actor=None, tags=tag_list)


@dataclass
class People:
    a_alone_old: Person  # grid A, 独居老人, born 1940
    a_young: Person  # grid A, no tag, born 1980
    a_disabled: Person  # grid A, 残疾人 (sealed), born 1960
    b_alone: Person  # grid B, 独居老人, born 1950
    b_old: Person  # grid B, no tag, born 1944
    c_alone: Person  # grid C (community 2), 独居老人, born 1942
    d_alone: Person  # grid D (other street), 独居老人, born 1940


@pytest.fixture
def people(region, tags) -> People:
    def house(grid: Any, point: tuple[float, float], label: str) -> Household:
        building = do_create_building(grid, label, f"测试路{label}号", point[0], point[1], actor=None)
        return do_create_household(building, "101", actor=None)

    a1 = house(region.grid_a, IN_A, "1")
    a2 = do_create_household(a1.building, "102", actor=None)
    a3 = do_create_household(a1.building, "103", actor=None)
    b1 = house(region.grid_b, IN_B, "2")
    b2 = do_create_household(b1.building, "202", actor=None)
    c = house(region.grid_c, IN_C, "4")
    d = house(region.grid_d, IN_D, "5")
    alone, disabled = tags["elderly_alone"], tags["disabled"]
    return People(
        make_person(a1, "王秀兰", date(1940, 3, 1), [alone]),
        make_person(a2, "李建国", date(1980, 5, 1), []),
        make_person(a3, "赵明", date(1960, 7, 1), [disabled]),
        make_person(b1, "孙桂英", date(1950, 2, 1), [alone]),
        make_person(b2, "周凤兰", date(1944, 9, 1), []),
        make_person(c, "吴淑珍", date(1942, 1, 1), [alone]),
        make_person(d, "郑玉兰", date(1940, 1, 1), [alone]),
    )


@pytest.fixture
def service(region, tags):
    """``service(tag_codes=[…], min_age=…, node=…, by=…)`` → a saved service (street-wide by default)."""
    from zhili.services.actions import do_save_service

    counter = iter(range(1000))

    def _service(*, node=None, by="admin", **values):
        values.setdefault("name", f"服务{next(counter)}")
        values.setdefault("tag_codes", [])
        values.setdefault("interval_days", 0)
        return do_save_service(None, actor=region.user(by), node=node or region.street, **values)

    return _service
