"""Reads for staff management and the current user. Every query starts from the actor's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from zhili.accounts.models import Department, Membership, User
from zhili.accounts.roles import Role
from zhili.authz.policies import path_q
from zhili.core.errors import NotFound
from zhili.territory.models import Node


def staff_memberships_in(scope: list[str]) -> QuerySet[Membership]:
    """Staff memberships (active or revoked) on nodes inside ``scope``."""
    return Membership.objects.filter(path_q(scope, "node__path")).exclude(role=Role.RESIDENT)


def manageable_users(scope: list[str], *, search: str = "") -> QuerySet[User]:
    """Users who hold or held a staff post inside ``scope``, with their active posts there prefetched.

    Revoked posts keep a user listed so that an administrator can still find and re-grant them.
    """
    users = User.objects.filter(pk__in=staff_memberships_in(scope).values("user_id"))
    search = search.strip()
    if search:
        users = users.filter(Q(username__icontains=search) | Q(display_name__icontains=search))
    active_here = (
        staff_memberships_in(scope).filter(active=True).select_related("node").order_by("node__sort_key")
    )
    return (
        users.select_related("department")
        .prefetch_related(Prefetch("memberships", queryset=active_here, to_attr="scoped_memberships"))
        .order_by("username")
    )


def get_manageable_user(scope: list[str], pk: Any) -> User:
    """One user inside ``scope``; missing and out-of-scope users are the same 404."""
    try:
        return manageable_users(scope).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_manageable_membership(scope: list[str], pk: Any) -> Membership:
    try:
        return staff_memberships_in(scope).select_related("user", "node").get(pk=pk)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def memberships_of_user_in(user: User, scope: list[str]) -> QuerySet[Membership]:
    """All posts (active first, then revoked) of ``user`` inside ``scope``."""
    return (
        staff_memberships_in(scope)
        .filter(user=user)
        .select_related("node", "granted_by")
        .order_by("-active", "node__sort_key", "role")
    )


def count_memberships_elsewhere(user: User, scope: list[str]) -> int:
    """Active posts of ``user`` outside ``scope``: counted, never shown, to an administrator."""
    return Membership.objects.filter(user=user, active=True).exclude(path_q(scope, "node__path")).count()


def nodes_in(scope: list[str]) -> QuerySet[Node]:
    return Node.objects.filter(path_q(scope, "path")).order_by("sort_key")


def departments_in(scope: list[str]) -> QuerySet[Department]:
    return Department.objects.filter(path_q(scope, "node__path")).order_by("code")


def node_labels(nodes: list[Node]) -> dict[int, str]:
    """``"Street / Community / Grid"`` for each node, from the names of the nodes given.

    Ancestors outside the list (above the scope) are left out, which is what an administrator
    of a subtree expects to read.
    """
    names = {node.pk: node.name for node in nodes}
    return {
        node.pk: " / ".join(names[ancestor] for ancestor in node.ancestors() if ancestor in names)
        for node in nodes
    }


def active_memberships(user: User) -> QuerySet[Membership]:
    return user.memberships.filter(active=True).select_related("node").order_by("node__sort_key", "role")
