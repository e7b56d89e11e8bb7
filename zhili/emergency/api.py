"""REST endpoints of emergency, mounted under /api/v1/emergency/. Same actions as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from zhili.core.errors import NotFound
from zhili.emergency import actions, policies, selectors
from zhili.emergency.states import AlertTransition

router = Router(tags=["emergency"])


class AlertOut(Schema):
    id: int
    identifier: str
    status: str
    cap_status: str
    msg_type: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    instruction: str
    area_desc: str
    node: str = Field(..., description="territory node code")
    effective: datetime
    expires: datetime
    sent: datetime | None


def _alert_out(alert: Any) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "identifier": alert.identifier,
        "status": alert.status,
        "cap_status": alert.cap_status,
        "msg_type": alert.msg_type,
        "event": alert.event,
        "urgency": alert.urgency,
        "severity": alert.severity,
        "certainty": alert.certainty,
        "headline": alert.headline,
        "instruction": alert.instruction,
        "area_desc": alert.area_desc,
        "node": alert.node.code,
        "effective": alert.effective,
        "expires": alert.expires,
        "sent": alert.sent,
    }


class TransitionIn(Schema):
    note: str = ""


class GridProgressOut(Schema):
    grid_id: int | None
    name: str
    total: int
    done: int
    safe: int
    needs_help: int
    unreachable: int


class BoardOut(Schema):
    rows: list[GridProgressOut]
    total: GridProgressOut


class TaskOut(Schema):
    id: int
    alert: int
    grid: str
    address: str
    outcome: str
    note: str
    case: str | None


class CheckIn(Schema):
    outcome: str = Field(..., description="safe | needs_help | unreachable")
    note: str = ""


def _progress(row: Any) -> dict[str, Any]:
    return {
        "grid_id": row.grid_id,
        "name": row.name,
        "total": row.total,
        "done": row.done,
        "safe": row.safe,
        "needs_help": row.needs_help,
        "unreachable": row.unreachable,
    }


def _task_out(task: Any) -> dict[str, Any]:
    return {
        "id": task.pk,
        "alert": task.alert_id,
        "grid": task.grid.code,
        "address": f"{task.household.building.address} {task.household.number}",
        "outcome": task.outcome,
        "note": task.note,
        "case": task.case.code if task.case_id else None,
    }


@router.get("/alerts/", response=list[AlertOut])
def alert_list(request: HttpRequest, status: str = "") -> Any:
    return [_alert_out(a) for a in selectors.alert_list(request.user, status)[:200]]


@router.get("/alerts/{alert_id}", response=AlertOut)
def alert_detail(request: HttpRequest, alert_id: int) -> Any:
    return _alert_out(policies.get_alert_for_user(request.user, alert_id))


@router.post("/alerts/{alert_id}/transitions/{name}", response=AlertOut)
def alert_transition(request: HttpRequest, alert_id: int, name: str, payload: TransitionIn) -> Any:
    alert = policies.get_alert_for_user(request.user, alert_id)
    try:
        transition = AlertTransition(name)
    except ValueError:
        raise NotFound() from None
    if transition is AlertTransition.EXPIRE:
        raise NotFound()
    return _alert_out(actions.do_transition_alert(alert, transition, actor=request.user, note=payload.note))


@router.get("/alerts/{alert_id}/board", response=BoardOut)
def alert_board(request: HttpRequest, alert_id: int) -> Any:
    data = selectors.board(policies.get_alert_for_user(request.user, alert_id))
    return {"rows": [_progress(r) for r in data.rows], "total": _progress(data.total)}


@router.get("/tasks/", response=list[TaskOut])
def my_tasks(request: HttpRequest) -> Any:
    return [_task_out(t) for t in selectors.my_tasks(request.user)[:500]]


@router.post("/tasks/{task_id}/check", response=TaskOut)
def check(request: HttpRequest, task_id: int, payload: CheckIn) -> Any:
    task = policies.get_task_for_user(request.user, task_id)
    done = actions.do_record_check(task, actor=request.user, outcome=payload.outcome, note=payload.note)
    return _task_out(done)
