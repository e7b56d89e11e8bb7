"""Who sees and does what in party building, scoped by the territory tree.

- Party secretaries manage the organisations, members and activities of their subtree and see
  members' personal data (masked mobile) there.
- Community staff read their community's organisations and activities, plan and record activities,
  and see members' names only.
- Grid workers read their grid's party group, record who joined an activity, and see names only.
- Leaders read organisations, coverage and activities of their subtree; of members only counts.

Residents (resident memberships or a verified registry link, as in consultations) see only the
volunteer services opened to residents by the organisations where they live and above (社区志愿活动),
sign up and cancel their own sign-up; everything else of party building is 404 to them.

Organisations above one's node are visible too (a grid worker records attendance at the community
branch's activity). Missing and invisible give the same 404; visible but not allowed, 403.
"""

from __future__ import annotations

import enum
from typing import Any

from django.db.models import Q, QuerySet

from zhili.accounts.roles import Role
from zhili.authz.policies import path_q, roles_scope
from zhili.core.errors import Forbidden, NotFound
from zhili.party.models import Activity, ActivityKind, PartyMember, PartyOrg
from zhili.party.states import ActivityStatus

SECRETARY = Role.PARTY_SECRETARY
# Roles whose logins may be linked to an organisation as its secretary's: every role but residents.
STAFF_ROLES = frozenset(role for role in Role.values if role != Role.RESIDENT)


class Perm(enum.StrEnum):
    VIEW = "view"  # organisations, coverage, activities, counts
    MANAGE = "manage"  # organisations and members: create, change, transfer; member data; export
    NAMES = "names"  # members' names (lists, attendance, households kept in touch with)
    PLAN = "plan"  # plan, hold and cancel activities
    ATTEND = "attend"  # record attendance and volunteer hours; link households to members


PERM_ROLES: dict[Perm, frozenset[str]] = {
    Perm.VIEW: frozenset({SECRETARY, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.LEADER}),
    Perm.MANAGE: frozenset({SECRETARY}),
    Perm.NAMES: frozenset({SECRETARY, Role.COMMUNITY_STAFF, Role.GRID_WORKER}),
    Perm.PLAN: frozenset({SECRETARY, Role.COMMUNITY_STAFF}),
    Perm.ATTEND: frozenset({SECRETARY, Role.COMMUNITY_STAFF, Role.GRID_WORKER}),
}


def scope(user: Any, perm: Perm) -> list[str]:
    """Folded node paths under which ``user`` holds ``perm``."""
    return roles_scope(user, PERM_ROLES[perm])


def allowed_at(user: Any, perm: Perm, path: str) -> bool:
    return any(path.startswith(p) for p in scope(user, perm))


def require_view(user: Any) -> list[str]:
    """The viewing scope; 404 for those who see nothing of party building (residents, others)."""
    paths = scope(user, Perm.VIEW)
    if not paths:
        raise NotFound()
    return paths


def require(user: Any, perm: Perm) -> list[str]:
    """The scope of ``perm``: 404 for non-viewers, 403 for viewers without it."""
    require_view(user)
    paths = scope(user, perm)
    if not paths:
        raise Forbidden()
    return paths


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def _inside_or_above(paths: list[str], field: str) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path}) | Q(**{f"{field}__in": _ancestor_paths(path)})
    return q


def visible_orgs(user: Any) -> QuerySet[PartyOrg]:
    return PartyOrg.objects.filter(_inside_or_above(scope(user, Perm.VIEW), "node__path"))


def orgs_within(user: Any, perm: Perm) -> QuerySet[PartyOrg]:
    """Organisations inside the user's ``perm`` scope (not those above it)."""
    return PartyOrg.objects.filter(path_q(scope(user, perm), "node__path"))


def get_org_for_user(user: Any, pk: Any, perm: Perm = Perm.VIEW) -> PartyOrg:
    try:
        org = visible_orgs(user).select_related("node", "parent", "secretary_user").get(pk=pk)
    except (PartyOrg.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if perm is not Perm.VIEW and not allowed_at(user, perm, org.node.path):
        raise Forbidden()
    return org


def visible_members(user: Any) -> QuerySet[PartyMember]:
    """Members whose names the user may see (party secretaries, community staff, grid workers)."""
    return PartyMember.objects.filter(path_q(scope(user, Perm.NAMES), "org__node__path"))


def get_member_for_user(user: Any, pk: Any, perm: Perm = Perm.MANAGE) -> PartyMember:
    """A member's page is personal data: party secretaries of the subtree only (others 403/404)."""
    try:
        member = visible_members(user).select_related("org__node", "person").get(pk=pk)
    except (PartyMember.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not allowed_at(user, perm, member.org.node.path):
        raise Forbidden()
    return member


def visible_activities(user: Any) -> QuerySet[Activity]:
    return Activity.objects.filter(_inside_or_above(scope(user, Perm.VIEW), "org__node__path"))


def get_activity_for_user(user: Any, pk: Any, perm: Perm = Perm.VIEW) -> Activity:
    try:
        activity = visible_activities(user).select_related("org__node").get(pk=pk)
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if perm is Perm.ATTEND:
        # A grid worker records for the members of their grid, also at the community's activity.
        if not (allowed_at(user, perm, activity.org.node.path) or attend_paths(user, activity)):
            raise Forbidden()
    elif perm is not Perm.VIEW and not allowed_at(user, perm, activity.org.node.path):
        raise Forbidden()
    return activity


def attend_paths(user: Any, activity: Activity) -> list[str]:
    """Node paths whose members ``user`` may mark as attending ``activity``: the part of the
    activity's organisation subtree that lies in the user's ATTEND scope."""
    org_path = activity.org.node.path
    out = []
    for path in scope(user, Perm.ATTEND):
        if org_path.startswith(path):
            return [org_path]
        if path.startswith(org_path):
            out.append(path)
    return out


# Residents: volunteer services open to them -------------------------------------------------------


def _active(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def home_paths(user: Any) -> list[str]:
    """Where the user lives: the grid of the verified registry record and of resident memberships."""
    if not _active(user):
        return []
    cached = getattr(user, "_zhili_party_home", None)
    if cached is None:
        from zhili.participation.consultations.policies import home_paths as consult_home_paths

        cached = consult_home_paths(user)
        user._zhili_party_home = cached
    return list(cached)


def home_node_ids(user: Any) -> set[int]:
    """Every node from the root down to where the user lives (grid, community, street, ...)."""
    ids: set[int] = set()
    for path in home_paths(user):
        ids.update(int(part) for part in path.strip("/").split("/") if part)
    return ids


def require_resident(user: Any) -> set[int]:
    """The nodes of the user's home path; 404 for those who live nowhere known."""
    ids = home_node_ids(user)
    if not ids:
        raise NotFound()
    return ids


def open_activities(user: Any) -> QuerySet[Activity]:
    """Planned volunteer services open to residents, of the organisations where the user lives."""
    ids = home_node_ids(user)
    if not ids:
        return Activity.objects.none()
    return Activity.objects.filter(
        org__node_id__in=sorted(ids),
        kind=ActivityKind.VOLUNTEER,
        open_to_residents=True,
        status=ActivityStatus.PLANNED,
    )


def get_open_activity_for_resident(user: Any, pk: Any) -> Activity:
    """Same 404 for missing, not open and open elsewhere."""
    try:
        return open_activities(user).select_related("org__node").get(pk=pk)
    except (Activity.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
