"""Writes to the territory tree. Every write is one transaction with one audit row.

Access checks are the caller's job (views and API endpoints load objects through
``territory_policies()``); these functions only refuse what is wrong whoever asks.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError
from zhili.territory.addresses import normalise_address
from zhili.territory.geometry import lies_within, overlaps, parse_boundary, point, to_geojson
from zhili.territory.models import (
    CHILD_KIND,
    AreaBoundary,
    BoundaryStamp,
    Building,
    GridBoundary,
    Household,
    Node,
    NodeKind,
    VersionedBoundary,
)

B = TypeVar("B", bound=VersionedBoundary)


def do_create_node(*, kind: NodeKind, name: str, code: str, parent: Node | None, actor: Any) -> Node:
    if parent is None and kind not in (NodeKind.DISTRICT, NodeKind.STREET):
        raise DomainError("node_needs_parent", _("Only a district or a street can be a root node."))
    if parent is not None and CHILD_KIND.get(NodeKind(parent.kind)) != kind:
        raise DomainError(
            "node_kind_mismatch",
            _("A %(kind)s cannot stand under a %(parent)s.")
            % {"kind": NodeKind(kind).label, "parent": NodeKind(parent.kind).label},
        )
    with transaction.atomic():
        node = Node.objects.create(kind=kind, name=name, code=code, parent=parent)
        node.path = f"{parent.path if parent else '/'}{node.pk}/"
        node.depth = parent.depth + 1 if parent else 0
        node.save(update_fields=["path", "depth"])
        record_audit(AuditAction.NODE_CREATED, actor=actor, target=node, node=node, details={"name": name})
    return node


def do_rename_node(node: Node, name: str, *, actor: Any) -> Node:
    name = name.strip()
    if not name:
        raise DomainError("name_required", _("A name is required."))
    if name == node.name:
        return node
    with transaction.atomic():
        taken = Node.objects.filter(parent_id=node.parent_id, name=name).exclude(pk=node.pk).exists()
        if taken:
            raise DomainError(
                "node_name_taken",
                _("Another node under the same parent is already called %(name)s.") % {"name": name},
            )
        old = node.name
        node.name = name
        node.save(update_fields=["name"])
        record_audit(
            AuditAction.NODE_RENAMED, actor=actor, target=node, node=node, details={"from": old, "to": name}
        )
    return node


# Boundaries ---------------------------------------------------------------------------------------


def touch_boundary_stamp(now: datetime) -> None:
    """Tell every process that its spatial index is stale (see BoundaryStamp). Inside the write's
    transaction, so readers see the new token exactly when they can see the new boundaries."""
    token = uuid.uuid4().hex
    if not BoundaryStamp.objects.filter(pk=1).update(token=token, changed_at=now):
        BoundaryStamp.objects.create(pk=1, token=token, changed_at=now)


def sibling_overlap(grid: Node, geom: BaseGeometry) -> Node | None:
    """The first sibling grid (same community) whose current boundary overlaps ``geom``."""
    siblings = (
        GridBoundary.objects.filter(grid__parent_id=grid.parent_id, is_current=True)
        .exclude(grid_id=grid.pk)
        .select_related("grid")
        .order_by("grid_id")
    )
    for boundary in siblings:
        if overlaps(geom, shape(boundary.geometry)):
            return boundary.grid
    return None


def _next_version(
    model: type[B], owner: dict[str, Node], geom: BaseGeometry, *, note: str, now: datetime
) -> tuple[B, B | None]:
    """Close the owner's current version (if any) and add the next: (new, previous)."""
    rows = model._default_manager
    previous = rows.select_for_update().filter(**owner, is_current=True).first()
    if previous is not None:
        previous.valid_to = now
        previous.is_current = False
        previous.save(update_fields=["valid_to", "is_current"])
    last = rows.filter(**owner).order_by("-version").values_list("version", flat=True).first()
    boundary = rows.create(
        **owner,
        version=(last or 0) + 1,
        geometry=to_geojson(geom),
        valid_from=now,
        valid_to=None,
        is_current=True,
        note=note[:200],
    )
    return boundary, previous


def write_boundary(grid: Node, geom: BaseGeometry, *, actor: Any, note: str, now: datetime) -> GridBoundary:
    """Close the current version and add the next one. Callers validate first and hold the
    transaction; the importer uses this directly because it checks a whole file's final layout,
    where redrawing grids one at a time could overlap a sibling's old boundary in between."""
    boundary, previous = _next_version(GridBoundary, {"grid": grid}, geom, note=note, now=now)
    touch_boundary_stamp(now)
    record_audit(
        AuditAction.BOUNDARY_DRAWN,
        actor=actor,
        target=boundary,
        node=grid,
        details={
            "version": boundary.version,
            "previous_version": previous.version if previous else None,
            "note": note[:200],
        },
    )
    return boundary


def do_draw_boundary(grid: Node, geometry: dict[str, Any], *, actor: Any, note: str = "") -> GridBoundary:
    """Give ``grid`` a new boundary version; the previous one stays as history (valid_to = now).

    Refused: not a grid, invalid or non-polygon geometry, the same shape as the current version,
    or an overlap with the current boundary of a sibling grid of the same community.
    """
    if grid.kind != NodeKind.GRID:
        raise DomainError("not_a_grid", _("Only grids have boundaries."))
    geom = parse_boundary(geometry)
    with transaction.atomic():
        # Lock the community row: redraws of sibling grids queue here, so two of them cannot both
        # pass the overlap check against each other's old boundary.
        lock_ids = [pk for pk in (grid.parent_id, grid.pk) if pk is not None]
        list(Node.objects.select_for_update().filter(pk__in=lock_ids).order_by("pk"))
        current = GridBoundary.objects.filter(grid=grid, is_current=True).first()
        if current is not None and shape(current.geometry).equals(geom):
            raise DomainError("boundary_unchanged", _("The boundary is the same as the current version."))
        clash = sibling_overlap(grid, geom)
        if clash is not None:
            raise DomainError(
                "boundary_overlaps_sibling",
                _("The boundary overlaps grid %(name)s (%(code)s) of the same community.")
                % {"name": clash.name, "code": clash.code},
            )
        _refuse_outside_parent(grid, geom)
        return write_boundary(grid, geom, actor=actor, note=note, now=timezone.now())


# Street and community polygons (AreaBoundary) -----------------------------------------------------

AREA_KINDS = (NodeKind.STREET, NodeKind.COMMUNITY)


def current_area(node_id: int | None) -> BaseGeometry | None:
    """The current stored polygon of a street or community, or None (nodes need not have one)."""
    if node_id is None:
        return None
    current = AreaBoundary.objects.filter(node_id=node_id, is_current=True).first()
    return shape(current.geometry) if current is not None else None


def _refuse_outside_parent(node: Node, geom: BaseGeometry) -> None:
    """A grid must lie within its community's stored polygon, a community within its street's."""
    parent = node.parent
    if parent is None or parent.kind not in AREA_KINDS:
        return
    outer = current_area(parent.pk)
    if outer is not None and not lies_within(geom, outer):
        names = {"name": parent.name, "code": parent.code}
        if parent.kind == NodeKind.COMMUNITY:
            message = _("The boundary does not lie within the boundary of community %(name)s (%(code)s).")
        else:
            message = _("The boundary does not lie within the boundary of street %(name)s (%(code)s).")
        raise DomainError("boundary_outside_parent", message % names)


def write_area_boundary(
    node: Node, geom: BaseGeometry, *, actor: Any, note: str, now: datetime
) -> AreaBoundary:
    """Close the node's current polygon and add the next version (the importer's and
    do_draw_area_boundary's writer; callers validate first and hold the transaction).

    The locate index reads grid boundaries only, so the boundary stamp is left alone."""
    boundary, previous = _next_version(AreaBoundary, {"node": node}, geom, note=note, now=now)
    record_audit(
        AuditAction.BOUNDARY_DRAWN,
        actor=actor,
        target=boundary,
        node=node,
        details={
            "kind": node.kind,
            "version": boundary.version,
            "previous_version": previous.version if previous else None,
            "note": note[:200],
        },
    )
    return boundary


def do_draw_area_boundary(
    node: Node, geometry: dict[str, Any], *, actor: Any, note: str = ""
) -> AreaBoundary:
    """Give a street or a community a new polygon version; the previous one stays as history.

    Refused: another kind of node, invalid geometry, the same shape as the current version, a
    polygon outside the parent street's current one, or one that leaves out part of a child's
    current boundary (a community's grids, a street's communities)."""
    if node.kind not in AREA_KINDS:
        raise DomainError("not_an_area", _("Only streets and communities have area boundaries."))
    geom = parse_boundary(geometry)
    with transaction.atomic():
        lock_ids = [pk for pk in (node.parent_id, node.pk) if pk is not None]
        list(Node.objects.select_for_update().filter(pk__in=lock_ids).order_by("pk"))
        current = current_area(node.pk)
        if current is not None and current.equals(geom):
            raise DomainError("boundary_unchanged", _("The boundary is the same as the current version."))
        _refuse_outside_parent(node, geom)
        children: list[tuple[Node, dict[str, Any]]]
        if node.kind == NodeKind.COMMUNITY:
            children = [
                (b.grid, b.geometry)
                for b in GridBoundary.objects.filter(grid__parent=node, is_current=True)
                .select_related("grid")
                .order_by("grid_id")
            ]
        else:
            children = [
                (b.node, b.geometry)
                for b in AreaBoundary.objects.filter(node__parent=node, is_current=True)
                .select_related("node")
                .order_by("node_id")
            ]
        for child, child_geometry in children:
            if not lies_within(shape(child_geometry), geom):
                names = {"name": child.name, "code": child.code}
                if child.kind == NodeKind.GRID:
                    message = _("Grid %(name)s (%(code)s) does not lie within this boundary.")
                else:
                    message = _("Community %(name)s (%(code)s) does not lie within this boundary.")
                raise DomainError("boundary_leaves_out_child", message % names)
        return write_area_boundary(node, geom, actor=actor, note=note, now=timezone.now())


# Buildings and households -------------------------------------------------------------------------


def do_create_building(
    grid: Node,
    name: str,
    address: str,
    lat: float | None,
    lng: float | None,
    *,
    actor: Any,
    floors: int | None = None,
) -> Building:
    """Register a building in ``grid``, remembering the boundary version it was placed under.

    A building with coordinates must lie inside the grid's current boundary (when it has one):
    a building filed in the wrong grid sends every later case to the wrong grid worker.
    """
    if grid.kind != NodeKind.GRID:
        raise DomainError("not_a_grid", _("Buildings belong to grids."))
    name, address = (name or "").strip(), (address or "").strip()
    if not address:
        raise DomainError("address_required", _("An address is required."))
    if (lat is None) != (lng is None):
        raise DomainError("coordinates_incomplete", _("Give both latitude and longitude, or neither."))
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainError("coordinates_invalid", _("Latitude or longitude is out of range."))
    with transaction.atomic():
        boundary = GridBoundary.objects.filter(grid=grid, is_current=True).first()
        outside = (
            lat is not None
            and lng is not None
            and boundary is not None
            and not lies_within(point(lat, lng), shape(boundary.geometry))
        )
        if outside:
            raise DomainError(
                "building_outside_grid",
                _("The building's location lies outside grid %(grid)s.") % {"grid": grid.name},
            )
        building = Building.objects.create(
            grid=grid,
            boundary=boundary,
            name=name or address,
            address=address,
            address_key=normalise_address(address),
            lat=lat,
            lng=lng,
            floors=floors,
        )
        record_audit(
            AuditAction.BUILDING_CREATED,
            actor=actor,
            target=building,
            node=grid,
            details={"address": address, "boundary_version": boundary.version if boundary else None},
        )
    return building


def do_create_household(building: Building, number: str, *, actor: Any) -> Household:
    number = (number or "").strip()
    if not number:
        raise DomainError("number_required", _("A unit number is required."))
    duplicate = DomainError(
        "household_exists",
        _("Unit %(number)s is already registered in this building.") % {"number": number},
    )
    if Household.objects.filter(building=building, number=number).exists():
        raise duplicate
    try:
        with transaction.atomic():
            household = Household.objects.create(building=building, number=number)
            record_audit(
                AuditAction.HOUSEHOLD_CREATED,
                actor=actor,
                target=household,
                node=building.grid,
                details={"building_id": building.pk, "number": number},
            )
    except IntegrityError:
        # Two people registering the same unit at once: the unique constraint decides.
        raise duplicate from None
    return household
