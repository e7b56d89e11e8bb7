"""REST endpoints of disclosure, mounted under /api/v1/disclosure/. Same actions as the pages.

Reading needs no login for items for everyone (like the board); staff endpoints need one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth

from zhili.core.errors import NotFound
from zhili.disclosure import actions, policies, selectors
from zhili.disclosure.models import Publication
from zhili.disclosure.policies import Perm
from zhili.disclosure.states import BOARD_STATUSES, PublicationStatus
from zhili.territory.models import Node

router = Router(tags=["disclosure"])

LIST_LIMIT = 200


class ItemOut(Schema):
    label: str
    amount: str = Field(..., description="yuan, two decimals")


class PublicationOut(Schema):
    id: int
    node: str = Field(..., description="territory node code")
    node_name: str
    kind: str
    title: str
    body: str = Field(..., description="empty once withdrawn (the reason stays)")
    period: str
    period_year: int | None
    period_quarter: int | None
    items: list[ItemOut]
    total: str | None
    audience: str
    status: str
    version: int
    replaces: int | None
    replaced_by: int | None
    reason: str = Field(..., description="why it was corrected or withdrawn")
    published_at: datetime | None
    ended_at: datetime | None
    read_count: int


def _out(
    p: Publication, *, staff: bool = False, replacements: dict[int, int] | None = None
) -> dict[str, Any]:
    """``replacements`` (replaced id -> id of its correction) spares a list one query per row."""
    hidden = p.status == PublicationStatus.WITHDRAWN and not staff
    if replacements is None:
        replacements = _replacements([p])
    replacement = replacements.get(p.pk)
    return {
        "id": p.pk,
        "node": p.node.code,
        "node_name": p.node.name,
        "kind": p.kind,
        "title": p.title,
        "body": "" if hidden else p.body,
        "period": p.period_label,
        "period_year": p.period_year,
        "period_quarter": p.period_quarter,
        "items": [] if hidden else [{"label": r["label"], "amount": str(r["yuan"])} for r in p.rows],
        "total": None if hidden or not p.items else str(p.total_yuan),
        "audience": p.audience,
        "status": p.status,
        "version": p.version,
        "replaces": p.replaces_id,
        "replaced_by": replacement,
        "reason": p.end_reason,
        "published_at": p.published_at,
        "ended_at": p.ended_at,
        "read_count": p.read_count,
    }


def _replacements(rows: list[Publication]) -> dict[int, int]:
    ids = [p.pk for p in rows]
    return (
        dict(Publication.objects.filter(replaces_id__in=ids).values_list("replaces_id", "pk")) if ids else {}
    )


def _out_list(rows: list[Publication], *, staff: bool = False) -> list[dict[str, Any]]:
    replacements = _replacements(rows)
    return [_out(p, staff=staff, replacements=replacements) for p in rows]


class BoardQuery(Schema):
    community: int | None = Field(None, description="id of a community node: its board")
    kind: str = ""
    year: int | None = Field(None, ge=2000, le=2100)


class StaffQuery(Schema):
    status: str = ""
    kind: str = ""
    node: int | None = Field(None, ge=1, le=2**31 - 1)
    q: str = Field("", max_length=50)


class ItemIn(Schema):
    label: str = Field(..., max_length=200)
    amount: str = Field(..., max_length=30, description="yuan, at most two decimals")


class DraftIn(Schema):
    kind: str = Field(..., description="party | community | finance | government")
    title: str = Field(..., max_length=500)
    body: str = Field("", max_length=40000)
    period: str = Field("", max_length=200)
    period_year: int | None = Field(None, ge=0, le=9999)
    period_quarter: int | None = Field(None, ge=0, le=9)
    items: list[ItemIn] = Field(default_factory=list, max_length=200)
    audience: str = Field("public", description="public | residents")


class CreateIn(DraftIn):
    node: str = Field(..., max_length=32, description="code of a street or community node")


class CorrectIn(DraftIn):
    reason: str = Field(..., max_length=1000)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=1000)


def _values(payload: DraftIn) -> dict[str, Any]:
    data = payload.model_dump(exclude={"node", "reason"})
    data["items"] = [item.model_dump() for item in payload.items]
    return data


@router.get("/", response=list[PublicationOut], auth=None, summary="Published items the caller may read")
def publication_list(request: HttpRequest, query: Query[BoardQuery]) -> Any:
    if query.community is not None:
        community = policies.get_board_community(query.community)
        rows = selectors.board(request.user, community, kind=query.kind, year=query.year)
    else:
        rows = (
            policies.visible_publications(request.user)
            .filter(status__in=sorted(BOARD_STATUSES))
            .select_related("node")
            .order_by("-published_at", "-id")
        )
        if query.kind:
            rows = rows.filter(kind=query.kind)
        if query.year:
            rows = rows.filter(published_at__year=query.year)
    return _out_list(list(rows[:LIST_LIMIT]))


@router.get(
    "/staff/", response=list[PublicationOut], auth=django_auth, summary="The staff list, drafts included"
)
def staff_list(request: HttpRequest, query: Query[StaffQuery]) -> Any:
    if not policies.is_staff(request.user):
        raise NotFound()
    filters = selectors.StaffFilters(status=query.status, kind=query.kind, node=query.node, q=query.q)
    return _out_list(list(selectors.staff_list(request.user, filters)[:LIST_LIMIT]), staff=True)


@router.get("/{pk}", response=PublicationOut, auth=None, summary="One item (drafts for staff only)")
def publication_detail(request: HttpRequest, pk: int) -> Any:
    publication = policies.get_publication_for_user(request.user, pk)
    staff = policies.can(request.user, Perm.VIEW, publication)
    if not staff and publication.status != PublicationStatus.DRAFT:
        actions.do_count_read(publication)
        publication.read_count += 1
    return _out(publication, staff=staff)


@router.post("/", response={201: PublicationOut}, auth=django_auth, summary="Draft a publication")
def publication_create(request: HttpRequest, payload: CreateIn) -> Any:
    if not policies.is_staff(request.user):
        raise NotFound()
    node = Node.objects.filter(code=payload.node).first()
    if node is None or not policies.allowed_at(request.user, Perm.VIEW, node.path):
        raise NotFound()
    publication = actions.do_draft_publication(actor=request.user, node=node, **_values(payload))
    return Status(201, _out(publication, staff=True))


@router.post("/{pk}/publish", response=PublicationOut, auth=django_auth)
def publication_publish(request: HttpRequest, pk: int) -> Any:
    publication = policies.get_publication_for_user(request.user, pk, Perm.PUBLISH)
    return _out(actions.do_publish_publication(publication, actor=request.user), staff=True)


@router.post("/{pk}/withdraw", response=PublicationOut, auth=django_auth)
def publication_withdraw(request: HttpRequest, pk: int, payload: ReasonIn) -> Any:
    publication = policies.get_publication_for_user(request.user, pk, Perm.PUBLISH)
    done = actions.do_withdraw_publication(publication, actor=request.user, reason=payload.reason)
    return _out(done, staff=True)


@router.post(
    "/{pk}/correct", response=PublicationOut, auth=django_auth, summary="Publish a corrected version"
)
def publication_correct(request: HttpRequest, pk: int, payload: CorrectIn) -> Any:
    publication = policies.get_publication_for_user(request.user, pk, Perm.PUBLISH)
    new = actions.do_correct_publication(
        publication, actor=request.user, reason=payload.reason, **_values(payload)
    )
    return _out(new, staff=True)
