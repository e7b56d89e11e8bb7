"""/api/v1/territory/: the tree, grid boundaries, point lookup and grid cards, scoped by authz."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from zhili.authz.policies import Action, territory_policies
from zhili.territory import selectors
from zhili.territory.locate import locate as locate_point

router = Router(tags=["territory"])


class NodeOut(Schema):
    id: int
    kind: str
    name: str
    code: str
    parent_id: int | None
    depth: int


class GridRef(Schema):
    id: int
    name: str
    code: str


class PersonRef(Schema):
    id: int
    name: str


class BuildingRef(Schema):
    id: int
    name: str
    address: str


class GridCardOut(Schema):
    id: int
    name: str
    code: str
    community: GridRef | None
    boundary_version: int | None
    workers: list[PersonRef]
    building_count: int
    household_count: int
    buildings: list[BuildingRef]


class FeatureCollectionOut(Schema):
    type: str
    features: list[dict[str, Any]]


class LocateQuery(Schema):
    lat: float = Field(..., ge=-90, le=90, description="latitude (WGS 84 degrees)")
    lng: float = Field(..., ge=-180, le=180, description="longitude (WGS 84 degrees)")


@router.get(
    "/nodes",
    response=list[NodeOut],
    url_name="territory_nodes",
    summary="Territory nodes the user may see (subtree list)",
)
def list_nodes(request: HttpRequest) -> Any:
    return list(selectors.visible_nodes(request.user))


@router.get(
    "/grids.geojson",
    url_name="territory_grids_geojson",
    response=FeatureCollectionOut,
    summary="Current boundaries of the visible grids (GeoJSON FeatureCollection)",
)
def grids_geojson(request: HttpRequest) -> Any:
    return selectors.grids_feature_collection(request.user)


@router.get(
    "/locate",
    response=GridRef | None,
    url_name="territory_locate",
    summary="The visible grid covering a point, or null",
)
def locate(request: HttpRequest, query: Query[LocateQuery]) -> Any:
    grid = locate_point(query.lat, query.lng)
    if grid is None or not territory_policies()["node"].can(request.user, Action.VIEW, grid):
        return None
    return grid


@router.get(
    "/grids/{grid_id}",
    response=GridCardOut,
    url_name="territory_grid",
    summary="Grid card: community, workers, buildings",
)
def grid_detail(request: HttpRequest, grid_id: int) -> Any:
    card = selectors.grid_card(selectors.get_grid_for_user(request.user, grid_id))
    return {
        "id": card.grid.pk,
        "name": card.grid.name,
        "code": card.grid.code,
        "community": card.community,
        "boundary_version": card.boundary.version if card.boundary else None,
        "workers": [{"id": u.pk, "name": str(u)} for u in card.workers],
        "building_count": card.building_count,
        "household_count": card.household_count,
        "buildings": card.buildings,
    }
