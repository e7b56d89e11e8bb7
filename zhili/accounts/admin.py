"""Django's admin site: a superuser's tool for repairs, and the administrators' configuration pages.

Who may enter is decided here, never by ``is_staff`` (which grants nothing in this product: staff
scope comes from posts):

- a superuser sees everything registered, for repairs;
- a holder of an active ADMIN post (系统管理员) at a root of the territory sees only the models whose
  admin is a ``ConfigurationAdmin`` (the loop's categories, dispatch rules and SLA policies: cases/admin.py),
  whatever Django permissions the account may carry; every other admin page answers 403.

Posts (memberships) are granted and revoked only through the staff pages, whose actions check
scope and write the audit log; here they are read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import pgettext_lazy

from zhili.accounts.models import Department, Membership, User
from zhili.accounts.roles import Role
from zhili.authz.policies import role_paths


def can_configure(user: Any) -> bool:
    """A superuser, or an active user holding an active ADMIN post at a root node: may edit the
    configuration.

    The configuration is global (it routes and times every case of every street), so an ADMIN post
    granted lower down (a street's or a community's administrator) does not open it."""
    if user is None or not getattr(user, "is_active", False):
        return False
    if user.is_superuser:
        return True
    # A root node (parent None) is the one whose path holds its own id only: "/<id>/". The paths
    # come from the per-request membership cache that every scope check uses: no extra query.
    return any(path.count("/") == 2 for path in role_paths(user, Role.ADMIN))


class ConfigurationAdmin(admin.ModelAdmin):
    """The admin of a model that administrators configure: the ADMIN post stands in for Django's
    per-model permissions (the product grants none)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_configure(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_configure(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_configure(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_configure(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_configure(request.user)


# Pages of the site itself that an administrator (not a superuser) may open, besides the pages of
# the configuration models: the index and an app's index list only those models (see _app_list).
_ADMINISTRATOR_SITE_PAGES = frozenset({"index", "app_list", "login", "logout", "jsi18n"})


def _site_access(request: HttpRequest) -> bool:
    """Replaces ``AdminSite.has_permission`` (Django lets any ``is_staff`` user in)."""
    user: Any = request.user
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not can_configure(user):
        return False
    match = request.resolver_match
    if match is None:
        return False
    model_admin = getattr(match.func, "model_admin", None)  # set on every ModelAdmin's views
    if isinstance(model_admin, ConfigurationAdmin):
        return True
    if model_admin is None and match.url_name in _ADMINISTRATOR_SITE_PAGES:
        return True
    # Signed in with the right post, but this page is not theirs: 403, not the login page.
    raise PermissionDenied


_django_app_list = admin.site.get_app_list


def _app_list(request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
    """An administrator's index lists the configuration models only."""
    apps = _django_app_list(request, app_label)
    user: Any = request.user
    if user.is_superuser:
        return apps
    kept = []
    for app in apps:
        models = [
            entry
            for entry in app["models"]
            if isinstance(admin.site.get_model_admin(entry["model"]), ConfigurationAdmin)
        ]
        if models:
            kept.append({**app, "models": models})
    return kept


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's own sign-in asks for the same as ``_site_access`` instead of ``is_staff``."""

    def confirm_login_allowed(self, user: Any) -> None:
        AuthenticationForm.confirm_login_allowed(self, user)  # active accounts only
        if not can_configure(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


admin.site.has_permission = _site_access  # type: ignore[method-assign]
admin.site.get_app_list = _app_list  # type: ignore[method-assign]
admin.site.login_form = AdminLoginForm
admin.site.site_header = admin.site.site_title = pgettext_lazy("admin site", "zhili · configuration")


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
