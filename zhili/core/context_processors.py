"""The navigation bar: each entry shows only to the roles that can use it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import pgettext_lazy

from zhili.accounts.admin import can_configure
from zhili.accounts.roles import Role
from zhili.authz.policies import roles_of
from zhili.notify.selectors import unread_count

LEADERS = frozenset({Role.LEADER, Role.SUPERVISOR, Role.COMMUNITY_STAFF})
OFFICE = frozenset(Role) - {Role.AUDITOR, Role.ADMIN, Role.RESIDENT}
PARTY_READERS = frozenset({Role.PARTY_SECRETARY, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.LEADER})


# (label, url name, roles that see it; empty = every logged-in user). The labels have a context of
# their own so that a menu word never changes the same word elsewhere (Emergency: 应急 here, 特急 as urgency).
NAV_ENTRIES: list[tuple[Any, str, frozenset[str]]] = [
    (pgettext_lazy("menu", "Home"), "core:home", frozenset()),
    (pgettext_lazy("menu", "Cockpit"), "analytics:cockpit", LEADERS),
    (pgettext_lazy("menu", "Big screen"), "analytics:screen", LEADERS),
    (pgettext_lazy("menu", "Grid map"), "territory:map", frozenset()),
    (
        pgettext_lazy("menu", "Cases"),
        "cases:list",
        frozenset(Role) - {Role.AUDITOR, Role.ADMIN, Role.PARTY_SECRETARY},
    ),
    (
        pgettext_lazy("menu", "Log a call"),
        "cases:hotline",
        frozenset({Role.DISPATCHER, Role.COMMUNITY_STAFF}),
    ),
    (pgettext_lazy("menu", "Report a problem"), "cases:new", frozenset({Role.RESIDENT})),
    (pgettext_lazy("menu", "Follow my request"), "cases:track", frozenset({Role.RESIDENT})),
    (pgettext_lazy("menu", "My grid"), "cases:field", frozenset({Role.GRID_WORKER})),
    (pgettext_lazy("menu", "Warnings"), "intelligence:warnings", LEADERS),
    (pgettext_lazy("menu", "Hotspots"), "intelligence:hotspots", LEADERS | {Role.DISPATCHER}),
    (
        pgettext_lazy("menu", "Classifier"),
        "intelligence:classifier",
        frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN}),
    ),
    (pgettext_lazy("menu", "Assessment"), "assessment:index", LEADERS),
    (pgettext_lazy("menu", "Emergency"), "emergency:alerts", OFFICE),
    (pgettext_lazy("menu", "Check tasks"), "emergency:tasks", frozenset({Role.GRID_WORKER})),
    (pgettext_lazy("menu", "Residents"), "residents:search", frozenset(Role) - {Role.AUDITOR, Role.ADMIN}),
    (pgettext_lazy("menu", "Surveys"), "surveys:list", LEADERS | {Role.PARTY_SECRETARY}),
    (pgettext_lazy("menu", "My surveys"), "surveys:mine", frozenset({Role.RESIDENT})),
    (
        pgettext_lazy("menu", "Consultations"),
        "consultations:topics",
        frozenset(Role) - {Role.AUDITOR, Role.ADMIN},
    ),
    (pgettext_lazy("menu", "Elections"), "participation:elections", frozenset(Role) - {Role.AUDITOR}),
    (
        pgettext_lazy("menu", "Disclosure"),
        "disclosure:list",
        LEADERS | {Role.PARTY_SECRETARY, Role.DISPATCHER},
    ),
    (pgettext_lazy("menu", "Notice board"), "disclosure:my_board", frozenset({Role.RESIDENT})),
    (pgettext_lazy("menu", "Party building"), "party:orgs", PARTY_READERS),
    (pgettext_lazy("menu", "Volunteer activities"), "party:volunteer", frozenset({Role.RESIDENT})),
    (
        pgettext_lazy("menu", "Proactive services"),
        "services:catalogue",
        frozenset({Role.ADMIN, Role.COMMUNITY_STAFF}),
    ),
    (pgettext_lazy("menu", "My service tasks"), "services:tasks", frozenset({Role.GRID_WORKER})),
    (
        pgettext_lazy("menu", "Outreach overview"),
        "services:overview",
        frozenset({Role.COMMUNITY_STAFF, Role.LEADER}),
    ),
    (pgettext_lazy("menu", "Audit log"), "audit:events", frozenset({Role.AUDITOR})),
    (pgettext_lazy("menu", "Staff"), "accounts:staff_list", frozenset({Role.ADMIN})),
    # Categories, dispatch rules and SLA policies, in the admin site (zhili/accounts/admin.py).
    (pgettext_lazy("menu", "Configuration"), "admin:index", frozenset({Role.ADMIN})),
    (pgettext_lazy("menu", "Resident tags"), "residents:tags", frozenset({Role.ADMIN})),
    (pgettext_lazy("menu", "Messages"), "notify:inbox", frozenset()),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entries": []}
    # The same cached memberships that every scope check of this request uses: no extra query.
    roles = roles_of(user)
    unread = unread_count(user)  # the one query the bar adds; pages that show the count use this one
    entries = []
    for label, url_name, allowed in NAV_ENTRIES:
        if allowed and not (roles & allowed):
            continue
        if url_name == "admin:index" and not can_configure(user):
            continue  # an ADMIN post below the root does not configure (zhili/accounts/admin.py)
        url = reverse(url_name)
        entry = {"label": label, "url": url, "active": request.path == url}
        if url_name == "notify:inbox":
            entry["badge"] = unread
        entries.append(entry)
    return {"nav_entries": entries, "user_roles": sorted(roles), "unread_messages": unread}
