"""Who may manage staff accounts, and where.

Staff management is scoped like everything else: an administrator manages the users who hold (or
held) a staff post inside the subtree of their ADMIN membership, and nothing outside it.
"""

from __future__ import annotations

from typing import Any

from zhili.accounts.roles import Role
from zhili.authz.policies import Action, role_paths, scope_paths
from zhili.core.errors import Forbidden

# Resident accounts are not staff: administrators neither list them nor hand out the role here
# (residents' accounts carry personal data that an administrator should not browse by default).
STAFF_ROLES = [role for role in Role if role != Role.RESIDENT]


def manage_staff_scope(actor: Any) -> list[str]:
    """Node paths under which ``actor`` manages staff; refuses (403) anyone who manages nowhere."""
    paths = scope_paths(actor, Action.MANAGE_STAFF)
    if not paths:
        raise Forbidden()
    return paths


def admin_paths(actor: Any) -> list[str]:
    """Paths of the actor's own active ADMIN memberships.

    Minting another administrator is stricter than managing staff: it needs an ADMIN membership
    at the target node or above it, whatever roles the MANAGE_STAFF row of the table may list.
    """
    return role_paths(actor, Role.ADMIN)


def may_grant_admin_at(actor: Any, node_path: str) -> bool:
    return any(node_path.startswith(path) for path in admin_paths(actor))
