from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.utils import timezone

from zhili.accounts.roles import Role
from zhili.core.testing import make_user
from zhili.participation.elections.models import ResidentAccount
from zhili.participation.surveys import actions
from zhili.residents.models import Person
from zhili.territory.addresses import normalise_address
from zhili.territory.models import Building, Household

_counter = itertools.count(1)


def make_person(grid, *, born=date(1980, 1, 1), moved_out=None, name=None):
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
        moved_out_on=moved_out,
    )


def resident(grid, **person):
    """A resident login linked (verified) to a new registry person of ``grid``."""
    n = next(_counter)
    user = make_user(f"res{n}", role=Role.RESIDENT, node=grid)
    person_row = make_person(grid, **person)
    ResidentAccount.objects.create(user=user, person=person_row)
    return user


@pytest.fixture
def staff(region):
    return region.user("community_staff")


@pytest.fixture
def build(region, staff):
    """``build(anonymous=True, status="open", node=None, **survey)``: a survey of community 1 with
    a single choice (颜色: 红/绿/蓝), a conditional multiple choice (shown if 蓝; 1–2 of 4),
    a ranking of three, a 1–5 scale and an optional text."""

    def _build(status="open", node=None, **values):
        survey = actions.do_create_survey(
            node=node or region.c1, title="社区环境满意度调查", actor=staff, **values
        )
        qs = {}
        qs["single"] = actions.do_add_question(
            survey, actor=staff, kind="single", text="最喜欢的颜色", options=["红", "绿", "蓝"]
        )
        qs["multiple"] = actions.do_add_question(
            survey,
            actor=staff,
            kind="multiple",
            text="蓝色的理由",
            options=["天空", "海洋", "安静", "其他"],
            min_choices=1,
            max_choices=2,
            condition_question=qs["single"],
            condition_values=[2],
        )
        qs["ranking"] = actions.do_add_question(
            survey, actor=staff, kind="ranking", text="排序", options=["停车", "绿化", "安全"]
        )
        qs["scale"] = actions.do_add_question(
            survey, actor=staff, kind="scale", text="总体满意度", scale_min=1, scale_max=5
        )
        qs["text"] = actions.do_add_question(
            survey, actor=staff, kind="text", text="意见建议", required=False, max_length=50
        )
        if status != "draft":
            actions.do_publish_survey(survey, actor=staff, now=timezone.now() - timedelta(minutes=1))
        if status == "closed":
            actions.do_close_survey(survey, actor=staff)
        survey.refresh_from_db()
        survey.q = qs
        return survey

    return _build


def good_answers(survey, *, colour=0, text=""):
    q = survey.q
    answers = {q["single"].pk: colour, q["ranking"].pk: [2, 0, 1], q["scale"].pk: 4, q["text"].pk: text}
    if colour == 2:
        answers[q["multiple"].pk] = [0, 1]
    return answers
