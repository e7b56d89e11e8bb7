from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from zhili.accounts.roles import Role
from zhili.core.testing import make_user
from zhili.party.actions import do_create_org, do_plan_activity, do_register_member, do_transition_activity
from zhili.party.models import Activity, PartyMember, PartyOrg
from zhili.party.states import ActivityTransition
from zhili.territory.actions import do_create_building, do_create_household
from zhili.territory.models import Household


@dataclass
class Party:
    street: PartyOrg  # 党工委 of the test street
    c1: PartyOrg  # 党总支 of community 1
    group_a: PartyOrg  # grid A's party group; grids B and C have none
    other: PartyOrg  # the other street's 党工委
    member_a: PartyMember  # grid A, with a mobile
    member_a2: PartyMember  # grid A
    member_c1: PartyMember  # community 1's branch directly
    member_other: PartyMember  # the other street
    held: Activity  # community 1's held activity (yesterday)
    planned: Activity  # community 1's planned activity (next week)
    households_a: list[Household]
    other_secretary: Any


@pytest.fixture
def party(region) -> Party:
    sec = region.user("party_secretary")
    other_sec = make_user("other_secretary", role=Role.PARTY_SECRETARY, node=region.other_street)
    street = do_create_org(
        node=region.street, kind="working_committee", name="测试街道党工委", actor=sec, secretary_name="王海"
    )
    c1 = do_create_org(node=region.c1, kind="general_branch", name="第一社区党总支", actor=sec)
    group_a = do_create_org(node=region.grid_a, kind="grid_group", name="A网格党小组", actor=sec)
    other = do_create_org(
        node=region.other_street, kind="working_committee", name="外街道党工委", actor=other_sec
    )
    member_a = do_register_member(
        org=group_a, name="张建华", gender="M", joined_on=date(2001, 7, 1), mobile="13800001111", actor=sec
    )
    member_a2 = do_register_member(
        org=group_a, name="刘芳", gender="F", joined_on=date(2015, 6, 1), actor=sec
    )
    member_c1 = do_register_member(
        org=c1, name="陈志强", gender="M", joined_on=date(1998, 3, 1), standing="probationary", actor=sec
    )
    member_other = do_register_member(
        org=other, name="赵丽", gender="F", joined_on=date(2010, 1, 1), actor=other_sec
    )
    today = timezone.localdate()
    held = do_plan_activity(
        org=c1,
        kind="volunteer",
        title="清理楼道杂物",
        date=today - timedelta(days=1),
        place="一号楼",
        actor=sec,
    )
    held = do_transition_activity(held, ActivityTransition.HOLD, actor=sec)
    planned = do_plan_activity(
        org=c1, kind="theme_day", title="主题党日：学习党章", date=today + timedelta(days=7), actor=sec
    )
    building = do_create_building(region.grid_a, "1", "测试路1号", 39.905, 116.305, actor=None)
    households = [do_create_household(building, n, actor=None) for n in ("101", "102", "103")]
    return Party(
        street,
        c1,
        group_a,
        other,
        member_a,
        member_a2,
        member_c1,
        member_other,
        held,
        planned,
        households,
        other_sec,
    )
