"""Reads of the territory tree, always starting from what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.authz.policies import Action, roles_of, territory_policies
from zhili.core.errors import NotFound
from zhili.territory.models import Building, GridBoundary, Household, Node, NodeKind

CARD_BUILDINGS = 20
# Roles with a case workbench: they see the open cases of a grid on its card. Residents see only their
# own requests, and administrators, auditors and party secretaries no cases at all.
CASE_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.DISPATCHER,
        Role.HANDLER,
        Role.SUPERVISOR,
        Role.LEADER,
    }
)


def visible_nodes(user: Any) -> QuerySet[Node]:
    return territory_policies()["node"].visible(user).order_by("sort_key")


def visible_grids(user: Any) -> QuerySet[Node]:
    return visible_nodes(user).filter(kind=NodeKind.GRID).select_related("parent")


def get_grid_for_user(user: Any, pk: Any, action: Action = Action.VIEW) -> Node:
    """A grid the user may see (404 otherwise, also for nodes that are not grids)."""
    node = territory_policies()["node"].get_for_user(user, pk, action)
    if node.kind != NodeKind.GRID:
        raise NotFound()
    return node


def get_building_for_user(user: Any, pk: Any, action: Action = Action.VIEW) -> Building:
    building: Building = territory_policies()["building"].get_for_user(user, pk, action)
    return building


def get_household_for_user(user: Any, pk: Any, action: Action = Action.VIEW) -> Household:
    household: Household = territory_policies()["household"].get_for_user(user, pk, action)
    return household


def current_boundaries(grids: list[Node]) -> dict[int, GridBoundary]:
    return {
        b.grid_id: b for b in GridBoundary.objects.filter(is_current=True, grid__in=[g.pk for g in grids])
    }


def grids_feature_collection(user: Any) -> dict[str, Any]:
    """Current boundaries of the user's visible grids as GeoJSON (grids without one are left out)."""
    grids = list(visible_grids(user))
    boundaries = current_boundaries(grids)
    features = []
    for grid in grids:
        boundary = boundaries.get(grid.pk)
        if boundary is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": grid.pk,
                "properties": {
                    "id": grid.pk,
                    "name": grid.name,
                    "code": grid.code,
                    "community": grid.parent.name if grid.parent else "",
                    "version": boundary.version,
                },
                "geometry": boundary.geometry,
            }
        )
    return {"type": "FeatureCollection", "features": features}


@dataclass
class GridCard:
    grid: Node
    community: Node | None
    workers: list[User]
    building_count: int
    household_count: int
    buildings: list[Building]
    boundary: GridBoundary | None
    open_cases: int | None = None  # None: the user has no case workbench, the card does not say


def open_case_count(user: Any, grid: Node) -> int | None:
    """Open cases filed in or dispatched to the grid that the user may see; None for users without
    a case workbench."""
    if not roles_of(user) & CASE_ROLES:
        return None
    # Cases sit above territory: imported here so that territory never needs cases to load.
    from zhili.cases.policies import visible_cases
    from zhili.cases.states import OPEN_STATUSES

    return (
        visible_cases(user)
        .filter(Q(grid=grid) | Q(assigned_grid=grid), status__in=sorted(OPEN_STATUSES))
        .count()
    )


def grid_card(grid: Node, *, user: Any = None) -> GridCard:
    workers = [
        m.user
        for m in Membership.objects.filter(
            node=grid, role=Role.GRID_WORKER, active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("user__username")
    ]
    buildings = Building.objects.filter(grid=grid)
    return GridCard(
        grid=grid,
        community=grid.parent,
        workers=workers,
        building_count=buildings.count(),
        household_count=Household.objects.filter(building__grid=grid).count(),
        buildings=list(buildings.order_by("address")[:CARD_BUILDINGS]),
        boundary=GridBoundary.objects.filter(grid=grid, is_current=True).first(),
        open_cases=open_case_count(user, grid) if user is not None else None,
    )
