"""Who may do what with alerts, check tasks and emergency mode, scoped by the territory tree.

Staff see an alert when its node lies in their subtree or above their own node (a street's alert
concerns the grid workers of its grids). Drafts and alerts waiting for approval are seen only by
those who may draft or approve at the alert's node.
"""

from __future__ import annotations

import enum
from typing import Any

from django.db.models import Q, QuerySet

from zhili.accounts.roles import Role
from zhili.authz.policies import STAFF_VIEW_ROLES, roles_scope
from zhili.core.errors import Forbidden, NotFound
from zhili.emergency.models import Alert, CheckTask
from zhili.emergency.states import AlertStatus


class Perm(enum.StrEnum):
    VIEW = "view"
    DRAFT = "draft"  # draft, edit, submit, send an approved alert, mobilise
    APPROVE = "approve"  # approve or send back (never one's own draft), cancel
    SWITCH_MODE = "switch_mode"
    CHECK = "check"  # record the outcome of a check task


PERM_ROLES: dict[Perm, frozenset[str]] = {
    Perm.VIEW: STAFF_VIEW_ROLES,
    Perm.DRAFT: frozenset({Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.SUPERVISOR}),
    Perm.APPROVE: frozenset({Role.DISPATCHER, Role.SUPERVISOR}),
    Perm.SWITCH_MODE: frozenset({Role.DISPATCHER, Role.SUPERVISOR}),
    Perm.CHECK: frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF}),
}


def scope(user: Any, perm: Perm) -> list[str]:
    """Folded node paths under which ``user`` holds ``perm``."""
    return roles_scope(user, PERM_ROLES[perm])


def allowed_at(user: Any, perm: Perm, path: str) -> bool:
    return any(path.startswith(p) for p in scope(user, perm))


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def _related_q(paths: list[str]) -> Q:
    """Alerts at a node inside one of ``paths`` or above one of them."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(node__path__startswith=path) | Q(node__path__in=_ancestor_paths(path))
    return q


def visible_alerts(user: Any) -> QuerySet[Alert]:
    view = scope(user, Perm.VIEW)
    if not view:
        return Alert.objects.none()
    out = Q(status__in=[AlertStatus.SENT, AlertStatus.EXPIRED, AlertStatus.CANCELLED]) & _related_q(view)
    # Work in progress: only for those who may draft or approve there.
    makers = sorted(set(scope(user, Perm.DRAFT)) | set(scope(user, Perm.APPROVE)))
    q = out
    if makers:
        inside = Q(pk__in=[])
        for path in makers:
            inside |= Q(node__path__startswith=path)
        q = out | inside
    return Alert.objects.filter(q).select_related("node")


def get_alert_for_user(user: Any, pk: Any, perm: Perm = Perm.VIEW) -> Alert:
    """Same 404 for missing and invisible; 403 when visible but ``perm`` is not held at its node."""
    try:
        alert = visible_alerts(user).get(pk=pk)
    except (Alert.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if perm is not Perm.VIEW and not allowed_at(user, perm, alert.node.path):
        raise Forbidden()
    return alert


def visible_tasks(user: Any) -> QuerySet[CheckTask]:
    """Check tasks of the grids in the user's CHECK scope (grid workers: their grids)."""
    paths = scope(user, Perm.CHECK)
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(grid__path__startswith=path)
    return CheckTask.objects.filter(q)


def get_task_for_user(user: Any, pk: Any) -> CheckTask:
    try:
        return visible_tasks(user).select_related("alert", "grid", "household__building").get(pk=pk)
    except (CheckTask.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def can(user: Any, perm: Perm, alert: Alert) -> bool:
    return allowed_at(user, perm, alert.node.path)
