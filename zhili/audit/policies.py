"""Who may read which part of the audit log.

Only auditors (Action.VIEW_AUDIT). An auditor sees the events of the nodes in their subtree; the
events that belong to no node (logins, system jobs) only when one of their memberships sits at a
root node, since those events span every subtree.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from zhili.audit.models import AuditEvent
from zhili.authz.policies import Action, path_q, scope_paths
from zhili.core.errors import Forbidden


def _is_root(path: str) -> bool:
    return path.count("/") == 2  # "/<id>/"


def can_view_audit(user: Any) -> bool:
    return bool(scope_paths(user, Action.VIEW_AUDIT))


def sees_system_events(user: Any) -> bool:
    """Auditors at a root node also see events with no node, and may verify the whole chain."""
    return any(_is_root(path) for path in scope_paths(user, Action.VIEW_AUDIT))


def require_auditor(user: Any) -> None:
    """The log is a feature, not an object: a logged-in user without the role gets 403, not 404."""
    if not can_view_audit(user):
        raise Forbidden()


def require_chain_verifier(user: Any) -> None:
    if not sees_system_events(user):
        raise Forbidden()


def visible_events(user: Any) -> QuerySet[AuditEvent]:
    paths = scope_paths(user, Action.VIEW_AUDIT)
    q: Q = path_q(paths, "node_path")
    if any(_is_root(path) for path in paths):
        q |= Q(node_path="")
    return AuditEvent.objects.filter(q)
