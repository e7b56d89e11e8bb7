"""Who sees and runs which election.

Staff: an election belongs to the territory node (community or village) its committee serves.
Community staff and administrators whose membership node contains that node run it (MANAGE);
every other staff role over it may look (VIEW), read-only. Residents see an election once its roll
is published if their verified account (``ResidentAccount``) points at a person on that roll.
Published results and boards are public. The voter roll, while it is posted (from its
publication until voting closes), is open to every resident of the election's community, linked
or not, so that anyone there may object to it (第十四条).

Missing and invisible elections give the same 404; visible but not allowed, 403.
"""

from __future__ import annotations

import enum
from typing import Any

from django.db.models import Q, QuerySet

from zhili.accounts.roles import Role
from zhili.authz.policies import STAFF_VIEW_ROLES, path_q, role_paths
from zhili.core.errors import Forbidden, NotFound
from zhili.participation.elections.models import Election, ResidentAccount, RollEntry
from zhili.participation.elections.states import ROLL_POSTED, VISIBLE_TO_VOTERS, ElectionStatus


class ElectionAction(enum.StrEnum):
    VIEW = "view"
    MANAGE = "manage"


ROLE_ACTIONS: dict[ElectionAction, frozenset[str]] = {
    ElectionAction.VIEW: frozenset(STAFF_VIEW_ROLES),
    ElectionAction.MANAGE: frozenset({Role.COMMUNITY_STAFF, Role.ADMIN}),
}


def _active(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def staff_paths(user: Any, action: ElectionAction) -> list[str]:
    if not _active(user):
        return []
    return sorted({path for role in ROLE_ACTIONS[action] for path in role_paths(user, role)})


def is_election_staff(user: Any) -> bool:
    return bool(staff_paths(user, ElectionAction.VIEW))


def can(user: Any, action: ElectionAction, election: Election) -> bool:
    return any(election.node.path.startswith(path) for path in staff_paths(user, action))


def can_manage_node(user: Any, node: Any) -> bool:
    return any(node.path.startswith(path) for path in staff_paths(user, ElectionAction.MANAGE))


def staff_elections(user: Any, action: ElectionAction = ElectionAction.VIEW) -> QuerySet[Election]:
    return Election.objects.filter(path_q(staff_paths(user, action), "node__path"))


def get_election_for_staff(user: Any, pk: Any, action: ElectionAction = ElectionAction.VIEW) -> Election:
    """Same 404 for missing and invisible; 403 when the user may look but not run it."""
    try:
        election = staff_elections(user).select_related("node").get(pk=pk)
    except (Election.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if action is not ElectionAction.VIEW and not can(user, action, election):
        raise Forbidden()
    return election


def linked_person_id(user: Any) -> int | None:
    if not _active(user):
        return None
    cached = getattr(user, "_zhili_person_id", False)
    if cached is False:
        cached = ResidentAccount.objects.filter(user=user).values_list("person_id", flat=True).first()
        user._zhili_person_id = cached
    return cached


def voter_elections(user: Any) -> QuerySet[Election]:
    """Elections whose published roll names the user's registry person (eligible or not)."""
    person_id = linked_person_id(user)
    if person_id is None:
        return Election.objects.none()
    return Election.objects.filter(status__in=VISIBLE_TO_VOTERS, roll__person_id=person_id)


def voter_entry(user: Any, election: Election) -> RollEntry | None:
    person_id = linked_person_id(user)
    if person_id is None:
        return None
    return RollEntry.objects.filter(election=election, person_id=person_id).first()


def get_election_for_voter(user: Any, pk: Any) -> tuple[Election, RollEntry]:
    try:
        election = voter_elections(user).select_related("node").get(pk=pk)
    except (Election.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    entry = voter_entry(user, election)
    if entry is None:  # pragma: no cover - voter_elections joined through the roll
        raise NotFound()
    return election, entry


def community_roll_elections(user: Any) -> QuerySet[Election]:
    """Elections whose roll is posted, in a community where the user is a resident or a voter."""
    if not _active(user):
        return Election.objects.none()
    # A resident's membership sits at their grid or below: the election's node is above it.
    above: set[str] = set()
    for path in role_paths(user, Role.RESIDENT):
        parts = [part for part in path.strip("/").split("/") if part]
        above.update("/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1))
    where = Q(node__path__in=sorted(above))
    person_id = linked_person_id(user)
    if person_id is not None:
        where |= Q(roll__person_id=person_id)
    return Election.objects.filter(where, status__in=ROLL_POSTED).distinct()


def get_election_for_roll(user: Any, pk: Any) -> Election:
    """The posted roll, for the residents of its community: 404 for anyone else, as if missing."""
    try:
        return community_roll_elections(user).select_related("node").get(pk=pk)
    except (Election.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_published_election(pk: Any) -> Election:
    """Public pages: only published elections exist for the public."""
    try:
        return Election.objects.select_related("node").get(pk=pk, status=ElectionStatus.PUBLISHED)
    except (Election.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
