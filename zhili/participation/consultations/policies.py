"""Who sees and does what with consultation topics.

Staff: a topic belongs to the node it concerns. Community staff, supervisors and administrators
whose membership node contains that node run it (MANAGE: documents, moderation, meetings,
decisions, milestones); every other staff role over it may look (VIEW). Leaders stay read-only
here as everywhere else (accounts.roles.READ_ONLY_ROLES).

Residents: a resident "lives at" the grid of their verified registry record (``ResidentAccount``)
and at the node of any resident membership. They see the opened topics concerning a node on that
path (their grid, community, street …) and the accountability board of those topics. Taking part
(propose, comment, support) needs the verified record itself: a person of the topic's subtree who
has not moved out and whose record is not anonymised.

Missing and invisible topics give the same 404; visible but not allowed, 403.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.accounts.roles import Role
from zhili.authz.policies import STAFF_VIEW_ROLES, path_q, role_paths
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.participation.consultations.models import Topic
from zhili.participation.consultations.states import OUTCOME_STATES, VISIBLE_TO_RESIDENTS
from zhili.residents.models import Person
from zhili.territory.models import Node, NodeKind


class ConsultAction(enum.StrEnum):
    VIEW = "view"
    MANAGE = "manage"


ROLE_ACTIONS: dict[ConsultAction, frozenset[str]] = {
    ConsultAction.VIEW: frozenset(STAFF_VIEW_ROLES),
    ConsultAction.MANAGE: frozenset({Role.COMMUNITY_STAFF, Role.SUPERVISOR, Role.ADMIN}),
}


def _active(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


# ---------------------------------------------------------------------------------------------
# Staff


def staff_paths(user: Any, action: ConsultAction = ConsultAction.VIEW) -> list[str]:
    if not _active(user):
        return []
    return sorted({path for role in ROLE_ACTIONS[action] for path in role_paths(user, role)})


def is_staff(user: Any) -> bool:
    return bool(staff_paths(user))


def can_manage(user: Any, topic: Topic) -> bool:
    return any(topic.node.path.startswith(path) for path in staff_paths(user, ConsultAction.MANAGE))


def staff_topics(user: Any, action: ConsultAction = ConsultAction.VIEW) -> QuerySet[Topic]:
    return Topic.objects.filter(path_q(staff_paths(user, action), "node__path"))


def manageable_nodes(user: Any) -> QuerySet[Node]:
    """Nodes a topic may be opened for: streets, communities and grids in the manager's scope."""
    return Node.objects.filter(
        path_q(staff_paths(user, ConsultAction.MANAGE), "path"),
        kind__in=[NodeKind.STREET, NodeKind.COMMUNITY, NodeKind.GRID],
    ).order_by("sort_key")


def get_topic_for_staff(user: Any, pk: Any, action: ConsultAction = ConsultAction.VIEW) -> Topic:
    """Same 404 for missing and invisible; 403 when the user may look but not run it."""
    try:
        topic = staff_topics(user).select_related("node").get(pk=pk)
    except (Topic.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if action is not ConsultAction.VIEW and not can_manage(user, topic):
        raise Forbidden()
    return topic


# ---------------------------------------------------------------------------------------------
# Residents


def linked_person(user: Any) -> Person | None:
    """The registry person of the user's verified account, cached on the user for the request."""
    if not _active(user):
        return None
    cached = getattr(user, "_zhili_consult_person", False)
    if cached is False:
        from zhili.participation.elections.models import ResidentAccount

        link = (
            ResidentAccount.objects.filter(user=user)
            .select_related("person__household__building__grid")
            .first()
        )
        cached = link.person if link is not None else None
        user._zhili_consult_person = cached
    return cached if isinstance(cached, Person) else None


def lives_in_subtree(person: Person, node: Node, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    if person.anonymised_at is not None:
        return False
    if person.moved_out_on is not None and person.moved_out_on <= today:
        return False
    return bool(person.household.building.grid.path.startswith(node.path))


def home_paths(user: Any) -> list[str]:
    """Paths of the nodes the user lives at: the verified record's grid and resident memberships."""
    if not _active(user):
        return []
    paths = set(role_paths(user, Role.RESIDENT))
    person = linked_person(user)
    if person is not None and lives_in_subtree(person, person.household.building.grid):
        paths.add(person.household.building.grid.path)
    return sorted(paths)


def home_node_ids(user: Any) -> set[int]:
    """Every node on the way from the root down to where the user lives."""
    ids: set[int] = set()
    for path in home_paths(user):
        ids.update(int(part) for part in path.strip("/").split("/") if part)
    return ids


def resident_topics(user: Any) -> QuerySet[Topic]:
    ids = home_node_ids(user)
    if not ids:
        return Topic.objects.none()
    return Topic.objects.filter(node_id__in=ids, state__in=VISIBLE_TO_RESIDENTS)


def visible_topics(user: Any) -> QuerySet[Topic]:
    """Staff scope or residents' path, whichever the user has (both for a staff member at home)."""
    staff = staff_paths(user)
    ids = home_node_ids(user)
    q = path_q(staff, "node__path") if staff else Q(pk__in=[])
    if ids:
        q |= Q(node_id__in=ids, state__in=VISIBLE_TO_RESIDENTS)
    return Topic.objects.filter(q)


def listed_topics(user: Any) -> QuerySet[Topic]:
    """The opened topics of the consultation list: the resident's path and, for staff, their scope.

    Drafts stay on the staff's own list (管理议题) until they are opened.
    """
    return visible_topics(user).filter(state__in=VISIBLE_TO_RESIDENTS)


def get_topic_for_user(user: Any, pk: Any) -> Topic:
    try:
        return visible_topics(user).select_related("node").get(pk=pk)
    except (Topic.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def participant(user: Any, topic: Topic, today: date | None = None) -> Person | None:
    """The user's registry person when they may take part in this topic, else None."""
    person = linked_person(user)
    if person is None or not lives_in_subtree(person, topic.node, today):
        return None
    return person


def require_participant(user: Any, topic: Topic, today: date | None = None) -> Person:
    person = participant(user, topic, today)
    if person is None:
        raise DomainError(
            "not_eligible",
            _("Only residents of this area with a verified account can take part."),
            status=403,
        )
    return person


# ---------------------------------------------------------------------------------------------
# The accountability board


def board_nodes(user: Any) -> list[Node]:
    """Nodes whose board the user may open: streets and communities in the staff scope, and the
    nodes on the resident's own path."""
    staff = staff_paths(user)
    nodes: dict[int, Node] = {}
    if staff:
        for node in Node.objects.filter(
            path_q(staff, "path"), kind__in=[NodeKind.STREET, NodeKind.COMMUNITY]
        ).order_by("sort_key"):
            nodes[node.pk] = node
        for node in Node.objects.filter(path__in=staff):
            nodes[node.pk] = node
    ids = home_node_ids(user)
    if ids:
        for node in Node.objects.filter(pk__in=ids).exclude(kind=NodeKind.DISTRICT):
            nodes[node.pk] = node
    return sorted(nodes.values(), key=lambda n: n.sort_key)


def get_board_node(user: Any, node_id: Any) -> Node:
    nodes = board_nodes(user)
    if not nodes:
        raise NotFound()
    if node_id in (None, ""):
        # The most local community on the path, else the widest node.
        communities = [n for n in nodes if n.kind == NodeKind.COMMUNITY]
        return communities[-1] if communities and not staff_paths(user) else nodes[0]
    for node in nodes:
        if str(node.pk) == str(node_id):
            return node
    raise NotFound()


def board_topics(user: Any, node: Node) -> QuerySet[Topic]:
    return visible_topics(user).filter(node__path__startswith=node.path, state__in=OUTCOME_STATES)
