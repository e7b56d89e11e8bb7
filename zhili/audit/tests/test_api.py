"""GET /api/v1/audit/events: the same scope and filters as the auditor's page."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest

from zhili.accounts.roles import Role
from zhili.audit.models import AuditAction
from zhili.audit.tests.helpers import record
from zhili.core.testing import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit/events"


@pytest.fixture
def marked(region):
    return {
        "grid_a": record(AuditAction.PERSON_CREATED, node=region.grid_a, details={"mark": "in-grid-a"}),
        "grid_c": record(AuditAction.PERSON_CREATED, node=region.grid_c, details={"mark": "in-grid-c"}),
        "grid_d": record(AuditAction.PERSON_CREATED, node=region.grid_d, details={"mark": "in-grid-d"}),
        "system": record(AuditAction.LOGIN_FAILED, details={"mark": "system-wide"}),
    }


def _marks(response) -> set[str]:
    return {item["details"].get("mark") for item in response.json()["items"]} - {None}


def test_anonymous_gets_401(client):
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize("persona", ["leader", "admin", "outsider", "grid_worker_a", "nobody"])
def test_users_without_the_auditor_role_get_403(login, client, persona):
    login(persona)
    response = client.get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_root_auditor_gets_their_street_and_system_events(login, client, marked):
    login("auditor")
    response = client.get(URL)
    assert response.status_code == 200
    assert _marks(response) == {"in-grid-a", "in-grid-c", "system-wide"}


def test_community_auditor_gets_their_subtree_only(client, region, marked):
    client.force_login(make_user("c1_auditor", role=Role.AUDITOR, node=region.c1))
    assert _marks(client.get(URL)) == {"in-grid-a"}
    # A node outside the subtree is as unknown as a missing one.
    assert client.get(URL, {"node": region.grid_d.pk}).status_code == 404
    assert client.get(URL, {"node": 999999}).status_code == 404


def test_filters_node_action_actor_and_time(login, client, marked, region):
    user = login("auditor")
    assert _marks(client.get(URL, {"node": region.c2.pk})) == {"in-grid-c"}
    assert _marks(client.get(URL, {"action": "auth.login_failed"})) == {"system-wide"}
    with mock.patch("zhili.audit.actions.timezone.now", return_value=datetime(2026, 3, 1, 4, 30, tzinfo=UTC)):
        record(actor=user, details={"mark": "by-auditor"})
    assert _marks(client.get(URL, {"actor": "audit"})) == {"by-auditor"}
    window = {"from": "2026-03-01T12:00:00+08:00", "to": "2026-03-01T13:00:00+08:00"}
    assert _marks(client.get(URL, window)) == {"by-auditor"}
    assert _marks(client.get(URL, {"from": "2026-03-01T13:00:00+08:00", "action": "auth.login"})) == set()


def test_unknown_action_is_a_validation_error(login, client):
    login("auditor")
    assert client.get(URL, {"action": "no.such"}).status_code == 422


def test_items_carry_labels_node_names_and_hashes_newest_first(login, client, marked):
    login("auditor")
    data = client.get(URL).json()
    assert data["count"] == len(data["items"]) or data["count"] > len(data["items"])
    ids = [item["id"] for item in data["items"]]
    assert ids == sorted(ids, reverse=True)
    item = next(i for i in data["items"] if i["id"] == marked["grid_a"].pk)
    assert item["node_name"] == "Grid A"
    assert item["action"] == "residents.person_created"
    assert item["action_label"]
    assert item["hash"] == marked["grid_a"].hash
    assert item["prev_hash"] == marked["grid_a"].prev_hash


def test_pages_of_fifty(login, client):
    login("auditor")
    for i in range(60):
        record(details={"i": i})
    data = client.get(URL).json()
    assert len(data["items"]) == 50
    assert data["count"] >= 60
    rest = client.get(URL, {"offset": 50}).json()["items"]
    assert {i["id"] for i in rest}.isdisjoint(i["id"] for i in data["items"])


def test_list_queries_do_not_grow_with_the_rows(login, client, region, django_assert_max_num_queries):
    login("auditor")
    for i in range(60):
        record(node=(region.grid_a, region.grid_b)[i % 2], details={"i": i})
    # session, user, memberships, count, page, node names
    with django_assert_max_num_queries(6):
        response = client.get(URL)
    assert len(response.json()["items"]) == 50


def test_the_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/audit/events" in schema["paths"]
    names = {p["name"] for p in schema["paths"]["/api/v1/audit/events"]["get"]["parameters"]}
    assert {"actor", "action", "node", "from", "to"} <= names
