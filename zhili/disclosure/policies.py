"""Who reads and who writes publications, scoped by the territory tree.

Writers: community staff (社区/村工作人员) at the node or above it draft, publish, correct, withdraw
and answer questions. Readers among staff: leaders, party secretaries, supervisors and dispatchers
over the node see its whole list, drafts included, and touch nothing (403).

Everybody else reads what is out (published, corrected, withdrawn): items for everyone without
logging in; items for the residents of a node when they live in its subtree (the grid of their
verified registry record or of a resident membership, as in consultations).

Missing and invisible publications give the same 404; visible but not allowed, 403.
"""

from __future__ import annotations

import enum
from typing import Any

from django.db.models import Q, QuerySet

from zhili.accounts.roles import Role
from zhili.authz.policies import path_q, roles_scope
from zhili.core.errors import Forbidden, NotFound
from zhili.disclosure.models import Audience, Publication
from zhili.disclosure.states import OUT_STATUSES
from zhili.territory.models import Node, NodeKind


class Perm(enum.StrEnum):
    VIEW = "view"  # the staff list, drafts included
    PUBLISH = "publish"  # draft, edit, publish, correct, withdraw, answer questions


PERM_ROLES: dict[Perm, frozenset[str]] = {
    Perm.VIEW: frozenset(
        {Role.COMMUNITY_STAFF, Role.LEADER, Role.PARTY_SECRETARY, Role.SUPERVISOR, Role.DISPATCHER}
    ),
    Perm.PUBLISH: frozenset({Role.COMMUNITY_STAFF}),
}


def _active(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def scope(user: Any, perm: Perm) -> list[str]:
    """Folded node paths under which ``user`` holds ``perm``."""
    return roles_scope(user, PERM_ROLES[perm])


def allowed_at(user: Any, perm: Perm, path: str) -> bool:
    return any(path.startswith(p) for p in scope(user, perm))


def can(user: Any, perm: Perm, publication: Publication) -> bool:
    return allowed_at(user, perm, publication.node.path)


def is_staff(user: Any) -> bool:
    return bool(scope(user, Perm.VIEW))


def _ids_on(path: str) -> set[int]:
    return {int(part) for part in path.strip("/").split("/") if part}


def home_paths(user: Any) -> list[str]:
    """Where the user lives: the grid of the verified registry record and of resident memberships."""
    if not _active(user):
        return []
    cached = getattr(user, "_zhili_disclosure_home", None)
    if cached is None:
        from zhili.participation.consultations.policies import home_paths as consult_home_paths

        cached = consult_home_paths(user)
        user._zhili_disclosure_home = cached
    return list(cached)


def home_node_ids(user: Any) -> set[int]:
    """Every node from the root down to where the user lives."""
    ids: set[int] = set()
    for path in home_paths(user):
        ids |= _ids_on(path)
    return ids


def lives_under(user: Any, node: Node) -> bool:
    return any(path.startswith(node.path) for path in home_paths(user))


def visible_publications(user: Any) -> QuerySet[Publication]:
    """Out for everyone; out for the residents who live under the node; everything in staff scope.

    Staff also read what is out at the nodes above their own (a street's item concerns its
    communities' staff), whatever its audience.
    """
    out = Q(status__in=sorted(OUT_STATUSES))
    q = out & Q(audience=Audience.PUBLIC)
    home = home_node_ids(user)
    if home:
        q |= out & Q(audience=Audience.RESIDENTS, node_id__in=sorted(home))
    view = scope(user, Perm.VIEW)
    if view:
        above: set[int] = set()
        for path in view:
            above |= _ids_on(path)
        q |= path_q(view, "node__path") | (out & Q(node_id__in=sorted(above)))
    return Publication.objects.filter(q)


def get_publication_for_user(user: Any, pk: Any, perm: Perm | None = None) -> Publication:
    """Same 404 for missing and invisible; 403 when visible but ``perm`` is not held at its node."""
    try:
        publication = visible_publications(user).select_related("node").get(pk=pk)
    except (Publication.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if perm is not None and not can(user, perm, publication):
        raise Forbidden()
    return publication


def publishable_nodes(user: Any) -> QuerySet[Node]:
    """Streets and communities where the user may publish."""
    return Node.objects.filter(
        path_q(scope(user, Perm.PUBLISH), "path"), kind__in=[NodeKind.STREET, NodeKind.COMMUNITY]
    ).order_by("sort_key")


def scope_communities(user: Any) -> QuerySet[Node]:
    """Communities in the user's staff scope."""
    return Node.objects.filter(path_q(scope(user, Perm.VIEW), "path"), kind=NodeKind.COMMUNITY).order_by(
        "sort_key"
    )


def home_community(user: Any) -> Node | None:
    """The community where the user lives (the first, should there be two)."""
    ids = home_node_ids(user)
    if not ids:
        return None
    return Node.objects.filter(pk__in=sorted(ids), kind=NodeKind.COMMUNITY).order_by("sort_key").first()


def get_board_community(pk: Any) -> Node:
    """Any community's board may be opened (what each one shows depends on the reader)."""
    try:
        return Node.objects.get(pk=pk, kind=NodeKind.COMMUNITY)
    except (Node.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
