"""Grid boundaries as shapely geometries: parsing, validation and the tolerances used everywhere.

Coordinates are GeoJSON order, (longitude, latitude) in degrees (WGS 84 / GCJ-02 as delivered;
zhili never reprojects). Areas are therefore in square degrees: only compared with a tiny epsilon,
never shown to anyone.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from shapely import Point
from shapely.errors import GeometryTypeError, ShapelyError
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from zhili.core.errors import DomainError

# Two grids sharing an edge intersect with zero area; floating-point noise from a redraw can leave
# slivers of ~1e-20. Anything above this (about 0.01 m² at Beijing's latitude) is a real overlap.
OVERLAP_AREA_EPSILON = 1e-12
# How far (in degrees, ~0.1 mm) a grid may poke out of its community's polygon and still be "within".
WITHIN_TOLERANCE = 1e-9

BOUNDARY_TYPES = ("Polygon", "MultiPolygon")


def parse_boundary(geojson: Any) -> BaseGeometry:
    """A GeoJSON Polygon/MultiPolygon dict → a valid shapely geometry, or DomainError saying why not."""
    if not isinstance(geojson, dict) or "type" not in geojson:
        raise DomainError("invalid_geometry", _("The boundary must be a GeoJSON geometry object."))
    if geojson.get("type") not in BOUNDARY_TYPES:
        raise DomainError(
            "geometry_not_polygon",
            _("A grid boundary must be a Polygon or MultiPolygon, not %(type)s.")
            % {"type": str(geojson.get("type"))[:40]},
        )
    try:
        geom = shape(geojson)
    except (GeometryTypeError, ShapelyError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise DomainError("invalid_geometry", _("The boundary coordinates cannot be read.")) from None
    if geom.is_empty:
        raise DomainError("invalid_geometry", _("The boundary is empty."))
    if not geom.is_valid:
        raise DomainError(
            "invalid_geometry",
            _("The boundary is not a valid polygon: %(reason)s") % {"reason": explain_validity(geom)},
        )
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    if min_lng < -180 or max_lng > 180 or min_lat < -90 or max_lat > 90:
        raise DomainError(
            "invalid_geometry",
            _("The boundary lies outside longitude −180…180 / latitude −90…90 (is it [lng, lat] order?)."),
        )
    return geom


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """Plain JSON-ready dict (lists, not tuples): what is stored and what export writes."""
    result: dict[str, Any] = json.loads(json.dumps(mapping(geom)))
    return result


def overlap_area(a: BaseGeometry, b: BaseGeometry) -> float:
    if not a.intersects(b):
        return 0.0
    return float(a.intersection(b).area)


def overlaps(a: BaseGeometry, b: BaseGeometry) -> bool:
    """True when two boundaries share more than an edge or a corner."""
    return overlap_area(a, b) > OVERLAP_AREA_EPSILON


def lies_within(inner: BaseGeometry, outer: BaseGeometry) -> bool:
    return bool(outer.buffer(WITHIN_TOLERANCE).covers(inner))


def point(lat: float, lng: float) -> Point:
    return Point(lng, lat)
