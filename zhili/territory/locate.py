"""Which grid is this? A point through the boundary index, an address through the building registry.

Every process keeps one STRtree over all boundary versions (current and historical) in memory. It
is rebuilt only when ``BoundaryStamp.token`` changes; reading the token is one primary-key query per
lookup, so a redraw committed by any process (another gunicorn worker, the importer on the command
line) is seen by every other process at its next lookup.

Points exactly on an edge shared by two grids (or on a shared corner) belong to the grid with the
smallest id among those whose boundary covers the point: deterministic, and stable across restarts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import CharField, F, Value
from django.db.models.functions import Length
from shapely import STRtree
from shapely.geometry import shape

from zhili.core import stamped
from zhili.core.stamped import StampedCache
from zhili.territory.addresses import normalise_address
from zhili.territory.geometry import point
from zhili.territory.models import BoundaryStamp, Building, GridBoundary, Node


@dataclass(frozen=True)
class _Index:
    token: str
    tree: STRtree | None
    # Parallel to the tree's geometries, which are ordered by (grid id, version).
    grid_ids: tuple[int, ...]
    valid_from: tuple[datetime, ...]
    valid_to: tuple[datetime | None, ...]


stamped.register("territory.boundaries", lambda: stamped.stamp_sql(BoundaryStamp))


def current_token() -> str:
    return stamped.read("territory.boundaries")


def _build(token: str) -> _Index:
    rows = list(
        GridBoundary.objects.order_by("grid_id", "version").values_list(
            "grid_id", "geometry", "valid_from", "valid_to"
        )
    )
    geoms = [shape(geometry) for _grid, geometry, _from, _to in rows]
    return _Index(
        token=token,
        tree=STRtree(geoms) if geoms else None,
        grid_ids=tuple(row[0] for row in rows),
        valid_from=tuple(row[2] for row in rows),
        valid_to=tuple(row[3] for row in rows),
    )


_cache = StampedCache(current_token, _build)


def _valid_point(lat: float, lng: float) -> bool:
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180


def _hits(index: _Index, lat: float, lng: float) -> list[int]:
    if index.tree is None or not _valid_point(lat, lng):
        return []
    return sorted(int(i) for i in index.tree.query(point(float(lat), float(lng)), predicate="covered_by"))


def locate_grid_id(lat: float, lng: float) -> int | None:
    """Id of the grid whose current boundary covers the point, or None."""
    index = _cache.get()
    grids = [index.grid_ids[i] for i in _hits(index, lat, lng) if index.valid_to[i] is None]
    return min(grids) if grids else None


def locate(lat: float, lng: float) -> Node | None:
    """The grid whose current boundary covers (lat, lng), or None (the dispatcher decides)."""
    grid_id = locate_grid_id(lat, lng)
    return None if grid_id is None else Node.objects.filter(pk=grid_id).first()


def locate_at(lat: float, lng: float, when: datetime) -> Node | None:
    """The grid that covered (lat, lng) at ``when``, using the boundary versions valid then."""
    index = _cache.get()
    grids = []
    for i in _hits(index, lat, lng):
        valid_to = index.valid_to[i]
        if index.valid_from[i] <= when and (valid_to is None or when < valid_to):
            grids.append(index.grid_ids[i])
    return Node.objects.filter(pk=min(grids)).first() if grids else None


# Addresses ----------------------------------------------------------------------------------------

# Shorter fragments ("1号", "路") match too much to mean anything; 3 keeps street names (幸福路).
MIN_FRAGMENT = 3
_MAX_MATCHES = 20


def address_matches(text: str) -> list[Building]:
    """Buildings for an address, from the strictest rule that finds any:

    1. the address exactly as registered;
    2. the normalised address (spaces, full-width characters and letter case folded);
    3. registered addresses that contain the text (a partial address);
    4. the longest registered addresses contained in the text (the text adds unit or room numbers).
    """
    raw = (text or "").strip()
    key = normalise_address(raw)
    if not key:
        return []
    buildings = Building.objects.select_related("grid").order_by("pk")
    for found in (buildings.filter(address=raw), buildings.filter(address_key=key)):
        matches = list(found[:_MAX_MATCHES])
        if matches:
            return matches
    if len(key) < MIN_FRAGMENT:
        return []
    matches = list(buildings.filter(address_key__contains=key)[:_MAX_MATCHES])
    if matches:
        return matches
    contained = list(
        buildings.alias(text=Value(key, output_field=CharField()), key_length=Length("address_key"))
        .filter(text__contains=F("address_key"), key_length__gte=MIN_FRAGMENT)
        .order_by("-key_length", "pk")[:_MAX_MATCHES]
    )
    longest = len(contained[0].address_key) if contained else 0
    return [b for b in contained if len(b.address_key) == longest]


def find_building(text: str) -> Building | None:
    """The one building an address names; None when nothing or more than one building matches."""
    matches = address_matches(text)
    return matches[0] if len(matches) == 1 else None


def locate_address(text: str) -> Node | None:
    """The grid of the building an address names. Several matching buildings still give a grid when
    they all lie in the same one; otherwise None (the dispatcher decides)."""
    grids = {b.grid_id: b.grid for b in address_matches(text)}
    return next(iter(grids.values())) if len(grids) == 1 else None


def _common_ancestor(paths: list[str]) -> int | None:
    """The id of the deepest node on every one of these materialised paths."""
    split = [p.strip("/").split("/") for p in paths]
    common = None
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common = int(parts[0])
    return common


def locate_area(text: str) -> Node | None:
    """The smallest area an address points into when it names no single grid.

    1. The buildings it matches lie in several grids: the area holding them all (their community).
    2. It matches no building but names places ("朝阳社区3号楼东侧"): the deepest of them, or the
       area holding them all when it names several at that depth.
    None when the address says nothing about where the place is.
    """
    key = normalise_address(text)
    if not key:
        return None
    grids = {b.grid_id: b.grid for b in address_matches(text)}
    paths = [g.path for g in grids.values()]
    if not paths:
        nodes = Node.objects.only("id", "name", "path", "depth")
        names = {node: normalise_address(node.name) for node in nodes}
        named = [node for node, name in names.items() if len(name) >= MIN_FRAGMENT and name in key]
        deepest = max((n.depth for n in named), default=None)
        paths = [n.path for n in named if n.depth == deepest]
    common = _common_ancestor(paths) if paths else None
    return Node.objects.filter(pk=common).first() if common is not None else None
