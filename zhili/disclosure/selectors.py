"""Reads of disclosure: the board of a community, the staff list, the overdue finances, a
publication's versions and its questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhili.authz.policies import path_q
from zhili.disclosure import policies
from zhili.disclosure.models import Kind, Publication, Question
from zhili.disclosure.policies import Perm
from zhili.disclosure.states import BOARD_STATUSES, PublicationStatus
from zhili.territory.models import Node, NodeKind

S = PublicationStatus


def _ids_on(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def board(user: Any, community: Node, *, kind: str = "", year: int | None = None) -> QuerySet[Publication]:
    """What the reader may see on a community's board (公开栏): items of the community, of its grids,
    and of the street and district above it; current versions and withdrawn ones."""
    q = Q(node_id__in=_ids_on(community.path)) | Q(node__path__startswith=community.path)
    items = policies.visible_publications(user).filter(q, status__in=sorted(BOARD_STATUSES))
    if kind in Kind.values:
        items = items.filter(kind=kind)
    if year:
        items = items.filter(published_at__year=year)
    return items.select_related("node").order_by("-published_at", "-id")


def board_years(community: Node) -> list[int]:
    today = timezone.localdate()
    return list(range(today.year, today.year - 5, -1))


@dataclass
class StaffFilters:
    status: str = ""
    kind: str = ""
    node: int | None = None
    q: str = ""


def staff_list(user: Any, filters: StaffFilters | None = None) -> QuerySet[Publication]:
    """Everything at the nodes of the staff member's scope, drafts included."""
    filters = filters or StaffFilters()
    items = Publication.objects.filter(path_q(policies.scope(user, Perm.VIEW), "node__path"))
    if filters.status in S.values:
        items = items.filter(status=filters.status)
    if filters.kind in Kind.values:
        items = items.filter(kind=filters.kind)
    if filters.node:
        items = items.filter(node_id=filters.node)
    if filters.q:
        items = items.filter(title__icontains=filters.q[:50])
    return items.select_related("node", "drafted_by").order_by("-updated_at", "-id")


def last_finished_quarter(today: date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    return (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)


def overdue_finances(user: Any, today: date | None = None) -> tuple[tuple[int, int], list[Node]]:
    """Communities in scope with no 财务公开 published for the last finished quarter (未按期公开)."""
    return overdue_finances_in(policies.scope_communities(user), today)


def overdue_finances_in(
    communities: QuerySet[Node], today: date | None = None
) -> tuple[tuple[int, int], list[Node]]:
    """Those of ``communities`` with no 财务公开 published for the last finished quarter."""
    year, quarter = last_finished_quarter(today)
    done = Publication.objects.filter(
        kind=Kind.FINANCE, status=S.PUBLISHED, period_year=year, period_quarter=quarter
    ).values("node_id")
    return (year, quarter), list(communities.exclude(pk__in=done).order_by("sort_key"))


def versions(publication: Publication) -> list[Publication]:
    """The whole chain, oldest first: the versions this one replaced and those that replaced it."""
    chain = [publication]
    current = publication
    while current.replaces_id:
        current = Publication.objects.select_related("node").get(pk=current.replaces_id)
        chain.insert(0, current)
    current = publication
    while True:
        nxt = Publication.objects.select_related("node").filter(replaces_id=current.pk).first()
        if nxt is None:
            break
        chain.append(nxt)
        current = nxt
    return chain


def questions(chain: list[Publication], *, staff: bool) -> list[Question]:
    """Questions asked on any version: staff see them all, others the answered ones."""
    rows = Question.objects.filter(publication_id__in=[p.pk for p in chain])
    if not staff:
        rows = rows.filter(answered_at__isnull=False)
    return list(rows.order_by("asked_at", "id"))


def open_question_count(user: Any) -> int:
    return Question.objects.filter(
        path_q(policies.scope(user, Perm.PUBLISH), "publication__node__path"), answered_at__isnull=True
    ).count()


def board_index() -> list[tuple[Node, list[Node]]]:
    """(street, its communities) in order: the public index of the boards (two queries)."""
    communities = list(Node.objects.filter(kind=NodeKind.COMMUNITY).order_by("sort_key"))
    streets = {
        street.pk: street
        for street in Node.objects.filter(pk__in={c.parent_id for c in communities}).order_by("sort_key")
    }
    grouped: dict[int, list[Node]] = {pk: [] for pk in streets}
    for community in communities:
        if community.parent_id in grouped:
            grouped[community.parent_id].append(community)
    return [(streets[pk], grouped[pk]) for pk in streets]
