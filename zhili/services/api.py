"""REST endpoints of services, mounted under /api/v1/services/. Same actions as the pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from zhili.authz.policies import roles_of
from zhili.residents.models import Tag
from zhili.services import actions, policies, selectors
from zhili.services.policies import Perm

router = Router(tags=["services"])


class ServiceOut(Schema):
    id: int
    name: str
    description: str
    department: str
    node: str = Field(..., description="territory node code")
    active: bool
    rule: str = Field(..., description="who needs the service and how often, in words")
    min_age: int | None
    interval_days: int = Field(..., description="0: once")
    due_days: int


class TaskOut(Schema):
    id: int
    service_id: int
    service: str
    grid: str = Field(..., description="grid node code")
    person: str = Field(..., description="masked name")
    address: str
    due_on: date
    overdue: bool
    status: str
    outcome: str


class OutcomeIn(Schema):
    outcome: str = Field(..., description="informed | applied | not_needed | unreachable")
    note: str = ""


def _task_out(task: Any) -> dict[str, Any]:
    return {
        "id": task.pk,
        "service_id": task.service_id,
        "service": task.service.name,
        "grid": task.grid.code,
        "person": selectors.masked_name(task),
        "address": f"{task.household.building.address} {task.household.number}",
        "due_on": task.due_on,
        "overdue": selectors.overdue(task),
        "status": task.status,
        "outcome": task.outcome,
    }


@router.get("/", response=list[ServiceOut])
def service_list(request: HttpRequest) -> Any:
    tags = {t.code: t for t in Tag.objects.all()}
    roles = roles_of(request.user)
    out = []
    for service in policies.visible_services(request.user).order_by("node__sort_key", "name", "pk")[:500]:
        manager = policies.can(request.user, Perm.MANAGE, service)
        out.append(
            {
                "id": service.pk,
                "name": service.name,
                "description": service.description,
                "department": service.department,
                "node": service.node.code,
                "active": service.active,
                "rule": selectors.rule_text(service, tags=tags, roles=roles, manager=manager),
                "min_age": service.min_age,
                "interval_days": service.interval_days,
                "due_days": service.due_days,
            }
        )
    return out


@router.get("/tasks/", response=list[TaskOut])
def my_tasks(request: HttpRequest) -> Any:
    return [_task_out(t) for t in selectors.my_tasks(request.user)[:500]]


@router.post("/tasks/{task_id}/outcome", response=TaskOut)
def record_outcome(request: HttpRequest, task_id: int, payload: OutcomeIn) -> Any:
    task = policies.get_task_for_user(request.user, task_id)
    done = actions.do_record_outreach(task, actor=request.user, outcome=payload.outcome, note=payload.note)
    return _task_out(done)
