from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from zhili.residents.actions import PersonInput, do_create_person
from zhili.residents.models import Tag
from zhili.territory.actions import do_create_building, do_create_household
from zhili.territory.models import Household

# Points inside the test grids (lat, lng).
IN_A = (39.905, 116.305)
IN_B_WEST = (39.905, 116.312)
IN_B_EAST = (39.905, 116.318)
IN_C = (39.905, 116.325)
IN_D = (39.905, 116.405)


@pytest.fixture
def tags(db):
    seed = importlib.import_module("zhili.residents.migrations.0002_seed_tags")
    for code, name, sensitive in seed.TAGS:
        roles = ["grid_worker", "community_staff"] if sensitive else []
        Tag.objects.get_or_create(
            code=code, defaults={"name": name, "sensitive": sensitive, "visible_roles": roles}
        )
    return {t.code: t for t in Tag.objects.all()}


_ids = iter(range(10_000))


def _person(household: Household, name: str, tag_list: list[Tag], mobile: str = "") -> Any:
    n = next(_ids)
    values = PersonInput(
        name=name,
        gender="F",
        birth_date=date(1940, 1, 1),
        relation_to_head="head",
        id_type="passport",
        id_number=f"E{n:08d}",
        mobile=mobile,
        residence_status="registered",
        moved_in_on=date(1990, 1, 1),
    )
    return do_create_person(household, values, actor=None, tags=tag_list)


@dataclass
class People:
    a_alone: Household  # grid A, 独居老人, mobile
    a_plain: Household  # grid A, no tag, mobile
    a_disabled: Household  # grid A, 残疾人 (sealed), no mobile
    b_west_alone: Household  # grid B west half, 独居老人
    b_east_alone: Household  # grid B east half, 独居老人
    c_alone: Household  # grid C, 独居老人
    d_alone: Household  # grid D (other street), 独居老人


@pytest.fixture
def people(region, tags) -> People:
    def house(grid: Any, point: tuple[float, float], label: str) -> Household:
        building = do_create_building(grid, label, f"测试路{label}号", point[0], point[1], actor=None)
        return do_create_household(building, "101", actor=None)

    a1 = house(region.grid_a, IN_A, "1")
    a2 = do_create_household(a1.building, "102", actor=None)
    a3 = do_create_household(a1.building, "103", actor=None)
    bw = house(region.grid_b, IN_B_WEST, "2")
    be = house(region.grid_b, IN_B_EAST, "3")
    c = house(region.grid_c, IN_C, "4")
    d = house(region.grid_d, IN_D, "5")
    alone, disabled = tags["elderly_alone"], tags["disabled"]
    _person(a1, "王秀兰", [alone], "13900000001")
    _person(a2, "李建国", [], "13900000002")
    _person(a3, "赵明", [disabled])
    _person(bw, "孙桂英", [alone], "13900000003")
    _person(be, "周凤兰", [alone], "13900000004")
    _person(c, "吴淑珍", [alone], "13900000005")
    _person(d, "郑玉兰", [alone], "13900000006")
    return People(a1, a2, a3, bw, be, c, d)


def alert_values(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    values: dict[str, Any] = {
        "cap_status": "Actual",
        "msg_type": "Alert",
        "scope": "Public",
        "category": "Met",
        "event": "暴雨",
        "urgency": "Expected",
        "severity": "Severe",
        "certainty": "Likely",
        "headline": "暴雨红色预警",
        "description": "预计未来6小时降雨量将达100毫米以上。",
        "instruction": "请勿外出，低洼地带居民注意转移。",
        "effective": now,
        "expires": now + timedelta(hours=12),
        "area_desc": "",
    }
    values.update(overrides)
    return values


@pytest.fixture
def draft(region):
    """``draft(grids=[…], polygon=…, by="dispatcher", node=…)`` → a draft alert."""
    from zhili.emergency.actions import do_draft_alert

    def _draft(*, grids=None, polygon=None, by="dispatcher", node=None, **overrides):
        return do_draft_alert(
            actor=region.user(by),
            node=node or region.street,
            grids=[region.grid_a] if grids is None else grids,
            polygon=polygon,
            **alert_values(**overrides),
        )

    return _draft


@pytest.fixture
def approved(region, draft):
    """An alert over grids A and B, drafted by the dispatcher and approved by the supervisor."""
    from zhili.emergency.actions import do_transition_alert
    from zhili.emergency.states import AlertTransition as T

    def _approved(**kwargs):
        kwargs.setdefault("grids", [region.grid_a, region.grid_b])
        alert = draft(**kwargs)
        alert = do_transition_alert(alert, T.SUBMIT, actor=region.user("dispatcher"))
        return do_transition_alert(alert, T.APPROVE, actor=region.user("supervisor"))

    return _approved
