"""Django's admin site: a superuser's tool for repairs, not the product's staff management.

Posts (memberships) are granted and revoked only through the staff pages, whose actions check
scope and write the audit log; here they are read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import pgettext_lazy

from zhili.accounts.models import Department, Membership, User


def _superuser_only(request: HttpRequest) -> bool:
    # Django lets any is_staff user in; here is_staff grants nothing, staff scope comes from posts.
    user: Any = request.user
    return bool(user.is_active and user.is_superuser)


admin.site.has_permission = _superuser_only  # type: ignore[method-assign]


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ("role", "node", "active", "granted_by", "granted_at")
    readonly_fields = ("role", "node", "active", "granted_by", "granted_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "department", "is_active", "is_superuser", "last_login"]
    list_filter = ["is_active", "is_superuser", "department"]
    search_fields = ["username", "display_name"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (pgettext_lazy("admin section", "Organisation"), {"fields": ["display_name", "department"]}),
    )
    inlines = [MembershipInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "node"]
    search_fields = ["code", "name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "node", "active", "granted_by", "granted_at"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "user__display_name", "node__name", "node__code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
