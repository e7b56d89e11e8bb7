"""The demo polygons tile: grids cover their community exactly, nothing overlaps, all valid."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from zhili.demo.geometry import STREET_BOUNDS, plan_shapes, point_inside, polygonal_parts, voronoi_cells
from zhili.demo.names import COMMUNITIES

CENTRES = [c[4] for c in COMMUNITIES]


def assert_tiles(parts: list[Polygon], whole: Polygon) -> None:
    assert all(p.is_valid and not p.is_empty for p in parts)
    union = shapely.union_all(parts)
    # A gap, however thin, would leave a hole or split the union.
    assert isinstance(union, Polygon) and not union.interiors
    assert abs(union.area - whole.area) <= 1e-9 * whole.area
    assert union.symmetric_difference(whole).area <= 1e-9 * whole.area
    assert abs(sum(p.area for p in parts) - whole.area) <= 1e-9 * whole.area  # no double cover
    tree = shapely.STRtree(parts)
    for i, part in enumerate(parts):
        for j in tree.query(part, predicate="intersects"):
            if j != i:
                assert part.intersection(parts[j]).area < 1e-15, (i, j)


def decimals(value: float) -> int:
    exponent = Decimal(repr(value)).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


@pytest.mark.parametrize("seed", [1, 2, 3, 17, 2026])
def test_grids_tile_each_community_and_communities_tile_the_street(seed):
    communities = plan_shapes(random.Random(seed), CENTRES, [9] * len(CENTRES))
    for community in communities:
        assert len(community.grids) == 9
        assert [g.number for g in community.grids] == list(range(1, 10))
        assert_tiles([g.polygon for g in community.grids], community.polygon)
    assert_tiles([c.polygon for c in communities], box(*STREET_BOUNDS))


def test_coordinates_are_rounded_to_seven_decimals_and_shared_exactly():
    communities = plan_shapes(random.Random(5), CENTRES, [6] * len(CENTRES))
    grids = [g.polygon for c in communities for g in c.grids]
    vertices = [xy for g in grids for xy in g.exterior.coords]
    assert max(decimals(x) for xy in vertices for x in xy) <= 7
    # Neighbours share their edge vertex for vertex: an inner vertex appears in two or more grids.
    counts: dict[tuple[float, float], int] = {}
    for g in grids:
        for xy in set(g.exterior.coords):
            counts[xy] = counts.get(xy, 0) + 1
    assert sum(1 for n in counts.values() if n >= 2) > len(grids)


def test_the_same_seed_gives_the_same_polygons_and_another_seed_does_not():
    first = plan_shapes(random.Random(9), CENTRES, [4] * len(CENTRES))
    again = plan_shapes(random.Random(9), CENTRES, [4] * len(CENTRES))
    other = plan_shapes(random.Random(10), CENTRES, [4] * len(CENTRES))
    wkt = [[g.polygon.wkt for g in c.grids] for c in first]
    assert wkt == [[g.polygon.wkt for g in c.grids] for c in again]
    assert wkt != [[g.polygon.wkt for g in c.grids] for c in other]


def test_polygonal_parts_drops_points_and_lines_from_a_clip():
    square = box(0, 0, 1, 1)
    mixed = GeometryCollection(
        [square, LineString([(1, 0), (2, 0)]), Point(3, 3), MultiPolygon([box(5, 5, 6, 6), box(7, 7, 8, 8)])]
    )
    assert [p.bounds for p in polygonal_parts(mixed)] == [
        (0.0, 0.0, 1.0, 1.0),
        (5.0, 5.0, 6.0, 6.0),
        (7.0, 7.0, 8.0, 8.0),
    ]
    assert polygonal_parts(Polygon()) == []
    # Two triangles that only touch at a corner: their intersection is a point, no polygon.
    assert polygonal_parts(box(0, 0, 1, 1).intersection(box(1, 1, 2, 2))) == []


def test_voronoi_cells_follow_the_order_of_their_points():
    points = [Point(0.1, 0.1), Point(0.9, 0.9), Point(0.9, 0.1)]
    cells = voronoi_cells(points, box(0, 0, 1, 1))
    assert all(cell.contains(p) for cell, p in zip(cells, points, strict=True))


def test_building_points_fall_well_inside_their_grid():
    rng = random.Random(4)
    grid = plan_shapes(rng, CENTRES, [3] * len(CENTRES))[0].grids[0].polygon
    for _ in range(50):
        spot = point_inside(rng, grid)
        assert grid.contains(spot)
        assert decimals(spot.x) <= 6 and decimals(spot.y) <= 6
