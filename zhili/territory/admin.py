"""Django admin as a viewing aid only: every write goes through territory.actions (audit, checks)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zhili.territory.models import AreaBoundary, Building, GridBoundary, Household, Node


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Node)
class NodeAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "code", "parent", "depth", "path")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    list_select_related = ("parent",)


@admin.register(GridBoundary)
class GridBoundaryAdmin(ReadOnlyAdmin):
    list_display = ("grid", "version", "is_current", "valid_from", "valid_to", "note")
    list_filter = ("is_current",)
    search_fields = ("grid__name", "grid__code")
    list_select_related = ("grid",)
    exclude = ("geometry",)
    readonly_fields = ("geometry_json",)

    @admin.display(description=_("Boundary (GeoJSON)"))
    def geometry_json(self, obj: GridBoundary) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.geometry, indent=1))


@admin.register(AreaBoundary)
class AreaBoundaryAdmin(ReadOnlyAdmin):
    list_display = ("node", "version", "is_current", "valid_from", "valid_to", "note")
    list_filter = ("is_current",)
    search_fields = ("node__name", "node__code")
    list_select_related = ("node",)
    exclude = ("geometry",)
    readonly_fields = ("geometry_json",)

    @admin.display(description=_("Boundary (GeoJSON)"))
    def geometry_json(self, obj: AreaBoundary) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.geometry, indent=1))


@admin.register(Building)
class BuildingAdmin(ReadOnlyAdmin):
    list_display = ("address", "name", "grid", "boundary", "lat", "lng")
    search_fields = ("address", "name")
    list_select_related = ("grid", "boundary__grid")


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "number", "building")
    search_fields = ("number", "building__address")
    list_select_related = ("building",)
