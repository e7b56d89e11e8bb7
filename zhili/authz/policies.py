"""Who may see and do what, scoped by the territory tree.

A staff user holds memberships (role, node). A membership lets its role act on the node's
subtree. ``visible(user, action)`` gives a queryset of the objects a user may touch;
``get_for_user`` loads one object and gives the same 404 for missing and invisible objects, and
403 for an object the user may see but not act on (STYLE.md rule 5).
"""

from __future__ import annotations

import enum
from typing import Any, Generic, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, models
from django.db.models import Q

from zhili.accounts.roles import Role
from zhili.core import prepared
from zhili.core.errors import Forbidden, NotFound


class Action(enum.StrEnum):
    VIEW = "view"  # see territory objects of the subtree (nodes, buildings, households)
    EDIT = "edit"  # change buildings and households of the subtree
    MANAGE_TERRITORY = "manage_territory"  # create nodes, draw boundaries, import
    MANAGE_STAFF = "manage_staff"  # create users, grant memberships
    VIEW_AUDIT = "view_audit"  # read the audit log of the subtree


STAFF_VIEW_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.DISPATCHER,
        Role.HANDLER,
        Role.SUPERVISOR,
        Role.LEADER,
        Role.PARTY_SECRETARY,
        Role.ADMIN,
    }
)

# The permission table. A role missing from an action's set cannot do it anywhere.
ROLE_ACTIONS: dict[Action, frozenset[str]] = {
    Action.VIEW: STAFF_VIEW_ROLES,
    Action.EDIT: frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF}),
    Action.MANAGE_TERRITORY: frozenset({Role.ADMIN}),
    Action.MANAGE_STAFF: frozenset({Role.ADMIN}),
    Action.VIEW_AUDIT: frozenset({Role.AUDITOR}),
}


def _memberships(user: Any) -> list[tuple[str, str]]:
    """(role, node path) of the user's active memberships, cached on the user object per request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_zhili_memberships", None)
    if cached is None:
        cached = _read_memberships(user.pk)
        user._zhili_memberships = cached
    return cached


def _read_memberships(user_id: int) -> list[tuple[str, str]]:
    """``user.memberships.filter(active=True).values_list("role", "node__path")`` in plain SQL: it
    runs on nearly every request, and the ORM spends three times longer building it than the
    database spends answering it."""
    from zhili.accounts.models import Membership
    from zhili.territory.models import Node

    qn = connection.ops.quote_name
    membership, node = Membership._meta, Node._meta
    with prepared.cursor() as cursor:
        cursor.execute(
            f"SELECT m.{qn(membership.get_field('role').column)}, n.{qn(node.get_field('path').column)}"  # type: ignore[union-attr]
            f" FROM {qn(membership.db_table)} m JOIN {qn(node.db_table)} n"
            f" ON n.{qn(node.pk.column or 'id')} = m.{qn(membership.get_field('node').column)}"  # type: ignore[union-attr]
            f" WHERE m.{qn(membership.get_field('user').column)} = %s"  # type: ignore[union-attr]
            f" AND m.{qn(membership.get_field('active').column)}",  # type: ignore[union-attr]
            [user_id],
        )
        return [(str(role), str(path)) for role, path in cursor.fetchall()]


def fold_paths(paths: Any) -> list[str]:
    """The paths with every path nested in another dropped (a subtree inside one already counted)."""
    folded: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(kept) for kept in folded):
            folded.append(path)
    return folded


def roles_scope(user: Any, roles: Any) -> list[str]:
    """Node paths under which ``user`` holds any of ``roles``, nested paths folded into their parent.
    Each app's permission table (role sets per permission) scopes through this."""
    return fold_paths(path for role, path in _memberships(user) if role in roles)


def scope_paths(user: Any, action: Action) -> list[str]:
    """Node paths under which ``user`` may do ``action``; nested paths are folded into their parent."""
    return roles_scope(user, ROLE_ACTIONS[action])


def roles_of(user: Any) -> set[str]:
    """The roles of the user's active memberships (from the per-request cache)."""
    return {role for role, _path in _memberships(user)}


def has_role(user: Any, *roles: str) -> bool:
    return any(role in roles for role, _path in _memberships(user))


def role_paths(user: Any, role: str) -> list[str]:
    """Node paths of the user's active memberships in exactly this role (no folding)."""
    return sorted(path for held, path in _memberships(user) if held == role)


def path_q(paths: list[str], path_field: str) -> Q:
    """Rows whose ``path_field`` lies in any of ``paths`` (an empty list matches nothing)."""
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= Q(**{f"{path_field}__startswith": path})
    return q


def can_at(user: Any, action: Action, path: str) -> bool:
    """May ``user`` do ``action`` at the node with this path?"""
    return any(path.startswith(scope) for scope in scope_paths(user, action))


M = TypeVar("M", bound=models.Model)


class TerritoryPolicy(Generic[M]):
    """Scope for a model that hangs off the tree through ``path_field`` (a lookup to Node.path)."""

    def __init__(self, model: type[M], path_field: str) -> None:
        self.model = model
        self.path_field = path_field

    def visible(self, user: Any, action: Action = Action.VIEW) -> models.QuerySet[M]:
        return self.model._default_manager.filter(path_q(scope_paths(user, action), self.path_field))

    def path_of(self, obj: M) -> str:
        value: Any = obj
        for part in self.path_field.split("__"):
            value = getattr(value, part)
        return str(value)

    def can(self, user: Any, action: Action, obj: M) -> bool:
        return can_at(user, action, self.path_of(obj))

    def get_for_user(self, user: Any, pk: Any, action: Action = Action.VIEW) -> M:
        """Same 404 for missing and invisible; 403 when visible but ``action`` is not allowed."""
        try:
            obj = self.visible(user).get(pk=pk)
        except (ObjectDoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        if action is not Action.VIEW and not self.can(user, action, obj):
            raise Forbidden()
        return obj


def territory_policies() -> dict[str, TerritoryPolicy[Any]]:
    from zhili.territory.models import Building, Household, Node

    return {
        "node": TerritoryPolicy(Node, "path"),
        "building": TerritoryPolicy(Building, "grid__path"),
        "household": TerritoryPolicy(Household, "building__grid__path"),
    }
