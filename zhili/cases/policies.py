"""Who sees which case, and in which capacity a user acts on it.

Seeing (``visible_cases``): staff of the case's node subtree (grid workers, community staff,
dispatchers, supervisors, leaders), handlers of the department the case went to, grid workers of
the grid it was dispatched to, and the resident who reported it. Administrators and auditors see no
cases: they hold no business with residents' personal data.

Acting (``case_roles``): the roles a user holds *for this case*; the transition table
(``states.RULES``) says which roles may take which transition, and the actions' guards refine it
(the handler of the case's department, the grid worker of the case's own grid …).

Missing and invisible cases give the same 404; visible cases the user may not act on give 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from zhili.accounts.roles import Role
from zhili.authz.policies import _memberships
from zhili.cases.models import Case, Channel
from zhili.core.errors import Forbidden, NotFound

# Roles that see every case of their subtree.
# Channels where the reporter is staff filing for someone else (a call) or on their own round.
STAFF_FILED = frozenset({Channel.HOTLINE, Channel.PATROL})

NODE_VIEW_ROLES = frozenset(
    {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER}
)


def _paths(user: Any, roles: frozenset[str] | set[str]) -> list[str]:
    return sorted({path for role, path in _memberships(user) if role in roles})


def _covers(paths: list[str], path: str | None) -> bool:
    return bool(path) and any(str(path).startswith(p) for p in paths)


def _prefix_q(paths: list[str], field: str) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def visible_cases(user: Any) -> QuerySet[Case]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Case.objects.none()
    q = Q(reporter=user)
    q |= _prefix_q(_paths(user, NODE_VIEW_ROLES), "node__path")
    q |= _prefix_q(_paths(user, {Role.GRID_WORKER}), "assigned_grid__path")
    handler_paths = _paths(user, {Role.HANDLER})
    if handler_paths and user.department_id:
        q |= Q(department_id=user.department_id) & _prefix_q(handler_paths, "node__path")
    return Case.objects.filter(q)


def can_view(user: Any, case: Case) -> bool:
    """The same answer as ``visible_cases(user)`` for one loaded case, without a query."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(case_roles(user, case)) or case.reporter_id == user.pk


def case_roles(user: Any, case: Case) -> set[str]:
    """The roles ``user`` holds for this particular case."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    roles: set[str] = set()
    node_path = case.node.path
    for role, path in _memberships(user):
        if (role in NODE_VIEW_ROLES and node_path.startswith(path)) or (
            role == Role.HANDLER
            and node_path.startswith(path)
            and user.department_id
            and user.department_id == case.department_id
        ):
            roles.add(role)
        if (
            role == Role.GRID_WORKER
            and case.assigned_grid is not None
            and case.assigned_grid.path.startswith(path)
        ):
            roles.add(role)
    # The reporter acts as the resident of their own request (rating it, for one). Not when staff
    # filed it for someone else or on patrol: the operator who logged a call is not the caller,
    # and nobody rates their own patrol report.
    if case.reporter_id is not None and case.reporter_id == user.pk and case.channel not in STAFF_FILED:
        roles.add(Role.RESIDENT)
    return roles


def is_assignee(user: Any, case: Case) -> bool:
    """The handler of the case's department, or a grid worker of the grid it was dispatched to."""
    if case.department_id and getattr(user, "department_id", None) == case.department_id:
        return _covers(_paths(user, {Role.HANDLER}), case.node.path)
    if case.assigned_grid is not None:
        return _covers(_paths(user, {Role.GRID_WORKER}), case.assigned_grid.path)
    return False


def is_verifier(user: Any, case: Case) -> bool:
    """A supervisor over the case, or a grid worker of the case's own grid (who can go and look)."""
    if _covers(_paths(user, {Role.SUPERVISOR}), case.node.path):
        return True
    return case.grid is not None and _covers(_paths(user, {Role.GRID_WORKER}), case.grid.path)


def staff_paths(user: Any, roles: frozenset[str] | set[str]) -> list[str]:
    return _paths(user, roles)


def get_case_for_user(user: Any, pk: Any) -> Case:
    """Load a case the user may see: one 404 for missing and invisible."""
    try:
        return (
            visible_cases(user)
            .select_related("node", "grid", "assigned_grid", "category", "department")
            .get(pk=pk)
        )
    except (Case.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def require_roles(user: Any, case: Case, allowed: frozenset[str]) -> set[str]:
    """404 when the case is invisible to the user, 403 when none of their roles for it is allowed."""
    if not can_view(user, case):
        raise NotFound()
    roles = case_roles(user, case) & allowed
    if not roles:
        raise Forbidden()
    return roles
