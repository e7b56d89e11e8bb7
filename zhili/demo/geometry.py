"""Polygons for the demo region: communities that tile the street, grids that tile each community.

Communities are Voronoi cells of jittered seed points inside the street's rectangle; grids are
Voronoi cells of well-spread random points inside each community, clipped to it. Clipping and
rounding each polygon on its own would let neighbours disagree in the last digit and overlap by a
sliver, so the final polygons come out of one planar subdivision: all cell edges are noded together
with snap rounding on a 1e-7° grid (about 1 cm), the faces are polygonized, and each face goes to the
grid cell it overlaps most. Neighbours then share exactly the same vertices, and the grids of a
community tile it with no gap and no overlap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import shapely
from shapely.geometry import MultiPoint, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

# The street's rectangle (lng0, lat0, lng1, lat1): north-east of central Beijing, about 7.7 × 6.7 km.
STREET_BOUNDS = (116.300, 39.900, 116.390, 39.960)
GRID_SIZE = 1e-7  # degrees; coordinates are multiples of this (7 decimals)
# Longitude degrees are shorter than latitude degrees at 40°N; distances use this factor.
LNG_FACTOR = 0.766


@dataclass
class GridShape:
    number: int  # 1-based, in reading order (north-west first)
    polygon: Polygon


@dataclass
class CommunityShape:
    index: int
    polygon: Polygon
    grids: list[GridShape] = field(default_factory=list)


def polygonal_parts(geom: BaseGeometry) -> list[Polygon]:
    """The polygons in ``geom``: clipping can also give points and lines where cells only touch."""
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        parts.extend(polygonal_parts(part))
    return parts


def _random_point_in(rng: random.Random, polygon: BaseGeometry) -> Point:
    min_x, min_y, max_x, max_y = polygon.bounds
    for _attempt in range(1000):
        candidate = Point(rng.uniform(min_x, max_x), rng.uniform(min_y, max_y))
        if polygon.contains(candidate):
            return candidate
    return polygon.representative_point()


def _distance(a: Point, b: Point) -> float:
    return float(((a.x - b.x) * LNG_FACTOR) ** 2 + (a.y - b.y) ** 2) ** 0.5


def spread_points(rng: random.Random, polygon: BaseGeometry, count: int, candidates: int = 12) -> list[Point]:
    """``count`` points inside ``polygon``, well spread but irregular (Mitchell's best candidate)."""
    points: list[Point] = []
    for _ in range(count):
        options = [_random_point_in(rng, polygon) for _ in range(candidates if points else 1)]
        best = max(options, key=lambda p: min((_distance(p, q) for q in points), default=0.0))
        points.append(best)
    return points


def voronoi_cells(points: list[Point], within: Polygon) -> list[Polygon]:
    """One cell per point (same order), clipped to ``within``; only the polygonal part is kept."""
    diagram = shapely.voronoi_polygons(MultiPoint(points), extend_to=within, ordered=True)
    cells: list[Polygon] = []
    for cell in diagram.geoms:
        parts = polygonal_parts(cell.intersection(within))
        cells.append(max(parts, key=lambda p: p.area) if parts else Polygon())
    return cells


def reading_order(points: list[Point], rows: int) -> list[int]:
    """Indexes of ``points`` sorted north to south in ``rows`` bands, west to east within a band."""
    if not points:
        return []
    lats = [p.y for p in points]
    top, bottom = max(lats), min(lats)
    height = (top - bottom) / rows or 1.0

    def key(i: int) -> tuple[int, float]:
        band = min(rows - 1, int((top - points[i].y) / height))
        return band, points[i].x

    return sorted(range(len(points)), key=key)


def _snap_tiling(cells: list[Polygon], outline: Polygon) -> list[BaseGeometry]:
    """Cells that tile ``outline`` → the same tiling with every vertex on the 1e-7 grid, consistent
    between neighbours (one noding of all edges at once), as one geometry per input cell."""
    lines = [outline.boundary, *(cell.boundary for cell in cells if not cell.is_empty)]
    noded = shapely.union_all(lines, grid_size=GRID_SIZE)
    faces = [face for face in shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))]
    tree = STRtree(cells)
    owned: list[list[Polygon]] = [[] for _ in cells]
    for face in faces:
        if face.area == 0:
            continue
        candidates = tree.query(face, predicate="intersects")
        if len(candidates) == 0:
            continue  # outside every cell: cannot happen for a tiling, but never guess
        owner = max(candidates, key=lambda i: cells[i].intersection(face).area)
        owned[int(owner)].append(face)
    return [shapely.union_all(parts, grid_size=GRID_SIZE) if parts else Polygon() for parts in owned]


def plan_shapes(
    rng: random.Random, centres: list[tuple[float, float]], grids_per_community: list[int]
) -> list[CommunityShape]:
    """Community and grid polygons for the street. ``centres`` are fractions of the street box."""
    lng0, lat0, lng1, lat1 = STREET_BOUNDS
    street = box(lng0, lat0, lng1, lat1)
    seeds = [
        Point(
            lng0 + (fx + rng.uniform(-0.04, 0.04)) * (lng1 - lng0),
            lat0 + (fy + rng.uniform(-0.04, 0.04)) * (lat1 - lat0),
        )
        for fx, fy in centres
    ]
    community_cells = voronoi_cells(seeds, street)

    grid_cells: list[Polygon] = []
    owners: list[tuple[int, int]] = []  # (community index, grid number) of each grid cell
    for index, (cell, count) in enumerate(zip(community_cells, grids_per_community, strict=True)):
        points = spread_points(rng, cell, count)
        cells = voronoi_cells(points, cell)
        rows = max(1, round(count**0.5))
        for number, i in enumerate(reading_order(points, rows), start=1):
            grid_cells.append(cells[i])
            owners.append((index, number))

    snapped = _snap_tiling(grid_cells, street)
    communities = [CommunityShape(index=i, polygon=Polygon()) for i in range(len(centres))]
    for (index, number), geom in zip(owners, snapped, strict=True):
        parts = polygonal_parts(geom)
        if len(parts) != 1:
            # Convex cells clipped to convex cells stay in one piece; anything else is a bug here.
            raise RuntimeError(f"grid {index}/{number} came out in {len(parts)} pieces")
        communities[index].grids.append(GridShape(number=number, polygon=parts[0]))
    for community in communities:
        community.grids.sort(key=lambda g: g.number)
        merged = polygonal_parts(shapely.union_all([g.polygon for g in community.grids], grid_size=GRID_SIZE))
        community.polygon = merged[0] if len(merged) == 1 else Polygon()
    return communities


def point_inside(rng: random.Random, polygon: Polygon, *, margin: float = 0.0003, digits: int = 6) -> Point:
    """A random point well inside ``polygon`` (``margin`` degrees from its edge), rounded to ``digits``."""
    inner = polygon.buffer(-margin)
    area = inner if not inner.is_empty else polygon
    for _attempt in range(100):
        p = _random_point_in(rng, area)
        rounded = Point(round(p.x, digits), round(p.y, digits))
        if polygon.contains(rounded):
            return rounded
    return polygon.representative_point()
