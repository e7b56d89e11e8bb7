"""The navigation bar: each entry shows only to the roles that can use it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhili.accounts.roles import Role
from zhili.authz.policies import roles_of

# (label, url name, roles that see it; empty = every logged-in staff user)
NAV_ENTRIES: list[tuple[Any, str, frozenset[str]]] = [
    (_("Home"), "core:home", frozenset()),
    (_("Grid map"), "territory:map", frozenset()),
    (_("Cases"), "cases:list", frozenset(Role) - {Role.AUDITOR, Role.ADMIN, Role.PARTY_SECRETARY}),
    (_("Residents"), "residents:search", frozenset(Role) - {Role.AUDITOR, Role.ADMIN}),
    (_("Elections"), "participation:elections", frozenset(Role) - {Role.AUDITOR}),
    (_("Audit log"), "audit:events", frozenset({Role.AUDITOR})),
    (_("Staff"), "accounts:staff_list", frozenset({Role.ADMIN})),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entries": []}
    # The same cached memberships that every scope check of this request uses: no extra query.
    roles = roles_of(user)
    entries = []
    for label, url_name, allowed in NAV_ENTRIES:
        if allowed and not (roles & allowed):
            continue
        url = reverse(url_name)
        entries.append({"label": label, "url": url, "active": request.path == url})
    return {"nav_entries": entries, "user_roles": sorted(roles)}
