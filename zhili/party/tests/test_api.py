"""The REST twins under /api/v1/party/: scoped lists, coverage, activities and attendance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhili.party.models import Attendance
from zhili.party.states import ActivityStatus

pytestmark = pytest.mark.django_db

API = "/api/v1/party"


def test_organisations_are_scoped(client, login, region, party):
    login("party_secretary")
    orgs = {o["name"]: o for o in client.get(f"{API}/organisations/").json()}
    assert set(orgs) == {"测试街道党工委", "第一社区党总支", "A网格党小组"}
    assert orgs["A网格党小组"]["members"] == 2 and orgs["A网格党小组"]["parent"] == party.c1.pk
    assert orgs["第一社区党总支"]["activities_this_year"] == 1
    login("grid_worker_b")  # sees the organisations above its grid, not grid A's group
    assert {o["name"] for o in client.get(f"{API}/organisations/").json()} == {
        "测试街道党工委",
        "第一社区党总支",
    }
    login("outsider")
    assert {o["name"] for o in client.get(f"{API}/organisations/").json()} == {"外街道党工委"}
    login("resident")
    assert client.get(f"{API}/organisations/").status_code == 404


def test_coverage_summary(client, login, region, party):
    login("leader")
    data = client.get(f"{API}/coverage").json()
    assert (data["grids"], data["covered"], data["missing"]) == (3, 1, 2)
    assert [r["grid"] for r in data["rows"]] == ["S-C1-B", "S-C2-C", "S-C1-A"]
    assert data["rows"][2]["members"] == 2
    login("nobody")
    assert client.get(f"{API}/coverage").status_code == 404


def test_activities_and_attendance(client, login, region, party):
    login("grid_worker_a")
    listed = client.get(f"{API}/activities/?status=held").json()
    assert [a["id"] for a in listed] == [party.held.pk]
    url = f"{API}/activities/{party.held.pk}/attendance"
    body = {"entries": [{"member": party.member_a.pk, "hours": 2.5}]}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"activity": party.held.pk, "present": 1}
    assert Attendance.objects.get().hours == Decimal("2.5")
    refused = client.post(
        url, {"entries": [{"member": party.member_c1.pk, "hours": 1}]}, content_type="application/json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "member_invalid"
    too_many = client.post(
        url, {"entries": [{"member": party.member_a.pk, "hours": 30}]}, content_type="application/json"
    )
    assert too_many.status_code == 422
    assert client.get(f"{API}/activities/?status=held").json()[0]["hours"] == 2.5
    # Grid workers do not hold or cancel.
    assert client.post(f"{API}/activities/{party.planned.pk}/transitions/cancel").status_code == 403
    login("leader")
    assert client.post(url, body, content_type="application/json").status_code == 403
    login("outsider")
    assert client.post(url, body, content_type="application/json").status_code == 404
    assert client.get(f"{API}/activities/").json() == []


def test_transitions(client, login, region, party):
    login("community_staff")
    url = f"{API}/activities/{party.planned.pk}/transitions"
    assert client.post(f"{url}/hold").json()["code"] == "not_yet"
    assert client.post(f"{url}/bogus").status_code == 404
    response = client.post(f"{url}/cancel")
    assert response.status_code == 200 and response.json()["status"] == ActivityStatus.CANCELLED
    assert client.post(f"{url}/cancel").status_code == 409
    login("outsider")
    assert client.post(f"{API}/activities/{party.held.pk}/transitions/cancel").status_code == 404
