from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhili.core.testing import square
from zhili.territory import locate as locate_module
from zhili.territory.actions import do_create_building, do_draw_boundary
from zhili.territory.locate import find_building, locate, locate_address, locate_at, locate_grid_id
from zhili.territory.models import BoundaryStamp, GridBoundary

pytestmark = pytest.mark.django_db

# Squares from zhili.core.testing, as (lng0, lat0, lng1, lat1).
BOXES = {
    "A": (116.300, 39.900, 116.310, 39.910),
    "B": (116.310, 39.900, 116.320, 39.910),
    "C": (116.320, 39.900, 116.330, 39.910),
    "D": (116.400, 39.900, 116.410, 39.910),
}
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def grids_of(region):
    return {"A": region.grid_a, "B": region.grid_b, "C": region.grid_c, "D": region.grid_d}


def interior(box, margin=1e-7):
    lng0, lat0, lng1, lat1 = box
    return st.tuples(
        st.floats(lat0 + margin, lat1 - margin, allow_nan=False), st.floats(lng0 + margin, lng1 - margin)
    )


def test_random_points_inside_a_square_locate_its_grid(region):
    grids = grids_of(region)

    @PROPERTY
    @given(letter=st.sampled_from(sorted(BOXES)), data=st.data())
    def check(letter, data):
        lat, lng = data.draw(interior(BOXES[letter]))
        assert locate(lat, lng) == grids[letter]

    check()


def test_random_points_outside_every_square_locate_nothing(region):
    outside = st.one_of(
        st.tuples(st.floats(39.911, 40.5), st.floats(116.0, 116.5)),  # north of every square
        st.tuples(st.floats(39.0, 39.899), st.floats(116.0, 116.5)),  # south
        st.tuples(st.floats(39.900, 39.910), st.floats(116.331, 116.399)),  # between C and D
        st.tuples(st.floats(-90, 90), st.floats(-180, 116.29)),  # anywhere west
    )

    @PROPERTY
    @given(point=outside)
    def check(point):
        assert locate(*point) is None

    check()


def test_point_on_a_shared_edge_goes_to_the_grid_with_the_smaller_id(region):
    assert region.grid_a.pk < region.grid_b.pk
    assert locate(39.905, 116.310) == region.grid_a
    # B/C edge: B and C are in different communities, still the smaller id wins.
    assert locate(39.905, 116.320) == region.grid_b
    # The corner shared by A and B.
    assert locate(39.900, 116.310) == region.grid_a


def test_points_on_an_outer_edge_or_corner_belong_to_the_grid(region):
    assert locate(39.905, 116.300) == region.grid_a
    assert locate(39.910, 116.300) == region.grid_a
    assert locate(39.910, 116.330) == region.grid_c


@pytest.mark.parametrize("lat,lng", [(float("nan"), 116.305), (39.905, float("inf")), (95, 116.3), ("x", 1)])
def test_nonsense_points_locate_nothing(region, lat, lng):
    assert locate(lat, lng) is None


def test_after_a_redraw_the_new_version_is_used_and_history_still_answers(region):
    grids = grids_of(region)
    before = timezone.now()
    building = do_create_building(region.grid_b, "5号楼", "和平街5号", 39.905, 116.3125, actor=None)
    # Move the A|B edge from 116.310 to 116.315: shrink B first so that A never overlaps it.
    do_draw_boundary(region.grid_b, square(116.315, 39.900, 116.320, 39.910), actor=None)
    do_draw_boundary(region.grid_a, square(116.300, 39.900, 116.315, 39.910), actor=None)
    after = timezone.now()

    @PROPERTY
    @given(point=interior((116.310, 39.900, 116.315, 39.910)))
    def moved_strip(point):
        lat, lng = point
        assert locate(lat, lng) == grids["A"]
        assert locate_at(lat, lng, before) == grids["B"]
        assert locate_at(lat, lng, after) == grids["A"]

    @PROPERTY
    @given(point=interior((116.315, 39.900, 116.320, 39.910)))
    def rest_of_b(point):
        lat, lng = point
        assert locate(lat, lng) == grids["B"]
        assert locate_at(lat, lng, before) == grids["B"]

    moved_strip()
    rest_of_b()
    building.refresh_from_db()
    assert building.grid == region.grid_b
    assert building.boundary == GridBoundary.objects.get(grid=region.grid_b, version=1)


def test_locate_at_before_any_boundary_existed_finds_nothing(region):
    first = GridBoundary.objects.order_by("valid_from").first().valid_from
    assert locate_at(39.905, 116.305, first - timedelta(seconds=1)) is None
    assert locate_at(39.905, 116.305, first + timedelta(days=1)) == region.grid_a


def test_index_is_rebuilt_only_when_the_stamp_changes(region, django_assert_num_queries, monkeypatch):
    locate(39.905, 116.305)  # warm
    builds = []
    cache = locate_module._cache
    real_build = cache._build
    monkeypatch.setattr(cache, "_build", lambda token: builds.append(token) or real_build(token))
    with django_assert_num_queries(1):  # the stamp only
        assert locate_grid_id(39.905, 116.305) == region.grid_a.pk
    with django_assert_num_queries(2):  # the stamp and the grid
        assert locate(39.905, 116.305) == region.grid_a
    assert builds == []
    do_draw_boundary(region.grid_a, square(116.300, 39.900, 116.305, 39.910), actor=None)
    assert locate(39.905, 116.307) is None
    assert builds == [BoundaryStamp.objects.get(pk=1).token]


def test_a_stamp_written_elsewhere_invalidates_this_process_index(region):
    """Another process redrawing commits new rows and a new token; nothing in this process's memory
    is told. Simulated here by writing the rows without the local module noticing."""
    assert locate(39.905, 116.307) == region.grid_a
    current = GridBoundary.objects.get(grid=region.grid_a, is_current=True)
    GridBoundary.objects.filter(pk=current.pk).update(geometry=square(116.300, 39.900, 116.305, 39.910))
    assert locate(39.905, 116.307) == region.grid_a  # same token: the index is (rightly) trusted
    BoundaryStamp.objects.filter(pk=1).update(token="written-by-another-process")
    assert locate(39.905, 116.307) is None


# Addresses ----------------------------------------------------------------------------------------


@pytest.fixture
def registry(region):
    return {
        "xingfu1": do_create_building(region.grid_a, "1号楼", "幸福路1号", 39.905, 116.305, actor=None),
        "xingfu12": do_create_building(region.grid_a, "12号楼", "幸福路12号", 39.906, 116.305, actor=None),
        "heping": do_create_building(region.grid_b, "A座", "和平街 8 号 A座", 39.905, 116.315, actor=None),
        "changan": do_create_building(region.grid_c, "3号院", "长安里3号院", 39.905, 116.325, actor=None),
    }


def test_exact_address_finds_the_building(registry):
    assert find_building("幸福路1号") == registry["xingfu1"]
    assert find_building("和平街 8 号 A座") == registry["heping"]


def test_spaces_and_full_width_characters_are_folded(registry):
    assert find_building("和平街８号ａ座") == registry["heping"]
    assert find_building("幸福路\u30001 号") == registry["xingfu1"]
    assert find_building("幸福路１２号") == registry["xingfu12"]


def test_a_partial_address_finds_the_one_building_containing_it(registry):
    assert find_building("长安里3号") == registry["changan"]


def test_an_address_with_a_room_number_finds_the_longest_registered_address_in_it(registry):
    assert find_building("幸福路12号3单元501室") == registry["xingfu12"]
    assert find_building("北京市和平街8号A座1201") == registry["heping"]


def test_ambiguous_or_unknown_addresses_find_no_building(registry):
    assert find_building("幸福路") is None  # both 幸福路 buildings contain it
    assert find_building("光明路9号") is None
    assert find_building("号") is None
    assert find_building("   ") is None


def test_locate_address_gives_the_grid_even_when_several_buildings_of_one_grid_match(registry, region):
    assert locate_address("幸福路12号3单元") == region.grid_a
    assert locate_address("幸福路") == region.grid_a  # two buildings, one grid
    assert locate_address("和平街８号Ａ座") == region.grid_b
    assert locate_address("光明路9号") is None


def test_locate_address_gives_nothing_when_matches_span_grids(region, registry):
    do_create_building(region.grid_b, "9号楼", "幸福路9号", 39.905, 116.315, actor=None)
    assert locate_address("幸福路") is None
