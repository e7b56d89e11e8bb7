"""The cockpit's grassroots overview: party groups in the grids, proactive services, finances
made public on time, for the cockpit's node; links only for roles that may open the pages."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from zhili.analytics.governance import governance
from zhili.disclosure.actions import do_draft_publication, do_publish_publication
from zhili.disclosure.selectors import last_finished_quarter
from zhili.party.actions import do_create_org
from zhili.party.models import OrgKind
from zhili.services.actions import do_generate_outreach, do_save_service
from zhili.services.tests.conftest import make_person
from zhili.territory.actions import do_create_building, do_create_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(region):
    secretary = region.user("party_secretary")
    do_create_org(node=region.grid_a, kind=OrgKind.GRID_GROUP, name="A 党小组", actor=secretary)
    year, quarter = last_finished_quarter()
    draft = do_draft_publication(
        actor=region.user("community_staff"),
        node=region.c1,
        kind="finance",
        title="财务收支公开",
        body="收支如下。",
        period_year=year,
        period_quarter=quarter,
        items=[{"label": "保洁服务费", "amount": "100.00"}],
        audience="public",
    )
    do_publish_publication(draft, actor=region.user("community_staff"))
    building = do_create_building(region.grid_a, "1", "测试路1号", 39.905, 116.305, actor=None)
    for number, born in (("101", date(1930, 1, 1)), ("102", date(1935, 1, 1)), ("103", date(1990, 1, 1))):
        make_person(do_create_household(building, number, actor=None), f"居民{number}", born, [])
    do_save_service(None, actor=region.user("admin"), node=region.street, name="高龄津贴", min_age=80)
    do_generate_outreach()
    return region


def test_the_overview_counts_under_the_cockpits_node(filled):
    region = filled
    street = governance(region.user("leader"), region.street)
    assert (street.grids, street.party_groups, street.party_missing) == (3, 1, 2)
    assert (street.outreach_open, street.outreach_overdue, street.outreach_coverage) == (2, 0, 0)
    assert street.finance_communities == 2 and street.finance_late == ["Community 2"]
    assert street.finance_on_time == 1
    community_2 = governance(region.user("leader"), region.c2)
    assert (community_2.grids, community_2.party_groups, community_2.outreach_open) == (1, 0, 0)
    assert community_2.outreach_coverage is None and community_2.finance_late == ["Community 2"]
    grid = governance(region.user("leader"), region.grid_a)
    assert grid.finance_communities == 0 and grid.party_missing == 0


def test_the_cockpit_shows_the_overview_with_the_links_each_role_may_open(client, login, filled):
    login("leader")
    html = client.get(reverse("analytics:cockpit")).content.decode()
    assert 'id="tile-governance"' in html
    assert "1 / 3" in html and "Community 2" in html
    for page in ("party:coverage", "services:overview", "disclosure:list"):
        assert reverse(page) in html
    login("supervisor")
    html = client.get(reverse("analytics:cockpit")).content.decode()
    assert 'id="tile-governance"' in html
    assert reverse("party:coverage") not in html and reverse("services:overview") not in html
    assert reverse("disclosure:list") in html
