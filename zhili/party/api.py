"""REST endpoints of party building, mounted under /api/v1/party/. Same actions as the pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from zhili.core.errors import NotFound
from zhili.party import actions, policies, selectors
from zhili.party.policies import Perm
from zhili.party.states import ActivityTransition

router = Router(tags=["party"])


class OrgOut(Schema):
    id: int
    name: str
    kind: str
    node: str = Field(..., description="territory node code")
    parent: int | None
    secretary_name: str
    members: int = Field(..., description="members on the register")
    activities_this_year: int


class CoverageRowOut(Schema):
    grid: str = Field(..., description="grid code")
    grid_name: str
    org: int | None
    members: int


class CoverageOut(Schema):
    grids: int
    covered: int
    missing: int
    rows: list[CoverageRowOut]


class ActivityOut(Schema):
    id: int
    org: int
    kind: str
    title: str
    date: date
    place: str
    status: str
    attendees: int
    hours: float


class AttendanceEntry(Schema):
    member: int
    hours: float = Field(0, ge=0, le=24)


class AttendanceIn(Schema):
    entries: list[AttendanceEntry]


class AttendanceOut(Schema):
    activity: int
    present: int


def _activity_out(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "org": a.org_id,
        "kind": a.kind,
        "title": a.title,
        "date": a.date,
        "place": a.place,
        "status": a.status,
        "attendees": getattr(a, "attendees", 0),
        "hours": float(getattr(a, "hours", 0) or 0),
    }


@router.get("/organisations/", response=list[OrgOut])
def organisations(request: HttpRequest) -> Any:
    policies.require_view(request.user)
    return [
        {
            "id": o.pk,
            "name": o.name,
            "kind": o.kind,
            "node": o.node.code,
            "parent": o.parent_id,
            "secretary_name": o.secretary_name,
            "members": getattr(o, "member_count", 0),
            "activities_this_year": getattr(o, "activity_count", 0),
        }
        for o in selectors.org_list(request.user)
    ]


@router.get("/coverage", response=CoverageOut)
def coverage(request: HttpRequest) -> Any:
    policies.require_view(request.user)
    data = selectors.coverage(request.user)
    return {
        "grids": len(data.rows),
        "covered": data.covered,
        "missing": data.missing,
        "rows": [
            {
                "grid": r.grid.code,
                "grid_name": r.grid.name,
                "org": r.org.pk if r.org else None,
                "members": r.members,
            }
            for r in data.rows
        ],
    }


@router.get("/activities/", response=list[ActivityOut])
def activities(request: HttpRequest, status: str = "", kind: str = "", year: int | None = None) -> Any:
    policies.require_view(request.user)
    if year is not None and not 1921 <= year <= 2200:
        year = None
    rows = selectors.activity_list(request.user, status=status[:20], kind=kind[:20], year=year)[:500]
    return [_activity_out(a) for a in rows]


def _reload(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    activity = selectors.activity_list(request.user).get(pk=activity_id)
    return _activity_out(activity)


@router.post("/activities/{activity_id}/transitions/{name}", response=ActivityOut)
def activity_transition(request: HttpRequest, activity_id: int, name: str) -> Any:
    activity = policies.get_activity_for_user(request.user, activity_id, Perm.PLAN)
    try:
        transition = ActivityTransition(name)
    except ValueError:
        raise NotFound() from None
    actions.do_transition_activity(activity, transition, actor=request.user)
    return _reload(request, activity_id)


@router.post("/activities/{activity_id}/attendance", response=AttendanceOut)
def record_attendance(request: HttpRequest, activity_id: int, payload: AttendanceIn) -> Any:
    activity = policies.get_activity_for_user(request.user, activity_id, Perm.ATTEND)
    entries = {e.member: e.hours for e in payload.entries}
    count = actions.do_record_attendance(activity, entries=entries, actor=request.user)
    return {"activity": activity.pk, "present": count}
