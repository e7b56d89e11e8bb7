"""党员联系户: members of a grid's party group and the households they keep in touch with."""

from __future__ import annotations

import pytest

from zhili.core.errors import DomainError, Forbidden
from zhili.party.actions import do_link_household, do_unlink_household
from zhili.party.models import ContactHousehold
from zhili.territory.actions import do_create_building, do_create_household

pytestmark = pytest.mark.django_db


def test_link_and_unlink_a_household(region, party):
    worker = region.user("grid_worker_a")
    assert do_link_household(party.member_a, party.households_a[0], actor=worker) is True
    assert do_link_household(party.member_a, party.households_a[0], actor=worker) is False
    assert do_unlink_household(party.member_a, party.households_a[0], actor=worker) is True
    assert not ContactHousehold.objects.exists()


def test_households_of_another_grid_or_members_outside_a_grid_are_refused(region, party):
    sec = region.user("party_secretary")
    building = do_create_building(region.grid_b, "2", "测试路2号", 39.905, 116.312, actor=None)
    elsewhere = do_create_household(building, "201", actor=None)
    with pytest.raises(DomainError) as exc:
        do_link_household(party.member_a, elsewhere, actor=sec)
    assert exc.value.code == "household_out_of_grid"
    with pytest.raises(DomainError) as exc:
        do_link_household(party.member_c1, party.households_a[0], actor=sec)  # a community branch member
    assert exc.value.code == "household_out_of_grid"
    for persona in ("grid_worker_b", "leader"):
        with pytest.raises(Forbidden):
            do_link_household(party.member_a, party.households_a[0], actor=region.user(persona))
    assert not ContactHousehold.objects.exists()


def test_the_grid_page_shows_addresses_and_unlinked_households(client, login, region, party):
    do_link_household(party.member_a, party.households_a[0], actor=region.user("party_secretary"))
    login("grid_worker_a")
    url = f"/party/grids/{region.grid_a.pk}/contacts/"
    body = client.get(url).content.decode()
    assert "张建华" in body and "测试路1号 101" in body
    assert "2 户尚无党员联系" in body
    response = client.post(
        url, {"op": "link", "member": party.member_a2.pk, "household": party.households_a[1].pk}
    )
    assert response.status_code == 302
    assert ContactHousehold.objects.filter(member=party.member_a2, household=party.households_a[1]).exists()
    client.post(url, {"op": "unlink", "member": party.member_a.pk, "household": party.households_a[0].pk})
    assert not ContactHousehold.objects.filter(member=party.member_a).exists()
    # A member of another organisation cannot be slipped in.
    client.post(url, {"op": "link", "member": party.member_c1.pk, "household": party.households_a[2].pk})
    assert not ContactHousehold.objects.filter(member=party.member_c1).exists()


def test_the_grid_page_by_persona(client, login, region, party):
    url = f"/party/grids/{region.grid_a.pk}/contacts/"
    for persona, status in (
        ("party_secretary", 200),
        ("community_staff", 200),
        ("grid_worker_a", 200),
        ("grid_worker_b", 404),
        ("leader", 403),
        ("outsider", 404),
        ("resident", 404),
    ):
        login(persona)
        assert client.get(url).status_code == status, persona
    login("leader")
    post = {"op": "link", "member": party.member_a.pk, "household": party.households_a[0].pk}
    assert client.post(url, post).status_code == 403
    assert not ContactHousehold.objects.exists()
    login("party_secretary")
    assert client.get(f"/party/grids/{region.c1.pk}/contacts/").status_code == 404
