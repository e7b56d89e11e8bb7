"""List pages and endpoints read a fixed number of statements, however many rows they show."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhili.party.actions import (
    do_create_org,
    do_link_household,
    do_plan_activity,
    do_record_attendance,
    do_register_member,
    do_transition_activity,
)
from zhili.party.states import ActivityTransition

pytestmark = pytest.mark.django_db

URLS = [
    "/party/",
    "/party/coverage/",
    "/party/members/",
    "/party/activities/",
    "/party/hours/",
    "/api/v1/party/organisations/",
    "/api/v1/party/coverage",
    "/api/v1/party/activities/",
]


def _more(region, party, n, start=0):
    sec = region.user("party_secretary")
    for i in range(start, start + n):
        member = do_register_member(
            org=party.group_a,
            actor=sec,
            name=f"党员{i}",
            gender="F",
            joined_on=date(2000, 1, 1),
            mobile=f"1390000{i:04d}",
        )
        do_link_household(member, party.households_a[i % 3], actor=sec)
        activity = do_plan_activity(
            org=party.c1,
            actor=sec,
            kind="volunteer",
            title=f"活动{i}",
            date=timezone.localdate() - timedelta(days=2),
        )
        do_transition_activity(activity, ActivityTransition.HOLD, actor=sec)
        do_record_attendance(activity, entries={member.pk: 2}, actor=sec)


def _counts(client, urls):
    out = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200, url
        out[url] = len(ctx.captured_queries)
    return out


@pytest.mark.parametrize("persona", ["party_secretary", "grid_worker_a", "leader"])
def test_list_pages_do_not_read_per_row(client, login, region, party, persona):
    do_create_org(node=region.grid_b, kind="grid_group", name="B组", actor=region.user("party_secretary"))
    urls = [u for u in URLS if not (persona == "leader" and u == "/party/members/")]
    if persona != "leader":
        urls.append(f"/party/grids/{region.grid_a.pk}/contacts/")
    _more(region, party, 1)  # every list has a first row (an empty list may skip a read)
    login(persona)
    _counts(client, urls)  # warm caches (sessions, content types)
    small = _counts(client, urls)
    _more(region, party, 5, start=1)
    large = _counts(client, urls)
    assert large == small
