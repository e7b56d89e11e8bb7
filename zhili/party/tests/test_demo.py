"""The demo: a party tree over the demo street with gaps in coverage, members and activities."""

from __future__ import annotations

import pytest

from zhili.accounts.models import User
from zhili.demo.actions import do_load_demo_region
from zhili.party import selectors
from zhili.party.demo import GRIDS_WITHOUT_GROUP, load_demo
from zhili.party.models import Activity, Attendance, ContactHousehold, PartyMember, PartyOrg, VolunteerSignup
from zhili.party.states import ActivityStatus

pytestmark = pytest.mark.django_db


def test_the_demo_builds_a_party_tree_with_gaps_members_and_activities(client):
    do_load_demo_region(5, scale=0.15)
    load_demo(5)
    shuji = User.objects.get(username="shuji")
    street = PartyOrg.objects.get(kind="working_committee")
    branches = PartyOrg.objects.filter(kind="general_branch")
    assert branches.exists() and all(b.parent_id == street.pk for b in branches)
    groups = PartyOrg.objects.filter(kind="grid_group").select_related("parent")
    assert groups.exists() and all(g.parent.kind == "general_branch" for g in groups)
    data = selectors.coverage(shuji)
    assert data.missing == GRIDS_WITHOUT_GROUP and data.covered == groups.count()
    assert [r.org is None for r in data.rows[:GRIDS_WITHOUT_GROUP]] == [True] * GRIDS_WITHOUT_GROUP
    for branch in branches:
        count = PartyMember.objects.filter(org__node__path__startswith=branch.node.path).count()
        assert 6 <= count <= 15
    assert PartyMember.objects.filter(person__isnull=False).exists()
    assert ContactHousehold.objects.exists()
    assert Activity.objects.filter(status=ActivityStatus.HELD).count() >= branches.count()
    assert Activity.objects.filter(status=ActivityStatus.PLANNED).exists()
    assert Attendance.objects.filter(hours__gt=0).exists()
    assert sum(r["hours"] for r in selectors.hours_by_node(shuji, selectors.this_year())) > 0
    client.force_login(shuji)
    for url in ("/party/", "/party/coverage/", "/party/members/", "/party/activities/", "/party/hours/"):
        assert client.get(url).status_code == 200
    before = (
        PartyOrg.objects.count(),
        PartyMember.objects.count(),
        Activity.objects.count(),
        VolunteerSignup.objects.count(),
        User.objects.count(),
    )
    load_demo(5)
    assert (
        PartyOrg.objects.count(),
        PartyMember.objects.count(),
        Activity.objects.count(),
        VolunteerSignup.objects.count(),
        User.objects.count(),
    ) == before


def test_the_demo_resident_sees_open_volunteer_services_of_chaoyang(client):
    do_load_demo_region(5, scale=0.15)
    load_demo(5)
    jumin = User.objects.get(username="jumin")
    opened = Activity.objects.filter(open_to_residents=True).select_related("org__node")
    assert opened.count() == 2
    community = opened[0].org.node
    assert community.kind == "community" and community.name == "朝阳社区"
    assert all(a.kind == "volunteer" and a.status == ActivityStatus.PLANNED for a in opened)
    assert VolunteerSignup.objects.filter(activity__in=opened).count() >= 4
    assert VolunteerSignup.objects.filter(user=jumin).count() == 1
    for activity in opened:
        taken = VolunteerSignup.objects.filter(activity=activity).count()
        assert activity.places is None or taken < activity.places
    client.force_login(jumin)
    page = client.get("/party/volunteer/").content.decode()
    assert all(a.title in page for a in opened)
    assert "已报名" in page and "我要报名" in page
    sqgz = next(
        u
        for u in User.objects.filter(username__startswith="sqgz_")
        if u.memberships.filter(node=community).exists()
    )
    client.force_login(sqgz)
    detail = client.get(f"/party/activities/{opened[0].pk}/").content.decode()
    assert 'id="signups"' in detail


def test_open_services_are_added_to_a_demo_loaded_before_them():
    do_load_demo_region(5, scale=0.15)
    load_demo(5)
    VolunteerSignup.objects.all().delete()
    Activity.objects.filter(open_to_residents=True).delete()
    load_demo(5)
    assert Activity.objects.filter(open_to_residents=True).count() == 2
