from __future__ import annotations

import copy
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import shape

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.testing import GRID_SQUARES, square
from zhili.territory.actions import do_draw_area_boundary
from zhili.territory.importing import TerritoryImportError, export_territory, import_territory
from zhili.territory.locate import locate
from zhili.territory.models import AreaBoundary, BoundaryStamp, GridBoundary, Node

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def feature(path, kind, code, geometry=None, **extra):
    props = {"path": path, "kind": kind, "code": code, "name": path[-1] if path else None, **extra}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


NEW_DISTRICT_COMMUNITY = square(116.5, 40.0, 116.6, 40.1)
NEW_DISTRICT = collection(
    feature(["海淀区"], "district", "110108"),
    feature(["海淀区", "学院路街道"], "street", "110108001"),
    feature(["海淀区", "学院路街道", "清华园社区"], "community", "110108001001", NEW_DISTRICT_COMMUNITY),
    feature(
        ["海淀区", "学院路街道", "清华园社区", "一网格"], "grid", "G1", square(116.5, 40.0, 116.55, 40.1)
    ),
    feature(
        ["海淀区", "学院路街道", "清华园社区", "二网格"], "grid", "G2", square(116.55, 40.0, 116.6, 40.1)
    ),
)


def snapshot():
    """Everything an import could touch, to prove that a refused file changed nothing."""
    return {
        "nodes": sorted(Node.objects.values_list("pk", "code", "name", "parent_id", "path")),
        "boundaries": sorted(
            GridBoundary.objects.values_list("pk", "grid_id", "version", "is_current", "valid_to")
        ),
        "areas": sorted(
            AreaBoundary.objects.values_list("pk", "node_id", "version", "is_current", "valid_to")
        ),
        "audit": AuditEvent.objects.count(),
        "stamp": BoundaryStamp.objects.get(pk=1).token,
    }


def write(tmp_path, data, name="territory.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# Importing ----------------------------------------------------------------------------------------


def test_import_creates_the_tree_and_boundaries(db):
    result = import_territory(NEW_DISTRICT, actor=None, source="haidian.geojson")
    assert result.as_dict() == {
        "features": 5,
        "nodes_created": 5,
        "nodes_renamed": 0,
        "boundaries_drawn": 2,
        "boundaries_unchanged": 0,
        "area_boundaries_drawn": 1,
        "area_boundaries_unchanged": 0,
    }
    community = AreaBoundary.objects.get(node__code="110108001001", is_current=True)
    assert community.version == 1 and shape(community.geometry).equals(shape(NEW_DISTRICT_COMMUNITY))
    assert not AreaBoundary.objects.exclude(node=community.node).exists()
    g1 = Node.objects.get(code="G1")
    assert g1.parent.code == "110108001001" and g1.parent.parent.parent.code == "110108"
    assert g1.kind == "grid" and g1.depth == 3
    assert locate(40.05, 116.52) == g1
    event = AuditEvent.objects.get(action=AuditAction.TERRITORY_IMPORTED)
    assert event.details["source"] == "haidian.geojson"
    assert event.node_id == Node.objects.get(code="110108").pk


def test_importing_the_same_file_again_adds_no_versions(db):
    import_territory(NEW_DISTRICT, actor=None)
    stamp = BoundaryStamp.objects.get(pk=1).token
    result = import_territory(NEW_DISTRICT, actor=None)
    assert (result.nodes_created, result.boundaries_drawn, result.boundaries_unchanged) == (0, 0, 2)
    assert (result.area_boundaries_drawn, result.area_boundaries_unchanged) == (0, 1)
    assert GridBoundary.objects.count() == 2
    assert AreaBoundary.objects.count() == 1
    assert BoundaryStamp.objects.get(pk=1).token == stamp


def test_a_changed_geometry_adds_a_version_and_a_new_name_renames(db):
    import_territory(NEW_DISTRICT, actor=None)
    changed = copy.deepcopy(NEW_DISTRICT)
    # Move the G1|G2 edge west; rename G2 (its children keep following the new name).
    changed["features"][3]["geometry"] = square(116.5, 40.0, 116.54, 40.1)
    changed["features"][4]["geometry"] = square(116.54, 40.0, 116.6, 40.1)
    changed["features"][4]["properties"].update(
        path=["海淀区", "学院路街道", "清华园社区", "第二网格"], name="第二网格"
    )
    result = import_territory(changed, actor=None)
    assert (result.nodes_created, result.nodes_renamed, result.boundaries_drawn) == (0, 1, 2)
    g2 = Node.objects.get(code="G2")
    assert g2.name == "第二网格"
    assert list(
        GridBoundary.objects.filter(grid=g2).order_by("version").values_list("version", "is_current")
    ) == [
        (1, False),
        (2, True),
    ]
    assert locate(40.05, 116.545) == g2


def test_import_attaches_to_existing_parents_by_name_path(region):
    data = collection(
        feature(
            ["Test street", "Community 2", "Grid E"],
            "grid",
            "S-C2-E",
            square(116.330, 39.900, 116.340, 39.910),
        )
    )
    import_territory(data, actor=region.user("admin"))
    grid_e = Node.objects.get(code="S-C2-E")
    assert grid_e.parent == region.c2
    assert grid_e.is_within(region.street)
    assert AuditEvent.objects.filter(action=AuditAction.TERRITORY_IMPORTED).last().actor_label == "admin"


def test_command_imports_a_file_and_reports_json(region, tmp_path, capsys):
    data = collection(
        feature(
            ["Test street", "Community 2", "Grid E"],
            "grid",
            "S-C2-E",
            square(116.330, 39.900, 116.340, 39.910),
        )
    )
    call_command("territory", "import", str(write(tmp_path, data)), "--actor", "admin", "--json")
    assert json.loads(capsys.readouterr().out)["nodes_created"] == 1
    assert Node.objects.filter(code="S-C2-E").exists()


# Refusals: each leaves the database exactly as it was --------------------------------------------

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[116.33, 39.90], [116.34, 39.91], [116.34, 39.90], [116.33, 39.91], [116.33, 39.90]]],
}


def refused(data):
    before = snapshot()
    with pytest.raises(TerritoryImportError) as info:
        import_territory(data, actor=None)
    assert snapshot() == before
    return info.value.errors


def test_invalid_geometry_is_refused_naming_the_feature(region):
    data = collection(
        feature(
            ["Test street", "Community 2", "Grid E"], "grid", "S-C2-E", square(116.33, 39.90, 116.34, 39.91)
        ),
        feature(["Test street", "Community 2", "Grid F"], "grid", "S-C2-F", BOWTIE),
    )
    errors = refused(data)
    assert len(errors) == 1
    assert "2" in errors[0] and "S-C2-F" in errors[0] and "Grid F" in errors[0]
    assert "Self-intersection" in errors[0]


def test_grids_overlapping_each_other_in_the_file_are_refused(region):
    data = collection(
        feature(
            ["Test street", "Community 2", "Grid E"], "grid", "S-C2-E", square(116.33, 39.90, 116.34, 39.91)
        ),
        feature(
            ["Test street", "Community 2", "Grid F"], "grid", "S-C2-F", square(116.335, 39.90, 116.35, 39.91)
        ),
    )
    errors = refused(data)
    assert len(errors) == 1
    assert "S-C2-F" in errors[0] and "S-C2-E" in errors[0]


def test_a_grid_overlapping_an_existing_sibling_not_in_the_file_is_refused(region):
    # Community 2 holds Grid C (116.320–116.330) in the database; E reaches back into it.
    data = collection(
        feature(
            ["Test street", "Community 2", "Grid E"], "grid", "S-C2-E", square(116.325, 39.90, 116.34, 39.91)
        )
    )
    errors = refused(data)
    assert len(errors) == 1
    assert "S-C2-E" in errors[0] and "Grid C (S-C2-C)" in errors[0]


def test_a_grid_outside_its_community_polygon_is_refused(db):
    data = copy.deepcopy(NEW_DISTRICT)
    data["features"][4]["geometry"] = square(116.55, 40.0, 116.61, 40.1)  # pokes 0.01° east
    errors = refused(data)
    assert len(errors) == 1
    assert errors[0].startswith("feature 5") and "G2" in errors[0] and "110108001001" in errors[0]
    assert not Node.objects.exists()


def test_a_grid_on_its_community_edge_is_within_it(db):
    data = copy.deepcopy(NEW_DISTRICT)
    # One vertex a hair (below the tolerance) outside the community's east edge.
    data["features"][4]["geometry"] = square(116.55, 40.0, 116.6 + 1e-12, 40.1)
    assert import_territory(data, actor=None).boundaries_drawn == 2


# Stored street and community polygons ---------------------------------------------------------------

C2_SQUARE = square(116.320, 39.900, 116.340, 39.910)  # Grid C and room east of it
FAR_AWAY = square(120.0, 30.0, 120.01, 30.01)  # Hangzhou, not Beijing


def far_grid(community="Community 2", code="S-C2-X"):
    return feature(["Test street", community, "Grid X"], "grid", code, FAR_AWAY)


def test_without_any_community_polygon_a_far_grid_is_accepted_as_before(region):
    result = import_territory(collection(far_grid()), actor=None)
    assert (result.nodes_created, result.boundaries_drawn) == (1, 1)


def test_a_grid_outside_its_communitys_stored_polygon_is_refused_and_nothing_is_written(region):
    do_draw_area_boundary(region.c2, C2_SQUARE, actor=None)
    errors = refused(collection(far_grid()))
    assert errors == [
        "feature 1 (S-C2-X Grid X): does not lie within the stored boundary of its "
        "community Community 2 (S-C2)."
    ]
    assert not Node.objects.filter(code="S-C2-X").exists()


def test_a_grid_inside_its_communitys_stored_polygon_is_accepted(region):
    do_draw_area_boundary(region.c2, C2_SQUARE, actor=None)
    data = collection(
        feature(
            ["Test street", "Community 2", "Grid E"], "grid", "S-C2-E", square(116.33, 39.90, 116.34, 39.91)
        )
    )
    result = import_territory(data, actor=None)
    assert (result.nodes_created, result.boundaries_drawn, result.area_boundaries_drawn) == (1, 1, 0)
    assert locate(39.905, 116.335) == Node.objects.get(code="S-C2-E")


def test_redrawing_an_existing_grid_outside_the_stored_polygon_is_refused(region):
    do_draw_area_boundary(region.c2, C2_SQUARE, actor=None)
    data = collection(
        feature(
            ["Test street", "Community 2", "Grid C"], "grid", "S-C2-C", square(116.315, 39.90, 116.33, 39.91)
        )
    )
    errors = refused(data)
    assert len(errors) == 1 and "S-C2-C" in errors[0] and "Community 2 (S-C2)" in errors[0]


def test_the_files_community_polygon_replaces_the_stored_one_as_the_check(region):
    do_draw_area_boundary(region.c2, C2_SQUARE, actor=None)
    wider = square(116.320, 39.900, 116.350, 39.910)
    data = collection(
        feature(["Test street", "Community 2"], "community", "S-C2", wider),
        feature(
            ["Test street", "Community 2", "Grid E"], "grid", "S-C2-E", square(116.34, 39.90, 116.35, 39.91)
        ),
    )
    result = import_territory(data, actor=None)
    assert (result.boundaries_drawn, result.area_boundaries_drawn) == (1, 1)
    versions = AreaBoundary.objects.filter(node=region.c2).order_by("version")
    assert [(a.version, a.is_current) for a in versions] == [(1, False), (2, True)]
    assert shape(versions[1].geometry).equals(shape(wider))
    # …and a file polygon that leaves out the grid it carries is refused whatever is stored.
    data["features"][0]["geometry"] = C2_SQUARE
    errors = refused(data)
    assert len(errors) == 1 and errors[0].startswith("feature 2 (S-C2-E") and "feature 1 (S-C2" in errors[0]


def test_a_community_outside_its_streets_stored_polygon_is_refused(region):
    do_draw_area_boundary(region.street, square(116.30, 39.90, 116.34, 39.91), actor=None)
    data = collection(feature(["Test street", "Community 3"], "community", "S-C3", FAR_AWAY))
    errors = refused(data)
    assert errors == [
        "feature 1 (S-C3 Community 3): does not lie within the stored boundary of its street Test street (S)."
    ]
    data = collection(
        feature(["Test street", "Community 3"], "community", "S-C3", square(116.33, 39.90, 116.34, 39.91))
    )
    assert import_territory(data, actor=None).area_boundaries_drawn == 1


def test_a_street_polygon_in_the_file_checks_its_communities(region):
    do_draw_area_boundary(region.c2, C2_SQUARE, actor=None)
    street = square(116.30, 39.90, 116.33, 39.91)  # holds Community 1 and Grid C, not all of Community 2
    data = collection(
        feature(["Test street"], "street", "S", street),
        feature(["Test street", "Community 1"], "community", "S-C1", square(116.30, 39.90, 116.32, 39.91)),
    )
    errors = refused(data)
    assert errors == [
        "feature 1 (S Test street): community Community 2 (S-C2) in the database does not lie within "
        "this street."
    ]
    data["features"].append(feature(["Test street", "Community 3"], "community", "S-C3", FAR_AWAY))
    errors = refused(data)
    assert "feature 3 (S-C3 Community 3): does not lie within its street feature 1 (S Test street)." in errors


def test_a_stored_polygon_refusal_speaks_chinese_by_default(region):
    from django.utils import translation

    do_draw_area_boundary(region.c2, C2_SQUARE, actor=None)
    with translation.override("zh-hans"):
        errors = refused(collection(far_grid()))
    assert errors == ["第 1 个要素 (S-C2-X Grid X): 不在所属社区“Community 2”（S-C2）已存边界的范围内。"]


def test_swapping_territory_between_siblings_in_one_file_is_accepted(region):
    # Checked against the final layout: drawn one by one, A's new square would overlap B's old one.
    data = collection(
        feature(
            ["Test street", "Community 1", "Grid A"], "grid", "S-C1-A", square(116.300, 39.90, 116.315, 39.91)
        ),
        feature(
            ["Test street", "Community 1", "Grid B"], "grid", "S-C1-B", square(116.315, 39.90, 116.320, 39.91)
        ),
    )
    assert import_territory(data, actor=None).boundaries_drawn == 2
    assert locate(39.905, 116.312) == region.grid_a


@pytest.mark.parametrize(
    "bad,needle",
    [
        ({"type": "Feature"}, "properties"),
        (feature([], "grid", "X"), "path"),
        (feature(["Test street", "Community 1", "Grid X"], "village", "X"), "kind"),
        (feature(["Test street", "Community 1", "Grid X"], "grid", ""), "code"),
        (feature(["Test street", "Nowhere", "Grid X"], "grid", "X"), "Nowhere"),
        (feature(["Test street", "Grid X"], "grid", "X"), "cannot stand under"),
        (feature(["Other street", "Community 1"], "community", "S-C1"), "another parent"),
        (feature(["Test street", "Community 1"], "community", "S-C2"), "node S-C1 already has that name"),
        (feature(["Test street", "Community 1", "Grid A"], "grid", "NEW-CODE"), "S-C1-A"),
        (
            feature(
                ["Test street", "Community 1", "Grid A"],
                "grid",
                "S-C1-A",
                {"type": "Point", "coordinates": [1, 2]},
            ),
            "Polygon",
        ),
    ],
)
def test_malformed_features_are_refused(region, bad, needle):
    errors = refused(collection(bad))
    assert any(needle in error for error in errors), errors
    assert all(error.startswith("feature 1") for error in errors)


def test_not_a_feature_collection_is_refused(db):
    assert refused({"type": "Feature"}) == ["The file is not a GeoJSON FeatureCollection."]


def test_command_refusal_exits_with_an_error_and_writes_nothing(region, tmp_path):
    data = collection(
        feature(
            ["Test street", "Community 2", "Grid E"], "grid", "S-C2-E", square(116.325, 39.90, 116.34, 39.91)
        )
    )
    before = snapshot()
    with pytest.raises(CommandError) as info:
        call_command("territory", "import", str(write(tmp_path, data)))
    assert "nothing was written" in str(info.value) and "S-C2-E" in str(info.value)
    assert info.value.returncode == 1
    assert snapshot() == before


def test_zhili_command_line_exits_1_on_a_refused_file(region, tmp_path, capsys):
    from zhili.cli import main

    path = write(tmp_path, collection(feature(["Test street", "Nowhere", "Grid X"], "grid", "X")))
    with pytest.raises(SystemExit) as info:
        main(["territory", "import", str(path)])
    assert info.value.code == 1
    assert "Nowhere" in capsys.readouterr().err


def test_command_refuses_unreadable_files_and_unknown_actors(region, tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("territory", "import", str(bad))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("territory", "import", str(tmp_path / "missing.geojson"))
    with pytest.raises(CommandError, match="no user"):
        call_command("territory", "import", str(bad), "--actor", "ghost")


# Export and the round trip ------------------------------------------------------------------------


def tree_of():
    nodes = {n.pk: n for n in Node.objects.all()}
    return {
        n.code: (n.kind, tuple(nodes[pk].name for pk in n.ancestors()), n.parent.code if n.parent else None)
        for n in nodes.values()
    }


def geometries_of():
    return {
        b.grid.code: shape(b.geometry)
        for b in GridBoundary.objects.filter(is_current=True).select_related("grid")
    }


def areas_of():
    return {
        a.node.code: shape(a.geometry)
        for a in AreaBoundary.objects.filter(is_current=True).select_related("node")
    }


def wipe_territory():
    """Empty the territory tables. Raw deletes: the ORM's cascade collector would also visit every
    other app's tables that point at nodes, which this test has no business with."""
    GridBoundary.objects.all()._raw_delete(GridBoundary.objects.db)
    AreaBoundary.objects.all()._raw_delete(AreaBoundary.objects.db)
    Node.objects.all()._raw_delete(Node.objects.db)


def test_export_then_import_into_an_empty_database_gives_the_same_tree_and_geometries(db, tmp_path):
    from zhili.territory.actions import do_create_node, do_draw_boundary

    import_territory(NEW_DISTRICT, actor=None)
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            square(116.40, 39.90, 116.405, 39.91)["coordinates"],
            square(116.407, 39.90, 116.41, 39.91)["coordinates"],
        ],
    }
    street = do_create_node(kind="street", name="第二街道", code="S2", parent=None, actor=None)
    community = do_create_node(kind="community", name="东社区", code="S2-E", parent=street, actor=None)
    grid = do_create_node(kind="grid", name="东一网格", code="S2-E-1", parent=community, actor=None)
    do_create_node(kind="grid", name="未划界网格", code="S2-E-2", parent=community, actor=None)
    do_draw_boundary(grid, square(116.40, 39.90, 116.41, 39.91), actor=None)
    do_draw_boundary(grid, multi, actor=None)  # version 2 is what gets exported
    do_draw_area_boundary(street, square(116.39, 39.89, 116.42, 39.92), actor=None)
    do_draw_area_boundary(community, square(116.40, 39.90, 116.411, 39.91), actor=None)
    do_draw_area_boundary(community, square(116.40, 39.90, 116.41, 39.91), actor=None)  # version 2
    tree, geometries, areas = tree_of(), geometries_of(), areas_of()
    assert areas.keys() == {"110108001001", "S2", "S2-E"}
    out = tmp_path / "all.geojson"
    call_command("territory", "export", "-o", str(out))
    assert AuditEvent.objects.filter(action=AuditAction.TERRITORY_EXPORTED).count() == 1
    exported = {f["properties"]["code"]: f for f in json.loads(out.read_text(encoding="utf-8"))["features"]}
    assert exported["S2-E"]["properties"]["boundary_version"] == 2
    assert shape(exported["S2-E"]["geometry"]).equals(areas["S2-E"])
    assert exported["S2-E-2"]["geometry"] is None and exported["110108"]["geometry"] is None

    wipe_territory()
    assert not Node.objects.exists()
    call_command("territory", "import", str(out))
    assert tree_of() == tree
    assert len(tree) == 9
    restored = geometries_of()
    assert restored.keys() == geometries.keys() == {"G1", "G2", "S2-E-1"}
    assert all(restored[code].equals(geometries[code]) for code in geometries)
    assert restored["S2-E-1"].geom_type == "MultiPolygon"
    restored_areas = areas_of()
    assert restored_areas.keys() == areas.keys()
    assert all(restored_areas[code].equals(areas[code]) for code in areas)


def test_export_writes_a_stored_community_polygon(region):
    do_draw_area_boundary(region.c2, C2_SQUARE, actor=None)
    by_code = {f["properties"]["code"]: f for f in export_territory(actor=None)["features"]}
    assert by_code["S-C2"]["geometry"] == C2_SQUARE
    assert by_code["S-C2"]["properties"]["boundary_version"] == 1
    assert by_code["S-C1"]["geometry"] is None and "boundary_version" not in by_code["S-C1"]["properties"]
    assert by_code["S-C2-C"]["geometry"] == GRID_SQUARES["C"]


def test_export_of_a_subtree_carries_its_ancestors_without_geometry(region):
    data = export_territory(actor=None, root=region.c1)
    codes = [f["properties"]["code"] for f in data["features"]]
    assert codes == ["S", "S-C1", "S-C1-A", "S-C1-B"]
    by_code = {f["properties"]["code"]: f for f in data["features"]}
    assert by_code["S"]["geometry"] is None
    assert by_code["S-C1-A"]["geometry"] == GRID_SQUARES["A"]
    assert by_code["S-C1-A"]["properties"]["path"] == ["Test street", "Community 1", "Grid A"]
    event = AuditEvent.objects.get(action=AuditAction.TERRITORY_EXPORTED)
    assert event.node_id == region.c1.pk and event.details["features"] == 4


def test_export_command_writes_to_stdout_and_refuses_unknown_nodes(region, capsys):
    call_command("territory", "export", "--node", "T")
    data = json.loads(capsys.readouterr().out)
    assert [f["properties"]["code"] for f in data["features"]] == ["T", "T-D1", "T-D1-D"]
    with pytest.raises(CommandError, match="no node"):
        call_command("territory", "export", "--node", "NOPE")


def test_refusals_speak_chinese_by_default(db):
    data = copy.deepcopy(NEW_DISTRICT)
    data["features"][4]["geometry"] = square(116.55, 40.0, 116.61, 40.1)
    from django.utils import translation

    with translation.override("zh-hans"):
        errors = refused(data)
    assert errors[0].startswith("第 5 个要素 (G2 二网格)")
    assert "不在所属社区" in errors[0]
