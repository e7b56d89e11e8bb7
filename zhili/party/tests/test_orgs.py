"""Organisations on the territory tree, coverage and creating the missing grid party groups."""

from __future__ import annotations

import pytest

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import DomainError, Forbidden
from zhili.party import selectors
from zhili.party.actions import do_create_missing_grid_groups, do_create_org, do_update_org
from zhili.party.models import PartyOrg

pytestmark = pytest.mark.django_db


def test_the_parent_follows_the_territory_tree_also_when_created_later(region, login):
    sec = region.user("party_secretary")
    group = do_create_org(node=region.grid_a, kind="grid_group", name="A组", actor=sec)
    assert group.parent is None
    street = do_create_org(node=region.street, kind="working_committee", name="党工委", actor=sec)
    group.refresh_from_db()
    assert group.parent == street  # adopted by the street while community 1 has none
    c1 = do_create_org(node=region.c1, kind="general_branch", name="总支", actor=sec)
    group.refresh_from_db()
    assert c1.parent == street and group.parent == c1
    audit = AuditEvent.objects.filter(action=AuditAction.PARTY_ORG_CHANGED)
    assert audit.count() == 3 and audit.last().node_path == region.c1.path


@pytest.mark.parametrize(
    ("node", "kind", "code"),
    [("grid_a", "general_branch", "kind_not_at_node"), ("c1", "grid_group", "kind_not_at_node")],
)
def test_a_kind_stands_only_at_its_level(region, node, kind, code):
    with pytest.raises(DomainError) as exc:
        do_create_org(node=getattr(region, node), kind=kind, name="x", actor=region.user("party_secretary"))
    assert exc.value.code == code
    assert (
        not PartyOrg.objects.exists() and not AuditEvent.objects.filter(action="party.org_changed").exists()
    )


def test_only_party_secretaries_of_the_subtree_create_organisations(region):
    for persona in ("community_staff", "grid_worker_a", "leader", "outsider"):
        with pytest.raises(Forbidden):
            do_create_org(node=region.grid_a, kind="grid_group", name="x", actor=region.user(persona))
    assert not PartyOrg.objects.exists()


def test_one_organisation_per_place(region):
    sec = region.user("party_secretary")
    do_create_org(node=region.c1, kind="branch", name="一", actor=sec)
    with pytest.raises(DomainError) as exc:
        do_create_org(node=region.c1, kind="branch", name="二", actor=sec)
    assert exc.value.code == "org_exists" and PartyOrg.objects.count() == 1


def test_the_secretarys_login_must_work_in_the_territory(region, party):
    sec = region.user("party_secretary")
    with pytest.raises(DomainError) as exc:
        do_update_org(
            party.group_a, kind="grid_group", name="A组", actor=sec, secretary_user=region.user("outsider")
        )
    assert exc.value.code == "secretary_out_of_scope"
    org = do_update_org(
        party.group_a,
        kind="grid_group",
        name="A组",
        actor=sec,
        secretary_name="李",
        secretary_user=region.user("grid_worker_a"),
    )
    assert org.secretary_user == region.user("grid_worker_a") and org.secretary_name == "李"


def test_coverage_lists_grids_without_a_party_group_first(region, party):
    data = selectors.coverage(region.user("party_secretary"))
    assert [r.grid for r in data.rows] == [region.grid_b, region.grid_c, region.grid_a]
    assert data.missing == 2 and data.covered == 1
    assert data.rows[2].members == 2 and data.rows[2].org == party.group_a
    assert data.creatable == {region.c1.pk: 1, region.c2.pk: 1}
    # A grid worker sees their own grid only, and may create nothing.
    mine = selectors.coverage(region.user("grid_worker_b"))
    assert [r.grid for r in mine.rows] == [region.grid_b] and mine.creatable == {}


def test_the_coverage_page_counts_the_gaps_and_creates_the_missing_groups(client, login, region, party):
    login("party_secretary")
    body = client.get("/party/coverage/").content.decode()
    assert "2 个网格尚未建立党小组" in body
    assert body.index("Grid B") < body.index("Grid A")
    response = client.post(f"/party/coverage/{region.c1.pk}/create-groups/")
    assert response.status_code == 302
    created = PartyOrg.objects.get(node=region.grid_b)
    assert created.kind == "grid_group" and created.name == "Grid B党小组" and created.parent == party.c1
    assert "1 个网格尚未建立党小组" in client.get("/party/coverage/").content.decode()
    event = AuditEvent.objects.filter(action=AuditAction.PARTY_ORG_CHANGED).last()
    assert event.details == {"grid_groups_created": [region.grid_b.pk]}


def test_creating_missing_groups_twice_creates_nothing_more(region, party):
    sec = region.user("party_secretary")
    assert len(do_create_missing_grid_groups(region.c2, actor=sec)) == 1
    before = AuditEvent.objects.count()
    assert do_create_missing_grid_groups(region.c2, actor=sec) == []
    assert AuditEvent.objects.count() == before


def test_creating_groups_is_for_party_secretaries(client, login, region, party):
    for persona, status in (("community_staff", 403), ("leader", 403), ("outsider", 403), ("resident", 404)):
        login(persona)
        assert client.post(f"/party/coverage/{region.c1.pk}/create-groups/").status_code == status
    login("party_secretary")
    assert client.post(f"/party/coverage/{region.other_community.pk}/create-groups/").status_code == 404
    assert client.post(f"/party/coverage/{region.grid_a.pk}/create-groups/").status_code == 404
    assert not PartyOrg.objects.filter(node=region.grid_b).exists()


def test_the_organisation_form_creates_and_shows_refusals(client, login, region, party):
    login("party_secretary")
    response = client.post("/party/orgs/new/", {"node": region.grid_b.pk, "kind": "branch", "name": "B组"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not PartyOrg.objects.filter(node=region.grid_b).exists()
    response = client.post(
        "/party/orgs/new/", {"node": region.grid_b.pk, "kind": "grid_group", "name": "B组"}
    )
    assert response.status_code == 302
    org = PartyOrg.objects.get(node=region.grid_b)
    response = client.post(
        f"/party/orgs/{org.pk}/edit/", {"kind": "grid_group", "name": "B网格党小组", "secretary_name": "周"}
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "B网格党小组" and org.secretary_name == "周"


def test_organisation_pages_by_persona(client, login, region, party):
    cases = {
        "party_secretary": (200, 200, 200),
        "community_staff": (200, 200, 403),
        "grid_worker_a": (200, 200, 403),
        "leader": (200, 200, 403),
        "outsider": (200, 404, 404),
        "resident": (404, 404, 404),
        "nobody": (404, 404, 404),
    }
    for persona, (listing, detail, edit) in cases.items():
        login(persona)
        assert client.get("/party/").status_code == listing, persona
        assert client.get(f"/party/orgs/{party.c1.pk}/").status_code == detail, persona
        assert client.get(f"/party/orgs/{party.c1.pk}/edit/").status_code == edit, persona
    login("party_secretary")
    assert client.get(f"/party/orgs/{party.other.pk}/").status_code == 404
    assert client.get("/party/orgs/999999/").status_code == 404


def test_leaders_see_counts_not_names_on_the_organisation_page(client, login, region, party):
    login("leader")
    body = client.get(f"/party/orgs/{party.group_a.pk}/").content.decode()
    assert 'id="member-count">2<' in body and "张建华" not in body
    login("grid_worker_a")
    body = client.get(f"/party/orgs/{party.group_a.pk}/").content.decode()
    assert "张建华" in body and f"/party/members/{party.member_a.pk}/" not in body


def test_the_list_shows_members_and_activities_of_the_year(region, party):
    orgs = {o.pk: o for o in selectors.org_list(region.user("leader"))}
    assert party.other.pk not in orgs
    assert orgs[party.group_a.pk].member_count == 2
    assert orgs[party.c1.pk].member_count == 1 and orgs[party.c1.pk].activity_count == 1
