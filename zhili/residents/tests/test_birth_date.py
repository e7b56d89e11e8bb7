"""The date of birth never shows next to a masked ID number, whose hidden digits it is.

An 18-digit resident ID number is masked as 110105********002X: the eight hidden digits are the
date of birth (19491231). Whoever may not see the number in full must not get the full date
from any page, API answer or export either, or the mask hides nothing.
"""

from __future__ import annotations

import io
import itertools
import json
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zhili.accounts.roles import Role
from zhili.residents.actions import do_request_correction
from zhili.residents.exporting import do_export_residents
from zhili.residents.fields import FIELD_TABLE, Level, levels_for_roles
from zhili.residents.models import CorrectionRequest, Person
from zhili.residents.policies import Perm, allowed_at, roles_at
from zhili.residents.selectors import age, export_nodes, shape_person

from .conftest import ID_NUMBER

pytestmark = pytest.mark.django_db

BORN = date(1949, 12, 31)  # the person of conftest; their ID number is 110105 19491231 002X
PROPOSED = date(1949, 12, 13)  # a date of birth a correction request asks for
MASKED_ID = "110105********002X"
PERSONAS = [
    "grid_worker_a",
    "grid_worker_b",
    "community_staff",
    "dispatcher",
    "supervisor",
    "handler",
    "leader",
    "party_secretary",
    "auditor",
    "admin",
    "resident",
    "outsider",
]


def full_forms(day: date) -> list[str]:
    """The ways a full date is written on a page, in JSON or in a workbook."""
    return [
        day.isoformat(),
        day.strftime("%Y%m%d"),
        day.strftime("%Y/%m/%d"),
        day.strftime("%Y.%m.%d"),
        f"{day.year}年{day.month}月{day.day}日",
    ]


def assert_no_full_date(text: str, where: str) -> None:
    for day in (BORN, PROPOSED):
        for form in full_forms(day):
            assert form not in text, f"{form} in {where}"
    assert ID_NUMBER not in text, where


def workbook_text(content: bytes) -> str:
    sheet = load_workbook(io.BytesIO(content)).active
    return "\n".join(
        "\t".join(str(v) for v in row if v is not None) for row in sheet.iter_rows(values_only=True)
    )


def every_surface(client, region, person, persona) -> dict[str, str]:
    """Everything ``persona`` can get about the person: pages, API answers, exports (status 200 only)."""
    household = person.household
    correction = CorrectionRequest.objects.get(person=person)
    requests = {
        "person page": lambda: client.get(reverse("residents:person", args=[person.pk])),
        "edit page": lambda: client.get(reverse("residents:person_edit", args=[person.pk])),
        "household page": lambda: client.get(reverse("residents:household", args=[household.pk])),
        "search by name": lambda: client.post(reverse("residents:search"), {"q": "秀英"}),
        "search by ID number": lambda: client.post(reverse("residents:search"), {"q": ID_NUMBER}),
        "correction page": lambda: client.get(reverse("residents:correction", args=[correction.pk])),
        "API person": lambda: client.get(f"/api/v1/residents/persons/{person.pk}"),
        "API search": lambda: client.get("/api/v1/residents/persons", {"q": "秀英"}),
        "API household": lambda: client.get(f"/api/v1/residents/households/{household.pk}"),
    }
    texts = {}
    for where, send in requests.items():
        response = send()
        if response.status_code == 200:
            texts[where] = response.content.decode()
    user = region.user(persona)
    for node in export_nodes(user)[:1]:  # the widest area first
        if allowed_at(user, Perm.EXPORT, node.path):
            content, _count = do_export_residents(node, actor=user)
            texts[f"export of {node.code}"] = workbook_text(content)
            response = client.post(reverse("residents:export"), {"node": node.pk})
            texts[f"export page of {node.code}"] = workbook_text(response.content)
    return texts


@pytest.fixture
def correction(person):
    return do_request_correction(
        person, field="birth_date", value=PROPOSED.isoformat(), reason="身份证上是13日", actor=None
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_not_see_the_id_number_in_full_never_gets_the_full_date_of_birth(
    client, region, person, correction, persona
):
    user = region.user(persona)
    client.force_login(user)
    texts = every_surface(client, region, person, persona)
    levels = levels_for_roles(roles_at(user, person.household.building.grid.path))
    assert levels["id_number"] < Level.PLAIN  # nobody sees it in full without the reveal
    for where, text in texts.items():
        assert_no_full_date(text, f"{where} for {persona}")
    if levels["id_number"] > Level.HIDDEN:
        assert any(MASKED_ID in text for text in texts.values()), persona  # the check was not vacuous


def test_every_combination_of_posts_keeps_the_date_of_birth_apart_from_a_masked_id_number(person):
    """Property over all 1,024 sets of roles: a masked ID number comes with the year at most."""
    for size in range(len(FIELD_TABLE) + 1):
        for roles in itertools.combinations(FIELD_TABLE, size):
            levels = levels_for_roles(set(roles))
            shaped = shape_person(person, set(roles), tags=[])
            if Level.HIDDEN < levels["id_number"] < Level.PLAIN:
                assert levels["birth_date"] <= Level.MASKED, roles
                assert shaped.values["birth_date"] in (None, "1949"), roles
                assert_no_full_date(json.dumps(shaped.values, default=str), str(roles))
            if levels["birth_date"] == Level.PLAIN:
                assert levels["id_number"] in (Level.HIDDEN, Level.PLAIN), roles


def test_grid_workers_keep_the_year_and_the_age(client, login, person, household):
    login("grid_worker_a")
    years = age(BORN)
    page = client.get(reverse("residents:person", args=[person.pk])).content.decode()
    assert "1949年生" in page and f"{years} 岁" in page
    assert "完整日期随完整证件号码显示" in page
    assert f"{years} 岁" in client.post(reverse("residents:search"), {"q": "秀英"}).content.decode()
    assert f"{years} 岁" in client.get(reverse("residents:household", args=[household.pk])).content.decode()
    data = client.get(f"/api/v1/residents/persons/{person.pk}").json()
    assert (data["birth_date"], data["age"]) == ("1949", years)


def test_leaders_get_the_year_and_still_no_age(client, login, person):
    login("leader")
    data = client.get(f"/api/v1/residents/persons/{person.pk}").json()
    assert data["birth_date"] == "1949" and "age" not in data


def test_a_person_without_an_id_number_is_still_guarded_by_role(person):
    """The rule follows the viewer's level, not the person's document: permits and foreigners'
    cards hold the date of birth too, and a number added later must not meet a date shown before."""
    Person.objects.filter(pk=person.pk).update(id_number_enc="", id_number_bidx="")
    person.refresh_from_db()
    assert shape_person(person, {Role.GRID_WORKER}, tags=[]).values["birth_date"] == "1949"


def test_after_the_audited_reveal_the_full_date_may_be_shown(client, login, person):
    login("grid_worker_a")
    page = client.post(
        reverse("residents:person_reveal", args=[person.pk]), {"field": "id_number", "reason": "核对低保申请"}
    ).content.decode()
    assert ID_NUMBER in page and "1949-12-31" in page
    # Revealing the mobile says nothing about the ID number.
    page = client.post(
        reverse("residents:person_reveal", args=[person.pk]), {"field": "mobile", "reason": "联系本人核实"}
    ).content.decode()
    assert "1949-12-31" not in page


def test_an_export_with_full_id_numbers_has_full_dates_of_birth(region, person):
    staff = region.user("community_staff")
    content, _count = do_export_residents(
        region.c1, actor=staff, reveal=["id_number"], reason="报送民政局复核"
    )
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["证件号码"], first["出生日期"]) == (ID_NUMBER, "1949-12-31")
    content, _count = do_export_residents(region.c1, actor=staff, reveal=["mobile"], reason="联系居民核实")
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert dict(zip(rows[0], rows[1], strict=True))["出生日期"] == "1949"


def edit_data(person, **overrides):
    data = {
        "name": person.name,
        "gender": person.gender,
        "birth_date": "",
        "id_type": person.id_type,
        "id_number": "",
        "mobile": "",
        "relation_to_head": person.relation_to_head,
        "residence_status": person.residence_status,
        "moved_in_on": person.moved_in_on.isoformat(),
        "moved_out_on": "",
    }
    data.update(overrides)
    return data


def test_the_edit_form_keeps_the_date_of_birth_when_left_empty(client, login, person):
    login("grid_worker_a")
    page = client.get(reverse("residents:person_edit", args=[person.pk])).content.decode()
    assert "出生于 1949 年" in page
    response = client.post(
        reverse("residents:person_edit", args=[person.pk]), edit_data(person, residence_status="resident")
    )
    assert response.status_code == 302
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.birth_date, fresh.residence_status) == (BORN, "resident")


def test_a_typed_date_of_birth_is_still_checked_against_the_id_number(client, login, person):
    login("grid_worker_a")
    page = client.post(
        reverse("residents:person_edit", args=[person.pk]), edit_data(person, birth_date="1950-01-01")
    ).content.decode()
    assert "出生日期与证件号码不符" in page
    assert Person.objects.get(pk=person.pk).birth_date == BORN


def test_the_correction_page_shows_years_and_says_why(client, login, correction):
    login("community_staff")
    page = client.get(reverse("residents:correction", args=[correction.pk])).content.decode()
    assert 'class="mono value current">1949<' in page and 'class="mono proposed">1949<' in page
    assert "只显示出生年份" in page
