from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhili.core.testing import square
from zhili.territory.actions import do_create_node, do_draw_boundary

pytestmark = pytest.mark.django_db

API = "/api/v1/territory"


def codes(response):
    assert response.status_code == 200, response.content
    return sorted(row["code"] for row in response.json())


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("grid_worker_a", ["S-C1-A"]),
        ("community_staff", ["S-C1", "S-C1-A", "S-C1-B"]),
        ("leader", ["S", "S-C1", "S-C1-A", "S-C1-B", "S-C2", "S-C2-C"]),
        ("outsider", ["T-D1-D"]),
        ("auditor", []),
        ("resident", []),
        ("nobody", []),
    ],
)
def test_nodes_lists_the_visible_subtree(client, login, persona, expected):
    login(persona)
    assert codes(client.get(f"{API}/nodes")) == expected


def test_nodes_rows_carry_the_tree_shape(client, login, region):
    login("community_staff")
    rows = {row["code"]: row for row in client.get(f"{API}/nodes").json()}
    assert rows["S-C1-A"] == {
        "id": region.grid_a.pk,
        "kind": "grid",
        "name": "Grid A",
        "code": "S-C1-A",
        "parent_id": region.c1.pk,
        "depth": 2,
    }


@pytest.mark.parametrize("url", ["/nodes", "/grids.geojson", "/locate?lat=39.905&lng=116.305", "/grids/1"])
def test_anonymous_callers_get_401(client, region, url):
    assert client.get(API + url).status_code == 401


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("grid_worker_a", ["S-C1-A"]),
        ("community_staff", ["S-C1-A", "S-C1-B"]),
        ("leader", ["S-C1-A", "S-C1-B", "S-C2-C"]),
        ("outsider", ["T-D1-D"]),
        ("nobody", []),
    ],
)
def test_grids_geojson_has_the_current_boundaries_of_visible_grids(client, login, persona, expected):
    login(persona)
    data = client.get(f"{API}/grids.geojson").json()
    assert data["type"] == "FeatureCollection"
    assert sorted(f["properties"]["code"] for f in data["features"]) == expected


def test_grids_geojson_feature_properties_and_current_version(client, login, region):
    do_draw_boundary(region.grid_a, square(116.300, 39.900, 116.305, 39.910), actor=None)
    login("grid_worker_a")
    (feature,) = client.get(f"{API}/grids.geojson").json()["features"]
    assert feature["properties"] == {
        "id": region.grid_a.pk,
        "name": "Grid A",
        "code": "S-C1-A",
        "community": "Community 1",
        "version": 2,
    }
    assert feature["geometry"] == square(116.300, 39.900, 116.305, 39.910)


def test_list_endpoints_use_a_fixed_number_of_queries(client, login, region):
    login("leader")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = {url: count(f"{API}{url}") for url in ("/nodes", "/grids.geojson")}
    for i in range(5):
        grid = do_create_node(kind="grid", name=f"Extra {i}", code=f"S-C2-X{i}", parent=region.c2, actor=None)
        do_draw_boundary(grid, square(116.33 + i * 0.01, 39.9, 116.34 + i * 0.01, 39.91), actor=None)
    after = {url: count(f"{API}{url}") for url in ("/nodes", "/grids.geojson")}
    assert after == before
    assert len(client.get(f"{API}/grids.geojson").json()["features"]) == 8


@pytest.mark.parametrize(
    "persona,lat,lng,expected",
    [
        ("grid_worker_a", 39.905, 116.305, "S-C1-A"),
        ("grid_worker_a", 39.905, 116.315, None),  # in B: invisible to A's worker
        ("leader", 39.905, 116.315, "S-C1-B"),
        ("leader", 39.905, 116.405, None),  # grid D: another street
        ("outsider", 39.905, 116.305, None),
        ("outsider", 39.905, 116.405, "T-D1-D"),
        ("leader", 10.0, 10.0, None),  # nowhere
    ],
)
def test_locate_answers_only_with_visible_grids(client, login, persona, lat, lng, expected):
    login(persona)
    response = client.get(f"{API}/locate", {"lat": lat, "lng": lng})
    assert response.status_code == 200
    body = response.json()
    assert (body["code"] if body else None) == expected


def test_locate_rejects_coordinates_out_of_range(client, login):
    login("leader")
    assert client.get(f"{API}/locate", {"lat": 91, "lng": 116.3}).status_code == 422
    assert client.get(f"{API}/locate", {"lat": 39.9, "lng": "east"}).status_code == 422


def test_grid_card_for_a_visible_grid(client, login, region, homes):
    login("grid_worker_a")
    body = client.get(f"{API}/grids/{region.grid_a.pk}").json()
    assert body["name"] == "Grid A" and body["code"] == "S-C1-A"
    assert body["community"] == {"id": region.c1.pk, "name": "Community 1", "code": "S-C1"}
    assert body["workers"] == [{"id": region.user("grid_worker_a").pk, "name": "grid_worker_a"}]
    assert (body["building_count"], body["household_count"], body["boundary_version"]) == (1, 1, 1)
    assert body["buildings"] == [{"id": homes.building_a.pk, "name": "1号楼", "address": "幸福路1号"}]


@pytest.mark.parametrize(
    "persona,grid,status",
    [
        ("grid_worker_a", "grid_a", 200),
        ("grid_worker_a", "grid_b", 404),
        ("community_staff", "grid_b", 200),
        ("community_staff", "grid_c", 404),
        ("leader", "grid_c", 200),
        ("outsider", "grid_a", 404),
        ("outsider", "grid_d", 200),
        ("auditor", "grid_a", 404),
        ("leader", "c1", 404),  # visible, but not a grid
    ],
)
def test_grid_card_scope(client, login, region, persona, grid, status):
    login(persona)
    assert client.get(f"{API}/grids/{getattr(region, grid).pk}").status_code == status


def test_missing_and_invisible_grids_look_the_same(client, login, region):
    login("outsider")
    invisible = client.get(f"{API}/grids/{region.grid_a.pk}")
    missing = client.get(f"{API}/grids/987654")
    assert invisible.status_code == missing.status_code == 404
    assert invisible.json() == missing.json()


def test_openapi_schema_describes_the_territory_endpoints(client, login):
    login("leader")
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/nodes", "/grids.geojson", "/locate", "/grids/{grid_id}"):
        assert f"/api/v1/territory{path}" in paths
    params = {p["name"] for p in paths["/api/v1/territory/locate"]["get"]["parameters"]}
    assert params == {"lat", "lng"}
