"""The territory tree: district → street → community → grid, buildings and households below grids.

Subtree queries use a materialised path of ids (``/1/5/23/``): ``path__startswith`` is one indexed
range scan on SQLite and PostgreSQL, and every scope check in the product reduces to it.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class NodeKind(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", pgettext_lazy("territory level", "Community")
    GRID = "grid", _("Grid")


# Which kind of node may stand under which.
CHILD_KIND = {
    NodeKind.DISTRICT: NodeKind.STREET,
    NodeKind.STREET: NodeKind.COMMUNITY,
    NodeKind.COMMUNITY: NodeKind.GRID,
}


def tree_key(path: str) -> str:
    """A key whose text order is the tree's: parents before children, siblings by id.

    Paths themselves sort as text, which puts "/1/2/10/" before "/1/2/4/" (a community's 7th grid
    created last, id 10, before its 1st)."""
    return "".join(f"{int(part):010d}/" for part in path.strip("/").split("/") if part)


class Node(models.Model):
    kind = models.CharField(
        pgettext_lazy("territory level", "Level"), max_length=16, choices=NodeKind.choices
    )
    name = models.CharField(_("Name"), max_length=100)
    code = models.CharField(_("Code"), max_length=32, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("Parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # "/<root id>/…/<own id>/", set by territory.actions when the node is created.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    # tree_key(path), kept with it by save(): order lists of nodes by this, not by path.
    sort_key = models.CharField(max_length=255, default="", editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Territory node")
        verbose_name_plural = _("Territory node")
        ordering = ["sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="territory_node_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sort_key = tree_key(self.path)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "path" in update_fields:
            kwargs["update_fields"] = {*update_fields, "sort_key"}
        super().save(*args, **kwargs)

    def is_within(self, other: Node) -> bool:
        """True when this node is ``other`` or lies below it."""
        return self.path.startswith(other.path)

    def ancestors(self) -> list[int]:
        """Ids on the path from the root down to and including this node."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class VersionedBoundary(models.Model):
    """A polygon's version: redrawing closes the current one (valid_to) and adds the next."""

    version = models.PositiveIntegerField(_("Version"))
    geometry = models.JSONField(_("Boundary (GeoJSON)"))
    valid_from = models.DateTimeField(_("Valid from"))
    valid_to = models.DateTimeField(_("Valid to"), null=True, blank=True)
    is_current = models.BooleanField(_("Current"), default=True)
    note = models.CharField(_("Note"), max_length=200, blank=True)

    class Meta:
        abstract = True


class GridBoundary(VersionedBoundary):
    """One version of a grid's boundary. Redrawing adds a version; old versions stay for history."""

    grid = models.ForeignKey(
        Node, on_delete=models.PROTECT, related_name="boundaries", verbose_name=_("Grid")
    )

    class Meta:
        verbose_name = _("Grid boundary")
        verbose_name_plural = _("Grid boundary")
        ordering = ["grid_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "version"], name="territory_boundary_unique_version"),
            models.UniqueConstraint(
                fields=["grid"], condition=models.Q(is_current=True), name="territory_boundary_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grid} v{self.version}"


class AreaBoundary(VersionedBoundary):
    """One version of a street's or a community's polygon, versioned like GridBoundary.

    A sibling of GridBoundary rather than a generalisation of it: grid boundaries are what the
    locate index, the maps and building placement read, and those reads stay grid-only without a
    filter. An area polygon is what an import checks the grids (or communities) below it against.
    """

    node = models.ForeignKey(
        Node, on_delete=models.PROTECT, related_name="area_boundaries", verbose_name=_("Area")
    )

    class Meta:
        verbose_name = _("Area boundary")
        verbose_name_plural = _("Area boundary")
        ordering = ["node_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["node", "version"], name="territory_area_unique_version"),
            models.UniqueConstraint(
                fields=["node"], condition=models.Q(is_current=True), name="territory_area_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node} v{self.version}"


class BoundaryStamp(models.Model):
    """One row whose token changes, in the same transaction, whenever any grid boundary changes.

    Every web process keeps its own spatial index of the current boundaries (territory.locate) and
    compares this token, one primary-key read per lookup, to know when to rebuild it. A random token
    rather than a counter: a rolled-back transaction can restore an old counter value that some
    process already saw with different boundaries, but never a token it generated afresh.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Boundary stamp")
        verbose_name_plural = _("Boundary stamp")

    def __str__(self) -> str:
        return self.token


class Building(models.Model):
    grid = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("Grid"))
    # The boundary version the building was placed under; a later redraw does not move it silently.
    boundary = models.ForeignKey(
        GridBoundary,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Boundary version"),
    )
    name = models.CharField(_("Building"), max_length=100)
    address = models.CharField(_("Address"), max_length=200, db_index=True)
    # The address folded by territory.addresses.normalise_address (no spaces, half-width, lower case):
    # what people type rarely matches the registry character for character.
    address_key = models.CharField(max_length=200, db_index=True, editable=False, default="")
    lat = models.FloatField(_("Latitude"), null=True, blank=True)
    lng = models.FloatField(_("Longitude"), null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("Floors"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Building")
        verbose_name_plural = _("Building")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address


class Household(models.Model):
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="households", verbose_name=_("Building")
    )
    number = models.CharField(_("Unit number"), max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Household")
        verbose_name_plural = _("Household")
        ordering = ["building_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="territory_household_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.building.address} {self.number}"
