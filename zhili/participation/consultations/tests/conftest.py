from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.utils import timezone

from zhili.accounts.roles import Role
from zhili.core.testing import make_user
from zhili.participation.consultations import actions
from zhili.participation.consultations.models import Topic
from zhili.participation.elections.models import ResidentAccount
from zhili.residents.models import Person
from zhili.territory.addresses import normalise_address
from zhili.territory.models import Building, Household

_counter = itertools.count(1)


def make_person(grid, *, moved_out=None, name=None):
    n = next(_counter)
    building = Building.objects.filter(grid=grid).first()
    if building is None:
        address = f"{grid.name} road {n}"
        building = Building.objects.create(
            grid=grid, name=f"B{n}", address=address, address_key=normalise_address(address)
        )
    household = Household.objects.create(building=building, number=f"{n}")
    return Person.objects.create(
        household=household,
        name=name or f"居民{n}",
        gender="M" if n % 2 else "F",
        birth_date=date(1970, 1, 1),
        relation_to_head="head",
        moved_out_on=moved_out,
    )


def verified_resident(grid, *, username=None, moved_out=None):
    """A resident login linked to a registry person living in ``grid``."""
    user = make_user(username or f"res{next(_counter)}", role=Role.RESIDENT, node=grid)
    person = make_person(grid, moved_out=moved_out)
    ResidentAccount.objects.create(user=user, person=person)
    return user


@dataclass
class Setup:
    topic: Topic
    residents: list = field(default_factory=list)


@pytest.fixture
def staff(region):
    return region.user("community_staff")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def consulting(region, staff, today):
    """A topic of community 1 open for proposals, and two verified residents (grid A and grid B)."""
    topic = actions.do_create_topic(
        node=region.c1,
        title="老旧小区加装电梯方案",
        body="征求各楼栋意见",
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=14),
        actor=staff,
    )
    actions.do_transition_topic(topic, "open", actor=staff)
    topic.refresh_from_db()
    return Setup(topic, [verified_resident(region.grid_a), verified_resident(region.grid_b)])


@pytest.fixture
def decided(consulting, staff, today):
    """The consulting topic after a meeting and a decision with two milestones, in progress."""
    topic = consulting.topic
    actions.do_transition_topic(topic, "close", actor=staff)
    meeting = actions.do_record_meeting(
        topic,
        held_at=timezone.now(),
        place="社区议事厅",
        agenda="加装电梯方案",
        minutes="同意加装",
        expected_count=5,
        attendees=[("王一", "resident_rep", ""), ("李二", "staff", "社区居委会")],
        actor=staff,
    )
    decision = actions.do_record_decision(
        topic,
        text="3号楼加装电梯",
        responsible_unit="社区居委会",
        responsible_person="张主任",
        due_on=today + timedelta(days=90),
        meeting=meeting,
        actor=staff,
    )
    actions.do_add_milestone(decision, title="完成设计", due_on=today + timedelta(days=30), actor=staff)
    actions.do_add_milestone(decision, title="完成施工", due_on=today + timedelta(days=80), actor=staff)
    actions.do_transition_topic(topic, "decide", actor=staff)
    topic.refresh_from_db()
    consulting.decision = decision  # type: ignore[attr-defined]
    return consulting
