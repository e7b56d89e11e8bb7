from __future__ import annotations

import pytest

from zhili.accounts.models import Membership
from zhili.accounts.roles import Role

pytestmark = pytest.mark.django_db

ME = "/api/v1/accounts/me"


def test_me_needs_a_login(client, region):
    assert client.get(ME).status_code == 401


def test_me_gives_the_user_and_their_active_posts(client, login, region):
    worker = login("grid_worker_a")
    Membership.objects.create(user=worker, role=Role.SUPERVISOR, node=region.c1, active=False)
    response = client.get(ME)
    assert response.status_code == 200
    membership = Membership.objects.get(user=worker, active=True)
    assert response.json() == {
        "username": "grid_worker_a",
        "display_name": "grid_worker_a",
        "department": None,
        "memberships": [
            {
                "id": membership.pk,
                "role": "grid_worker",
                "role_label": "网格员",
                "node_id": region.grid_a.pk,
                "node_code": "S-C1-A",
                "node_name": "Grid A",
                "node_kind": "grid",
            }
        ],
    }


def test_me_shows_the_department_of_a_handler(client, login, region):
    login("handler")
    body = client.get(ME).json()
    assert body["department"] == "Urban management"
    assert [m["role"] for m in body["memberships"]] == ["handler"]


def test_me_of_a_user_without_posts_is_empty_not_an_error(client, login, region):
    login("nobody")
    assert client.get(ME).json()["memberships"] == []


def test_me_is_in_the_openapi_schema(client, region):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/accounts/me" in paths
