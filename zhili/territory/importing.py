"""Territory as GeoJSON: import (nodes + grid boundaries) and export, for the command line and pages.

The format is a FeatureCollection. Every feature is one node::

    {"type": "Feature",
     "properties": {"path": ["某区", "某街道", "某社区", "某网格"], "kind": "grid", "code": "110105001001",
                    "name": "某网格"},
     "geometry": {"type": "Polygon", "coordinates": [...]} | null}

``path`` names the node and its ancestors from the root; ``name`` (optional) must equal the last
element. Nodes are matched by ``code``: a known code with another name is a rename, an unknown code is
a new node. Every ancestor along a path must exist in the database or be a feature of the same file.
Grid geometries become boundary versions (GridBoundary), street and community geometries become
polygon versions (AreaBoundary); an unchanged shape adds no version. District geometries are
validated and otherwise ignored.

A grid must lie within its community's polygon and a community within its street's: the polygon the
file carries for the parent, otherwise the parent's stored current one; with neither, nothing is
checked. A new parent polygon must also hold the children in the database that the file leaves out.

Import validates the whole file against the final layout before writing anything, then writes in one
transaction: a refused file changes nothing. Authorisation is the caller's business (the command
line is run by the operator; a page must check Action.MANAGE_TERRITORY first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError
from zhili.territory.actions import (
    AREA_KINDS,
    current_area,
    do_create_node,
    do_rename_node,
    write_area_boundary,
    write_boundary,
)
from zhili.territory.geometry import lies_within, overlaps, parse_boundary
from zhili.territory.models import CHILD_KIND, AreaBoundary, GridBoundary, Node, NodeKind

ROOT_KINDS = (NodeKind.DISTRICT, NodeKind.STREET)
MAX_FEATURES = 100_000


class TerritoryImportError(DomainError):
    """The file was refused; ``errors`` lists every problem found, each naming its feature."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("territory_import_refused", "\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    features: int = 0
    nodes_created: int = 0
    nodes_renamed: int = 0
    boundaries_drawn: int = 0
    boundaries_unchanged: int = 0
    # Street and community polygons; "boundaries" above are grid boundaries only.
    area_boundaries_drawn: int = 0
    area_boundaries_unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Feature:
    index: int  # 1-based position in the file, as people count
    path: tuple[str, ...]
    kind: NodeKind
    code: str
    geometry: BaseGeometry | None
    existing: Node | None = None
    db_parent: Node | None = None  # set when the parent is not itself in the file
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def parent_key(self) -> tuple[str, ...]:
        return self.path[:-1]


def _label(index: int, props: Any) -> str:
    props = props if isinstance(props, dict) else {}
    bits = [str(props.get(key))[:40] for key in ("code", "name") if props.get(key)]
    if not props.get("name") and isinstance(props.get("path"), list) and props["path"]:
        bits.append(str(props["path"][-1])[:40])
    return _("feature %(index)s") % {"index": index} + (f" ({' '.join(bits)})" if bits else "")


def _feature_label(feature: _Feature) -> str:
    return _label(feature.index, {"code": feature.code, "name": feature.name})


def _parse_features(data: Any, errors: list[str]) -> list[_Feature]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        errors.append(_("The file is not a GeoJSON FeatureCollection."))
        return []
    raw_features = data.get("features")
    if not isinstance(raw_features, list):
        errors.append(_("The FeatureCollection has no list of features."))
        return []
    if len(raw_features) > MAX_FEATURES:
        errors.append(_("Too many features (at most %(max)s).") % {"max": MAX_FEATURES})
        return []
    parsed: list[_Feature] = []
    for index, raw in enumerate(raw_features, start=1):
        props = raw.get("properties") if isinstance(raw, dict) else None
        label = _label(index, props)

        def refuse(message: str, label: str = label) -> None:
            errors.append(f"{label}: {message}")

        if not isinstance(raw, dict) or raw.get("type") != "Feature" or not isinstance(props, dict):
            refuse(_("not a GeoJSON Feature with properties."))
            continue
        path = props.get("path")
        if (
            not isinstance(path, list)
            or not path
            or not all(isinstance(part, str) and part.strip() and len(part.strip()) <= 100 for part in path)
        ):
            refuse(_("“path” must be a list of names (each 1–100 characters) from the root to the node."))
            continue
        names = tuple(part.strip() for part in path)
        if props.get("name") not in (None, "") and str(props["name"]).strip() != names[-1]:
            refuse(_("“name” differs from the last element of “path”."))
            continue
        kind = props.get("kind")
        if kind not in NodeKind.values:
            refuse(_("“kind” must be one of %(kinds)s.") % {"kinds": ", ".join(NodeKind.values)})
            continue
        code = props.get("code")
        if not isinstance(code, str) or not code.strip() or len(code.strip()) > 32:
            refuse(_("“code” must be a text of 1–32 characters."))
            continue
        geometry: BaseGeometry | None = None
        if raw.get("geometry") is not None:
            try:
                geometry = parse_boundary(raw["geometry"])
            except DomainError as exc:
                refuse(exc.message)
                continue
        parsed.append(_Feature(index, names, NodeKind(kind), code.strip(), geometry))
    return parsed


def _resolve_nodes(features: list[_Feature], errors: list[str]) -> dict[tuple[str, ...], _Feature]:
    """Match features to existing nodes and parents; refuse moves, kind changes and name clashes."""
    by_path: dict[tuple[str, ...], _Feature] = {}
    by_code: dict[str, _Feature] = {}
    for feature in features:
        if feature.path in by_path:
            other = by_path[feature.path]
            errors.append(
                f"{_feature_label(feature)}: "
                + _("the same path as %(other)s.") % {"other": _feature_label(other)}
            )
            continue
        if feature.code in by_code:
            other = by_code[feature.code]
            errors.append(
                f"{_feature_label(feature)}: "
                + _("the same code as %(other)s.") % {"other": _feature_label(other)}
            )
            continue
        by_path[feature.path] = feature
        by_code[feature.code] = feature

    existing = {node.code: node for node in Node.objects.filter(code__in=list(by_code))}
    db_walk: dict[tuple[str, ...], Node | None] = {}

    def db_node_at(path: tuple[str, ...]) -> Node | None:
        # Walk the database tree by names, root first; memoised because siblings share parents.
        if path not in db_walk:
            parent = db_node_at(path[:-1]) if len(path) > 1 else None
            if len(path) > 1 and parent is None:
                db_walk[path] = None
            else:
                db_walk[path] = Node.objects.filter(parent=parent, name=path[-1]).first()
        return db_walk[path]

    for feature in sorted(by_path.values(), key=lambda f: len(f.path)):
        label = _feature_label(feature)
        feature.existing = existing.get(feature.code)
        parent_kind: NodeKind | None = None
        parent_node: Node | None = None  # the existing parent, when it already exists
        if not feature.parent_key:
            if feature.kind not in ROOT_KINDS:
                errors.append(f"{label}: " + _("only a district or a street can stand at the root."))
                continue
        elif feature.parent_key in by_path:
            parent_feature = by_path[feature.parent_key]
            parent_kind, parent_node = parent_feature.kind, parent_feature.existing
        else:
            parent_node = db_node_at(feature.parent_key)
            if parent_node is None:
                errors.append(
                    f"{label}: "
                    + _("its parent %(path)s is neither in the database nor in the file.")
                    % {"path": " / ".join(feature.parent_key)}
                )
                continue
            parent_kind = NodeKind(parent_node.kind)
            feature.db_parent = parent_node
        if parent_kind is not None and CHILD_KIND.get(parent_kind) != feature.kind:
            errors.append(
                f"{label}: "
                + _("a %(kind)s cannot stand under a %(parent)s.")
                % {"kind": feature.kind.label, "parent": parent_kind.label}
            )
            continue
        node = feature.existing
        if node is not None:
            if node.kind != feature.kind:
                errors.append(
                    f"{label}: "
                    + _("code %(code)s is a %(kind)s in the database.")
                    % {"code": node.code, "kind": NodeKind(node.kind).label}
                )
            elif node.parent_id != (parent_node.pk if parent_node else None):
                errors.append(
                    f"{label}: "
                    + _(
                        "code %(code)s stands under another parent in the database; "
                        "moving nodes is not supported."
                    )
                    % {"code": node.code}
                )
            elif node.name != feature.name:
                clash = (
                    Node.objects.filter(parent_id=node.parent_id, name=feature.name)
                    .exclude(pk=node.pk)
                    .first()
                )
                if clash is not None and (
                    clash.code not in by_code or by_code[clash.code].name == clash.name
                ):
                    errors.append(
                        f"{label}: "
                        + _("cannot rename to %(name)s: node %(code)s already has that name.")
                        % {"name": feature.name, "code": clash.code}
                    )
        elif parent_node is not None or not feature.parent_key:
            clash = Node.objects.filter(parent=parent_node, name=feature.name).first()
            if clash is not None and clash.code not in by_code:
                errors.append(
                    f"{label}: "
                    + _("node %(code)s already has this name and path; use its code to update it.")
                    % {"code": clash.code}
                )
    return by_path


def _community_key(feature: _Feature) -> tuple[str, Any]:
    return ("db", feature.db_parent.pk) if feature.db_parent is not None else ("file", feature.parent_key)


def _check_geometries(by_path: dict[tuple[str, ...], _Feature], errors: list[str]) -> None:
    grids = [f for f in by_path.values() if f.kind == NodeKind.GRID]
    # Final layout of each community: the file's grids, plus the current boundaries of its grids in
    # the database that the file leaves alone.
    layout: dict[tuple[str, Any], list[tuple[str, BaseGeometry]]] = {}
    for feature in grids:
        parent = by_path.get(feature.parent_key)
        community = feature.db_parent or (parent.existing if parent else None)
        key = _community_key(feature)
        if key not in layout:
            layout[key] = []
            if community is not None:
                kept = (
                    GridBoundary.objects.filter(grid__parent=community, is_current=True)
                    .exclude(grid__code__in=[f.code for f in grids])
                    .select_related("grid")
                    .order_by("grid_id")
                )
                for boundary in kept:
                    layout[key].append(
                        (
                            _("grid %(name)s (%(code)s) in the database")
                            % {"name": boundary.grid.name, "code": boundary.grid.code},
                            shape(boundary.geometry),
                        )
                    )
        if feature.geometry is not None:
            layout[key].append((_feature_label(feature), feature.geometry))
        elif feature.existing is not None:
            current = GridBoundary.objects.filter(grid=feature.existing, is_current=True).first()
            if current is not None:
                layout[key].append((_feature_label(feature), shape(current.geometry)))

    for members in layout.values():
        for i, (label_a, geom_a) in enumerate(members):
            for label_b, geom_b in members[i + 1 :]:
                if overlaps(geom_a, geom_b):
                    first, second = sorted((label_a, label_b))
                    errors.append(f"{second}: " + _("overlaps %(other)s.") % {"other": first})

    stored_areas: dict[int, BaseGeometry | None] = {}  # siblings share their parent's polygon

    def stored_area(node: Node) -> BaseGeometry | None:
        if node.pk not in stored_areas:
            stored_areas[node.pk] = current_area(node.pk)
        return stored_areas[node.pk]

    for feature in by_path.values():
        if feature.kind in (NodeKind.GRID, NodeKind.COMMUNITY):
            _check_within_parent(feature, by_path, errors, stored_area)
    # Children in the database that the file does not mention must fit a new polygon too: the grids
    # of a community, the (stored) polygons of a street's communities.
    codes = {f.code for f in by_path.values()}
    for area_feature in by_path.values():
        if area_feature.geometry is None or area_feature.existing is None:
            continue
        if area_feature.kind == NodeKind.COMMUNITY:
            grid_rows = (
                GridBoundary.objects.filter(grid__parent=area_feature.existing, is_current=True)
                .exclude(grid__code__in=codes)
                .select_related("grid")
                .order_by("grid_id")
            )
            children = [(b.grid, b.geometry) for b in grid_rows]
            message = _("grid %(name)s (%(code)s) in the database does not lie within this community.")
        elif area_feature.kind == NodeKind.STREET:
            area_rows = (
                AreaBoundary.objects.filter(node__parent=area_feature.existing, is_current=True)
                .exclude(node__code__in=codes)
                .select_related("node")
                .order_by("node_id")
            )
            children = [(a.node, a.geometry) for a in area_rows]
            message = _("community %(name)s (%(code)s) in the database does not lie within this street.")
        else:
            continue
        for child, geometry in children:
            if not lies_within(shape(geometry), area_feature.geometry):
                names = {"name": child.name, "code": child.code}
                errors.append(f"{_feature_label(area_feature)}: " + message % names)


def _check_within_parent(
    feature: _Feature,
    by_path: dict[tuple[str, ...], _Feature],
    errors: list[str],
    stored_area: Callable[[Node], BaseGeometry | None],
) -> None:
    """A grid must lie within its community's polygon, a community within its street's: the polygon
    the file carries for the parent, otherwise the parent's stored current one. With neither, there
    is nothing to check against."""
    parent_feature = by_path.get(feature.parent_key)
    if parent_feature is not None and parent_feature.geometry is not None:
        outer = parent_feature.geometry
        # The parent's polygon is new: the feature's current shape must fit it even when the file
        # does not redraw the feature.
        geom = feature.geometry
        if geom is None and feature.existing is not None:
            geom = _stored_shape(feature.existing)
        if feature.kind == NodeKind.GRID:
            message = _("does not lie within its community %(community)s.") % {
                "community": _feature_label(parent_feature)
            }
        else:
            message = _("does not lie within its street %(street)s.") % {
                "street": _feature_label(parent_feature)
            }
    else:
        parent_node = feature.db_parent or (parent_feature.existing if parent_feature else None)
        stored = stored_area(parent_node) if parent_node is not None else None
        # The stored polygon already holds what the database has: only shapes the file draws count.
        if stored is None or feature.geometry is None or parent_node is None:
            return
        outer, geom = stored, feature.geometry
        names = {"name": parent_node.name, "code": parent_node.code}
        if feature.kind == NodeKind.GRID:
            message = (
                _("does not lie within the stored boundary of its community %(name)s (%(code)s).") % names
            )
        else:
            message = _("does not lie within the stored boundary of its street %(name)s (%(code)s).") % names
    if geom is not None and not lies_within(geom, outer):
        errors.append(f"{_feature_label(feature)}: {message}")


def _stored_shape(node: Node) -> BaseGeometry | None:
    """The node's current stored shape: its grid boundary, or its street/community polygon."""
    if node.kind == NodeKind.GRID:
        grid = GridBoundary.objects.filter(grid=node, is_current=True).first()
        return shape(grid.geometry) if grid is not None else None
    return current_area(node.pk)


def validate_territory(data: Any) -> dict[tuple[str, ...], _Feature]:
    """Check a FeatureCollection against the database; raise TerritoryImportError listing every problem."""
    errors: list[str] = []
    features = _parse_features(data, errors)
    by_path = _resolve_nodes(features, errors) if not errors else {}
    if not errors:
        _check_geometries(by_path, errors)
    if errors:
        raise TerritoryImportError(errors)
    return by_path


def import_territory(data: Any, *, actor: Any, source: str = "") -> ImportResult:
    """Validate, then create/rename nodes and draw changed boundaries, all in one transaction."""
    try:
        with transaction.atomic():
            # Serialise with boundary redraws (they lock community rows) and other imports.
            list(Node.objects.select_for_update().filter(kind=NodeKind.COMMUNITY).order_by("pk"))
            by_path = validate_territory(data)
            return _write(by_path, actor=actor, source=source)
    except TerritoryImportError:
        raise
    except DomainError as exc:
        raise TerritoryImportError([exc.message]) from None
    except IntegrityError as exc:
        # e.g. two siblings swapping names in one file: the constraint sees the halfway state.
        raise TerritoryImportError(
            [_("The database refused the import: %(error)s") % {"error": exc}]
        ) from None


def _write(by_path: dict[tuple[str, ...], _Feature], *, actor: Any, source: str) -> ImportResult:
    result = ImportResult(features=len(by_path))
    now = timezone.now()
    nodes: dict[tuple[str, ...], Node] = {}
    for feature in sorted(by_path.values(), key=lambda f: (len(f.path), f.index)):
        node = feature.existing
        if node is not None:
            if node.name != feature.name:
                do_rename_node(node, feature.name, actor=actor)
                result.nodes_renamed += 1
        else:
            parent = feature.db_parent or nodes.get(feature.parent_key)
            node = do_create_node(
                kind=feature.kind, name=feature.name, code=feature.code, parent=parent, actor=actor
            )
            result.nodes_created += 1
        nodes[feature.path] = node
        if feature.kind == NodeKind.GRID and feature.geometry is not None:
            current = GridBoundary.objects.filter(grid=node, is_current=True).first()
            if current is not None and shape(current.geometry).equals(feature.geometry):
                result.boundaries_unchanged += 1
            else:
                write_boundary(node, feature.geometry, actor=actor, note=_("imported"), now=now)
                result.boundaries_drawn += 1
        elif feature.kind in AREA_KINDS and feature.geometry is not None:
            stored = current_area(node.pk)
            if stored is not None and stored.equals(feature.geometry):
                result.area_boundaries_unchanged += 1
            else:
                write_area_boundary(node, feature.geometry, actor=actor, note=_("imported"), now=now)
                result.area_boundaries_drawn += 1
    roots = {path[0] for path in by_path}
    root_node = nodes.get((next(iter(roots)),)) if len(roots) == 1 else None
    record_audit(
        AuditAction.TERRITORY_IMPORTED,
        actor=actor,
        target=None,
        node=root_node,
        details={"source": source[:200], **result.as_dict()},
    )
    return result


# Export -------------------------------------------------------------------------------------------


def export_territory(*, actor: Any, root: Node | None = None) -> dict[str, Any]:
    """The tree (or ``root``'s subtree plus its ancestors, so that the file imports into an empty
    database) with the current grid boundaries and street/community polygons, in the import format."""
    if root is None:
        nodes = list(Node.objects.order_by("sort_key"))
    else:
        nodes = list(
            Node.objects.filter(Q(pk__in=root.ancestors()) | Q(path__startswith=root.path)).order_by(
                "sort_key"
            )
        )
    names = {node.pk: node.name for node in nodes}
    node_ids = [n.pk for n in nodes]
    boundaries: dict[int, GridBoundary | AreaBoundary] = {
        b.grid_id: b for b in GridBoundary.objects.filter(is_current=True, grid__in=node_ids)
    }
    boundaries.update({a.node_id: a for a in AreaBoundary.objects.filter(is_current=True, node__in=node_ids)})
    features = []
    for node in nodes:
        props: dict[str, Any] = {
            "path": [names[pk] for pk in node.ancestors()],
            "kind": node.kind,
            "code": node.code,
            "name": node.name,
        }
        boundary = boundaries.get(node.pk)
        if boundary is not None:
            props["boundary_version"] = boundary.version
        features.append(
            {"type": "Feature", "properties": props, "geometry": boundary.geometry if boundary else None}
        )
    with transaction.atomic():
        record_audit(
            AuditAction.TERRITORY_EXPORTED,
            actor=actor,
            target=None,
            node=root,
            details={"features": len(features), "root": root.code if root else None},
        )
    return {"type": "FeatureCollection", "features": features}
