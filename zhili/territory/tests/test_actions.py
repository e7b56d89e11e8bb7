from __future__ import annotations

import pytest

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import DomainError
from zhili.core.testing import GRID_SQUARES, square
from zhili.territory.actions import (
    do_create_building,
    do_create_household,
    do_draw_area_boundary,
    do_draw_boundary,
    do_rename_node,
)
from zhili.territory.models import AreaBoundary, BoundaryStamp, GridBoundary, Household

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[116.30, 39.90], [116.31, 39.91], [116.31, 39.90], [116.30, 39.91], [116.30, 39.90]]],
}


def test_region_grids_start_with_their_square_as_version_1(region):
    boundary = GridBoundary.objects.get(grid=region.grid_a, is_current=True)
    assert boundary.version == 1
    assert boundary.geometry == GRID_SQUARES["A"]


def test_redraw_adds_a_version_and_closes_the_previous_one(region):
    old = GridBoundary.objects.get(grid=region.grid_a, is_current=True)
    new = do_draw_boundary(region.grid_a, square(116.300, 39.900, 116.305, 39.910), actor=None, note="split")
    old.refresh_from_db()
    assert (new.version, new.is_current, new.valid_to, new.note) == (2, True, None, "split")
    assert old.is_current is False
    assert old.valid_to == new.valid_from
    assert GridBoundary.objects.filter(grid=region.grid_a).count() == 2
    event = AuditEvent.objects.filter(action=AuditAction.BOUNDARY_DRAWN).last()
    assert event.details == {"version": 2, "previous_version": 1, "note": "split"}
    assert event.node_id == region.grid_a.pk


def test_redraw_changes_the_boundary_stamp(region):
    before = BoundaryStamp.objects.get(pk=1).token
    do_draw_boundary(region.grid_a, square(116.300, 39.900, 116.305, 39.910), actor=None)
    assert BoundaryStamp.objects.get(pk=1).token != before


def test_self_intersecting_polygon_is_refused_with_the_reason(region):
    with pytest.raises(DomainError) as info:
        do_draw_boundary(region.grid_a, BOWTIE, actor=None)
    assert info.value.code == "invalid_geometry"
    assert "Self-intersection" in info.value.message
    assert GridBoundary.objects.filter(grid=region.grid_a).count() == 1


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [116.305, 39.905]},
        {"type": "LineString", "coordinates": [[116.30, 39.90], [116.31, 39.91]]},
        {"type": "Polygon", "coordinates": "nonsense"},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[39.9, 116.3], [39.9, 116.31], [39.91, 116.31], [39.9, 116.3]]]},
        "not a dict",
    ],
)
def test_non_polygons_and_unreadable_geometries_are_refused(region, geometry):
    with pytest.raises(DomainError) as info:
        do_draw_boundary(region.grid_a, geometry, actor=None)
    assert info.value.code in {"invalid_geometry", "geometry_not_polygon"}
    assert GridBoundary.objects.filter(grid=region.grid_a).count() == 1


def test_latitude_first_coordinates_are_refused_as_out_of_range(region):
    swapped = {
        "type": "Polygon",
        "coordinates": [[[39.9, 116.3], [39.91, 116.3], [39.91, 116.31], [39.9, 116.3]]],
    }
    with pytest.raises(DomainError, match="lng, lat"):
        do_draw_boundary(region.grid_a, swapped, actor=None)


def test_overlap_with_a_sibling_is_refused_naming_the_sibling(region):
    with pytest.raises(DomainError) as info:
        do_draw_boundary(region.grid_a, square(116.300, 39.900, 116.312, 39.910), actor=None)
    assert info.value.code == "boundary_overlaps_sibling"
    assert "Grid B" in info.value.message and "S-C1-B" in info.value.message
    assert GridBoundary.objects.get(grid=region.grid_a, is_current=True).version == 1


def test_sharing_an_edge_with_a_sibling_is_not_an_overlap(region):
    # A's new square touches B along lng 116.31 exactly, as before.
    boundary = do_draw_boundary(region.grid_a, square(116.301, 39.900, 116.310, 39.910), actor=None)
    assert boundary.version == 2


def test_overlap_with_a_grid_of_another_community_is_not_a_sibling_clash(region):
    # C lies in community 2; siblings are grids of the same community only.
    boundary = do_draw_boundary(region.grid_b, square(116.310, 39.900, 116.321, 39.910), actor=None)
    assert boundary.version == 2


def test_the_same_shape_again_is_refused_as_unchanged(region):
    # Same square, vertices starting elsewhere: topologically equal.
    rotated = {
        "type": "Polygon",
        "coordinates": [
            [[116.31, 39.90], [116.31, 39.91], [116.30, 39.91], [116.30, 39.90], [116.31, 39.90]]
        ],
    }
    with pytest.raises(DomainError) as info:
        do_draw_boundary(region.grid_a, rotated, actor=None)
    assert info.value.code == "boundary_unchanged"


def test_only_grids_get_boundaries(region):
    with pytest.raises(DomainError) as info:
        do_draw_boundary(region.c1, square(116.3, 39.9, 116.32, 39.91), actor=None)
    assert info.value.code == "not_a_grid"


# Street and community polygons ---------------------------------------------------------------------

C1_SQUARE = square(116.300, 39.900, 116.320, 39.910)  # exactly grids A and B


def test_a_community_polygon_is_versioned_and_leaves_the_grid_index_alone(region):
    stamp = BoundaryStamp.objects.get(pk=1).token
    first = do_draw_area_boundary(region.c1, C1_SQUARE, actor=None)
    second = do_draw_area_boundary(region.c1, square(116.299, 39.899, 116.321, 39.911), actor=None)
    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert not first.is_current and first.valid_to == second.valid_from and second.is_current
    assert BoundaryStamp.objects.get(pk=1).token == stamp
    assert GridBoundary.objects.filter(grid=region.c1).count() == 0
    event = AuditEvent.objects.filter(action=AuditAction.BOUNDARY_DRAWN, node_id=region.c1.pk).last()
    assert event.details["kind"] == "community" and event.details["previous_version"] == 1


def test_a_community_polygon_must_hold_its_grids_and_fit_its_street(region):
    with pytest.raises(DomainError) as info:
        do_draw_area_boundary(region.c1, square(116.300, 39.900, 116.315, 39.910), actor=None)
    assert info.value.code == "boundary_leaves_out_child" and "Grid B (S-C1-B)" in info.value.message
    do_draw_area_boundary(region.street, square(116.30, 39.90, 116.33, 39.91), actor=None)
    with pytest.raises(DomainError) as info:
        do_draw_area_boundary(region.c1, square(116.29, 39.90, 116.32, 39.91), actor=None)
    assert info.value.code == "boundary_outside_parent" and "Test street (S)" in info.value.message
    assert not AreaBoundary.objects.filter(node=region.c1).exists()


def test_only_streets_and_communities_get_area_polygons(region):
    with pytest.raises(DomainError) as info:
        do_draw_area_boundary(region.grid_a, GRID_SQUARES["A"], actor=None)
    assert info.value.code == "not_an_area"


def test_a_grid_redraw_outside_its_community_polygon_is_refused(region):
    do_draw_area_boundary(region.c1, C1_SQUARE, actor=None)
    with pytest.raises(DomainError) as info:
        do_draw_boundary(region.grid_a, square(116.299, 39.900, 116.310, 39.910), actor=None)
    assert info.value.code == "boundary_outside_parent" and "Community 1 (S-C1)" in info.value.message
    assert do_draw_boundary(region.grid_a, square(116.301, 39.900, 116.310, 39.910), actor=None).version == 2


def test_multipolygon_boundaries_are_accepted(region):
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            square(116.300, 39.900, 116.305, 39.905)["coordinates"],
            square(116.305, 39.905, 116.310, 39.910)["coordinates"],
        ],
    }
    assert do_draw_boundary(region.grid_a, multi, actor=None).geometry["type"] == "MultiPolygon"


def test_building_remembers_the_boundary_version_it_was_placed_under(region):
    building = do_create_building(region.grid_a, "1号楼", " 幸福路1号 ", 39.905, 116.305, actor=None)
    v1 = GridBoundary.objects.get(grid=region.grid_a, version=1)
    assert building.boundary == v1
    assert building.address == "幸福路1号"
    do_draw_boundary(region.grid_a, square(116.300, 39.900, 116.308, 39.910), actor=None)
    building.refresh_from_db()
    assert building.boundary == v1
    assert building.grid == region.grid_a
    later = do_create_building(region.grid_a, "2号楼", "幸福路2号", 39.905, 116.301, actor=None)
    assert later.boundary.version == 2
    assert AuditEvent.objects.filter(action=AuditAction.BUILDING_CREATED).count() == 2


def test_building_outside_its_grid_is_refused(region):
    with pytest.raises(DomainError) as info:
        do_create_building(region.grid_a, "8号楼", "和平街8号", 39.905, 116.315, actor=None)
    assert info.value.code == "building_outside_grid"


def test_building_needs_an_address_and_both_coordinates(region):
    with pytest.raises(DomainError, match="address_required"):
        do_create_building(region.grid_a, "1号楼", "  ", None, None, actor=None)
    with pytest.raises(DomainError, match="coordinates_incomplete"):
        do_create_building(region.grid_a, "1号楼", "幸福路1号", 39.905, None, actor=None)
    building = do_create_building(region.grid_a, "", "幸福路1号", None, None, actor=None)
    assert building.name == "幸福路1号"


def test_household_numbers_are_unique_per_building(homes):
    with pytest.raises(DomainError) as info:
        do_create_household(homes.building_a, " 1-101 ", actor=None)
    assert info.value.code == "household_exists"
    assert Household.objects.filter(building=homes.building_a).count() == 1
    do_create_household(homes.building_b, "1-101", actor=None)  # another building: fine
    assert AuditEvent.objects.filter(action=AuditAction.HOUSEHOLD_CREATED).count() == 3


def test_rename_refuses_a_name_taken_by_a_sibling(region):
    with pytest.raises(DomainError, match="node_name_taken"):
        do_rename_node(region.grid_a, "Grid B", actor=None)
    do_rename_node(region.grid_a, "Grid Alpha", actor=region.user("admin"))
    region.grid_a.refresh_from_db()
    assert region.grid_a.name == "Grid Alpha"
    event = AuditEvent.objects.get(action=AuditAction.NODE_RENAMED)
    assert event.details == {"from": "Grid A", "to": "Grid Alpha"}
    assert event.actor_label == "admin"
