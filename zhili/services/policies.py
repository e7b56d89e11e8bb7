"""Who may do what with services and outreach tasks, scoped by the territory tree.

Staff see a service when its node lies in their subtree or above their own node (a street's
service concerns the grid workers of its grids). Administrators (at any level) and community staff
manage the services of their subtree; the catalogue holds no personal data. Outreach tasks belong
to the grid of the person: its grid workers (and the community's staff) record them. Community
staff and leaders read the overview; community staff export the open tasks.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from zhili.accounts.roles import Role
from zhili.authz.policies import STAFF_VIEW_ROLES, _memberships, roles_scope
from zhili.core.errors import Forbidden, NotFound
from zhili.residents.models import Tag
from zhili.residents.policies import roles_at
from zhili.residents.tags import tag_visible
from zhili.services.models import OutreachTask, Service


class Perm(enum.StrEnum):
    VIEW = "view"  # the catalogue
    MANAGE = "manage"  # create and change services, generate tasks
    RECORD = "record"  # see and record outreach tasks of the subtree's grids
    OVERVIEW = "overview"  # progress per service and grid (counts, no persons)
    EXPORT = "export"  # the open tasks of the subtree as a workbook (masked names, addresses)


PERM_ROLES: dict[Perm, frozenset[str]] = {
    Perm.VIEW: STAFF_VIEW_ROLES,
    Perm.MANAGE: frozenset({Role.ADMIN, Role.COMMUNITY_STAFF}),
    Perm.RECORD: frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF}),
    Perm.OVERVIEW: frozenset({Role.COMMUNITY_STAFF, Role.LEADER}),
    # Who serves the residents: leaders read the figures, not who is on which list.
    Perm.EXPORT: frozenset({Role.COMMUNITY_STAFF}),
}


def scope(user: Any, perm: Perm) -> list[str]:
    """Folded node paths under which ``user`` holds ``perm``."""
    return roles_scope(user, PERM_ROLES[perm])


def allowed_at(user: Any, perm: Perm, path: str) -> bool:
    return any(path.startswith(p) for p in scope(user, perm))


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def visible_services(user: Any) -> QuerySet[Service]:
    q = Q(pk__in=[])
    for path in scope(user, Perm.VIEW):
        q |= Q(node__path__startswith=path) | Q(node__path__in=_ancestor_paths(path))
    return Service.objects.filter(q).select_related("node")


def get_service_for_user(user: Any, pk: Any, perm: Perm = Perm.VIEW) -> Service:
    """Same 404 for missing and invisible; 403 when visible but ``perm`` is not held at its node."""
    try:
        service = visible_services(user).get(pk=pk)
    except (Service.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if perm is not Perm.VIEW and not allowed_at(user, perm, service.node.path):
        raise Forbidden()
    return service


def can(user: Any, perm: Perm, service: Service) -> bool:
    return allowed_at(user, perm, service.node.path)


def services_naming_hidden_tags(roles: Iterable[str]) -> list[int]:
    """Services whose rule names a sensitive tag none of ``roles`` may see: a row of such a service
    beside a person says that the person carries the tag."""
    roles = set(roles)
    tags = {t.code: t for t in Tag.objects.filter(sensitive=True)}
    return [
        pk
        for pk, codes in Service.objects.values_list("pk", "tag_codes")
        if any(code in tags and not tag_visible(tags[code], roles) for code in codes or [])
    ]


def hidden_services_by_path(user: Any, perm: Perm) -> dict[str, list[int]]:
    """For each node where ``user`` holds ``perm``: the services naming a sensitive tag that the
    user's roles there may not see (as the registry shows tags: by the roles covering the place)."""
    by_roles: dict[frozenset[str], list[int]] = {}
    found: dict[str, list[int]] = {}
    for path in sorted({path for role, path in _memberships(user) if role in PERM_ROLES[perm]}):
        roles = frozenset(roles_at(user, path))
        if roles not in by_roles:
            by_roles[roles] = services_naming_hidden_tags(roles)
        found[path] = by_roles[roles]
    return found


def tasks_under(user: Any, perm: Perm) -> QuerySet[OutreachTask]:
    """Tasks of the grids where ``user`` holds ``perm``, less those of services naming a sensitive
    tag the user may not see there: the row would say that the person carries the tag."""
    q = Q(pk__in=[])
    for path, hidden in hidden_services_by_path(user, perm).items():
        q |= Q(grid__path__startswith=path) & ~Q(service_id__in=hidden)
    return OutreachTask.objects.filter(q)


def visible_tasks(user: Any) -> QuerySet[OutreachTask]:
    """Outreach tasks of the grids in the user's RECORD scope (grid workers: their grids), less those
    of services whose rule names a sensitive tag the user may not see there."""
    return tasks_under(user, Perm.RECORD)


def get_task_for_user(user: Any, pk: Any) -> OutreachTask:
    try:
        return (
            visible_tasks(user).select_related("service", "grid", "household__building", "person").get(pk=pk)
        )
    except (OutreachTask.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
