"""An alert's area: chosen grids and/or a drawn polygon, resolved to grids, households and people.

A household lies in the area when its building's grid was chosen, or when the drawn polygon covers
the building's point; a building without a point counts when the polygon covers its whole grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

from zhili.core.errors import DomainError
from zhili.territory.geometry import lies_within, overlaps, parse_boundary, point
from zhili.territory.models import Building, GridBoundary, Household, Node, NodeKind

MAX_VERTICES = 500


def parse_polygon(geojson: Any) -> BaseGeometry:
    """A drawn GeoJSON Polygon → shapely, or DomainError (field ``polygon``)."""
    if isinstance(geojson, dict) and geojson.get("type") != "Polygon":
        raise DomainError("polygon_invalid", _("The drawn area must be one polygon."), field="polygon")
    try:
        ring = geojson["coordinates"][0]
        too_many = len(ring) > MAX_VERTICES
    except (TypeError, KeyError, IndexError):
        raise DomainError("polygon_invalid", _("The drawn area cannot be read."), field="polygon") from None
    if too_many:
        raise DomainError("polygon_invalid", _("The drawn area has too many points."), field="polygon")
    try:
        return parse_boundary(geojson)
    except DomainError as exc:
        raise DomainError("polygon_invalid", exc.message, field="polygon") from None


def grids_under(node: Node) -> QuerySet[Node]:
    return Node.objects.filter(kind=NodeKind.GRID, path__startswith=node.path)


def _shapes(grids: list[Node]) -> dict[int, BaseGeometry]:
    out: dict[int, BaseGeometry] = {}
    for boundary in GridBoundary.objects.filter(is_current=True, grid__in=[g.pk for g in grids]):
        try:
            out[boundary.grid_id] = parse_boundary(boundary.geometry)
        except DomainError:  # a broken stored boundary must not stop an alert
            continue
    return out


@dataclass
class Area:
    """The resolved area of an alert under its node."""

    chosen: list[Node]  # grids picked by name
    polygon: BaseGeometry | None
    touched: list[Node]  # every grid with part of the area: chosen ∪ grids the polygon overlaps
    covered: list[Node]  # grids wholly inside the area: chosen ∪ grids inside the polygon

    @property
    def touched_ids(self) -> list[int]:
        return [g.pk for g in self.touched]

    def households(self) -> QuerySet[Household]:
        """The households of the area (one query for the grid part, a point test for the polygon)."""
        covered = [g.pk for g in self.covered]
        ids: set[int] = set(
            Household.objects.filter(building__grid_id__in=covered).values_list("pk", flat=True)
        )
        partial = [g.pk for g in self.touched if g.pk not in set(covered)]
        if self.polygon is not None and partial:
            shape = prep(self.polygon)
            inside = [
                pk
                for pk, lat, lng in Building.objects.filter(
                    grid_id__in=partial, lat__isnull=False, lng__isnull=False
                )
                .values_list("pk", "lat", "lng")
                .iterator(chunk_size=2000)
                if lat is not None and lng is not None and shape.covers(point(lat, lng))
            ]
            ids |= set(Household.objects.filter(building_id__in=inside).values_list("pk", flat=True))
        return Household.objects.filter(pk__in=ids)


def resolve_area(node: Node, grids: list[Node], polygon: dict[str, Any] | None) -> Area:
    """Validate the area against ``node``'s territory and resolve it. DomainError when it is empty."""
    under = {g.pk: g for g in grids_under(node)}
    for grid in grids:
        if grid.pk not in under:
            raise DomainError(
                "grid_outside", _("A chosen grid lies outside the alert's territory."), field="grids"
            )
    shape = parse_polygon(polygon) if polygon else None
    touched = {g.pk: g for g in grids}
    covered = {g.pk: g for g in grids}
    if shape is not None:
        shapes = _shapes(list(under.values()))
        hit = False
        for pk, boundary in shapes.items():
            if overlaps(shape, boundary):
                hit = True
                touched.setdefault(pk, under[pk])
                if lies_within(boundary, shape):
                    covered.setdefault(pk, under[pk])
        if not hit:
            raise DomainError(
                "polygon_outside",
                _("The drawn area does not overlap any grid of the alert's territory."),
                field="polygon",
            )
    if not touched:
        raise DomainError("area_required", _("Choose grids or draw the area on the map."), field="grids")
    order = lambda nodes: sorted(nodes.values(), key=lambda n: n.sort_key)  # noqa: E731
    return Area(chosen=list(grids), polygon=shape, touched=order(touched), covered=order(covered))


def alert_area(alert: Any) -> Area:
    return resolve_area(alert.node, list(alert.grids.all()), alert.polygon)
