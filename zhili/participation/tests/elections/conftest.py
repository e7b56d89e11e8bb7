from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from zhili.accounts.roles import Role
from zhili.core.testing import make_user
from zhili.participation.elections import actions
from zhili.participation.elections.models import Election, Post, ResidentAccount
from zhili.residents.models import Person
from zhili.territory.addresses import normalise_address
from zhili.territory.models import Building, Household

ELECTION_DAY = date(2027, 6, 1)
PUBLISH_DAY = ELECTION_DAY - timedelta(days=30)
AFTER_OBJECTIONS = PUBLISH_DAY + timedelta(days=6)
_counter = itertools.count(1)


def make_person(
    grid, *, born=date(1980, 1, 1), status="registered", moved_in=None, moved_out=None, name=None
):
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
        birth_date=born,
        relation_to_head="head",
        residence_status=status,
        moved_in_on=moved_in,
        moved_out_on=moved_out,
    )


@dataclass
class Setup:
    election: Election
    posts: dict[str, Post]
    candidates: dict[str, list]  # post name -> candidates
    voters: list = field(default_factory=list)  # users linked to eligible persons
    persons: list = field(default_factory=list)


def link(user, person, actor=None):
    return ResidentAccount.objects.create(user=user, person=person, linked_by=actor)


def resident_user(username, grid):
    return make_user(username, role=Role.RESIDENT, node=grid)


@pytest.fixture
def staff(region):
    return region.user("community_staff")


@pytest.fixture
def second_official(region):
    user = make_user("clerk2", role=Role.COMMUNITY_STAFF, node=region.c1)
    return user


@pytest.fixture
def build(region, staff):
    """``build(voters=5, seats={"主任": 1}, candidates={"主任": 2}, status="voting", **rules)``.

    Registers ``voters`` adults in community 1 (each with a linked resident login), publishes and
    freezes the roll, nominates candidates from the voters, and opens voting unless told to stop
    earlier ("draft", "roll_published", "roll_frozen").
    """

    def _build(
        voters=5,
        seats=None,
        candidates=None,
        status="voting",
        extra_persons=(),
        published_on=PUBLISH_DAY,
        **rules,
    ):
        seats = seats or {"主任": 1}
        candidates = candidates or {name: n + 1 for name, n in seats.items()}
        election = actions.do_create_election(
            node=region.c1,
            kind="residents",
            title="第十二届居民委员会选举",
            election_day=ELECTION_DAY,
            actor=staff,
            **rules,
        )
        posts = {
            name: actions.do_add_post(election, name=name, seats=n, actor=staff) for name, n in seats.items()
        }
        grids = [region.grid_a, region.grid_b]
        persons = []
        users = []
        for i in range(voters):
            person = make_person(grids[i % 2], born=date(1960 + i % 40, 1 + i % 12, 1))
            user = resident_user(f"voter{next(_counter)}", grids[i % 2])
            link(user, person)
            persons.append(person)
            users.append(user)
        for spec in extra_persons:
            make_person(region.grid_a, **spec)
        setup = Setup(election, posts, {}, users, persons)
        if status == "draft":
            return setup
        actions.do_publish_roll(election, actor=staff, today=published_on)
        if status == "roll_published":
            return setup
        actions.do_freeze_roll(election, actor=staff, today=AFTER_OBJECTIONS)
        pool = iter(persons)
        for name, count in candidates.items():
            setup.candidates[name] = [
                actions.do_add_candidate(
                    posts[name], person=next(pool), actor=staff, statement=f"{name}候选人"
                )
                for _ in range(count)
            ]
        if status == "roll_frozen":
            return setup
        actions.do_publish_candidates(election, actor=staff)
        actions.do_open_voting(election, actor=staff)
        setup.election.refresh_from_db()
        return setup

    return _build


def choices(setup, **picks):
    """``choices(setup, 主任=[0])`` → {post id: [candidate ids]} by candidate index."""
    return {setup.posts[name].pk: [setup.candidates[name][i].pk for i in idx] for name, idx in picks.items()}


@pytest.fixture
def english():
    from django.utils import translation

    with translation.override("en"):
        yield
