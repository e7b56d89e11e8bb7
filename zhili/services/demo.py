"""Demo data of services: four services of the street with their rules (高龄津贴 80+, 独居老人每月探访,
残疾人两项补贴, 低保年审), generated six weeks ago and worked through by the grid workers, then
generated again twelve days ago (the monthly visits come round again) and mostly done since, so the
overview shows progress and every grid worker has open tasks. Services and generation go through
the real actions, as do the outcomes of the last two days; the older outcomes are written in bulk
(one audit row), as the registry's demo writes its visits. Safe to call twice (does nothing once a
service exists); deterministic for a seed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhili.accounts.models import Membership
from zhili.accounts.roles import Role
from zhili.territory.models import Node, NodeKind

SERVICES: list[dict[str, Any]] = [
    {
        "name": "高龄津贴",
        "description": "年满80周岁的户籍老人可申领高龄津贴，按月发放。网格员上门告知政策，可代为申请。",
        "department": "街道民政科",
        "min_age": 80,
        "interval_days": 0,
        "due_days": 14,
    },
    {
        "name": "独居老人每月探访",
        "description": "每月上门看望一次，了解身体和生活情况，检查水电燃气安全。",
        "department": "社区居委会",
        "tag_codes": ["elderly_alone"],
        "interval_days": 30,
        "due_days": 7,
    },
    {
        "name": "残疾人两项补贴核查",
        "description": "困难残疾人生活补贴和重度残疾人护理补贴：核实是否已享受，未申领的协助申请。",
        "department": "街道残联",
        "tag_codes": ["disabled"],
        "interval_days": 365,
        "due_days": 14,
    },
    {
        "name": "低保年审",
        "description": "低保家庭年度复核：告知需提交的收入和家庭情况材料，可代为收取。",
        "department": "街道民政科",
        "tag_codes": ["dibao"],
        "interval_days": 365,
        "due_days": 14,
    },
]
# Open tasks left in every grid after the recent round (where that many people need a service).
KEEP_OPEN = 4
INFORMED_NOTES = ["已上门告知政策，老人表示清楚。", "电话告知，家属会协助办理。", "", "已发放政策明白纸。"]
APPLIED_NOTES = ["已收齐材料，代为提交社区。", "协助填写申请表，已报街道。"]
NOT_NEEDED_NOTES = ["已在享受，无需办理。", "子女已办理。"]
UNREACHABLE_NOTES = ["敲门无人应答，电话未接通。", "老人外出就医，下周再联系。"]


def _staff(role: str, node: Node) -> Any:
    membership = (
        Membership.objects.filter(role=role, active=True, node=node, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _admin_over(street: Node) -> Any:
    for membership in (
        Membership.objects.filter(role=Role.ADMIN, active=True, user__is_active=True)
        .select_related("user", "node")
        .order_by("pk")
    ):
        if street.path.startswith(membership.node.path):
            return membership.user
    return None


def _workers(grids: list[Node]) -> dict[int, Any]:
    """Each grid's grid worker, or its community's staff where the grid has none."""
    out: dict[int, Any] = {}
    staff: dict[int | None, Any] = {}
    for grid in grids:
        worker = _staff(Role.GRID_WORKER, grid)
        if worker is None:
            if grid.parent_id not in staff:
                staff[grid.parent_id] = _staff(Role.COMMUNITY_STAFF, grid.parent) if grid.parent else None
            worker = staff[grid.parent_id]
        if worker is not None:
            out[grid.pk] = worker
    return out


def _outcome(rng: random.Random, service_name: str) -> tuple[str, str]:
    from zhili.services.states import Outcome

    roll = rng.random()
    if roll < 0.12:
        return Outcome.UNREACHABLE, rng.choice(UNREACHABLE_NOTES)
    if roll < 0.2:
        return Outcome.NOT_NEEDED, rng.choice(NOT_NEEDED_NOTES)
    if service_name != "独居老人每月探访" and roll < 0.5:
        return Outcome.APPLIED, rng.choice(APPLIED_NOTES)
    return Outcome.INFORMED, rng.choice(INFORMED_NOTES)


def load_demo(seed: int) -> dict[str, int] | None:
    from zhili.services.models import Service

    if Service.objects.exists():
        return None
    street = Node.objects.filter(kind=NodeKind.STREET).order_by("pk").first()
    admin = _admin_over(street) if street is not None else None
    if street is None or admin is None:
        return None
    import time_machine

    rng = random.Random(f"zhili-demo-services:{seed}")
    now = timezone.localtime().replace(second=0, microsecond=0)
    first = (now - timedelta(days=45)).replace(hour=9, minute=0)
    second = (now - timedelta(days=12)).replace(hour=8, minute=30)
    with time_machine.travel(first, tick=False) as clock:
        return _play(rng, clock, street, admin, first, second, now)


def _play(
    rng: random.Random, clock: Any, street: Node, admin: Any, first: datetime, second: datetime, now: datetime
) -> dict[str, int]:
    from zhili.services.actions import do_generate_outreach, do_record_outreach, do_save_service
    from zhili.services.models import OutreachTask
    from zhili.services.states import TaskStatus

    for values in SERVICES:
        do_save_service(None, actor=admin, node=street, **values)
    grids = list(
        Node.objects.filter(kind=NodeKind.GRID, path__startswith=street.path).select_related("parent")
    )
    workers = _workers(grids)
    counts = {"created": do_generate_outreach(actor=admin, now=first).created}

    def planned(since: datetime, until: datetime, share: float, keep_open: int, per_grid: int) -> list[Any]:
        tasks = list(
            OutreachTask.objects.filter(status=TaskStatus.OPEN)
            .select_related("service", "grid", "person", "household__building__grid")
            .order_by("pk")
        )
        span = (until - since).total_seconds()
        plan = []
        seen: dict[int, int] = {}
        for task in tasks:
            seen[task.grid_id] = seen.get(task.grid_id, 0) + 1
            if seen[task.grid_id] <= keep_open:
                continue  # every grid worker has something to do when they log in
            if (
                task.grid_id not in workers
                or rng.random() >= share
                or seen[task.grid_id] > keep_open + per_grid
            ):
                continue  # left open: the overview shows it (overdue once its date has passed)
            plan.append((since + timedelta(seconds=rng.uniform(0, span)), task))
        return sorted(plan, key=lambda item: (item[0], item[1].pk))

    # The first round, worked through in the ten days after it: written in bulk (the demo loader's
    # one audit row), since playing a thousand outcomes through the action would take a minute.
    counts["recorded"] = _record_in_bulk(
        rng, planned(first + timedelta(hours=1), first + timedelta(days=10), 0.95, 2, 10**6), workers
    )
    clock.move_to(second)
    # The monthly visits come round again; whoever could not be reached is asked again.
    counts["created"] += do_generate_outreach(now=second).created
    # Most of the new round in the week after, in bulk again; then the last days through the real
    # action: a few outcomes per grid, and a few tasks left open in each.
    recent = now - timedelta(days=2)
    counts["recorded"] += _record_in_bulk(
        rng, planned(second + timedelta(hours=1), recent, 0.85, KEEP_OPEN + 2, 10**6), workers
    )
    for moment, task in planned(recent, now - timedelta(hours=2), 0.5, KEEP_OPEN, 2):
        clock.move_to(moment)
        outcome, note = _outcome(rng, task.service.name)
        do_record_outreach(task, actor=workers[task.grid_id], outcome=outcome, note=note)
        counts["recorded"] += 1
    return counts


def _record_in_bulk(rng: random.Random, plan: list[Any], workers: dict[int, Any]) -> int:
    from zhili.audit.actions import record_audit
    from zhili.audit.models import AuditAction
    from zhili.residents.models import Visit
    from zhili.services.actions import VISIT_KINDS
    from zhili.services.models import OutreachTask
    from zhili.services.states import Outcome, TaskStatus

    with transaction.atomic():
        visits, tasks = [], []
        for moment, task in plan:
            outcome, note = _outcome(rng, task.service.name)
            label = Outcome(outcome).label
            visits.append(
                Visit(
                    household_id=task.household_id,
                    person_id=task.person_id,
                    visitor=workers[task.grid_id],
                    visited_at=moment,
                    kind=VISIT_KINDS[Outcome(outcome)],
                    note=f"主动服务：{task.service.name}。{label}。{note}".rstrip("。") + "。",
                )
            )
            task.status, task.outcome, task.note = TaskStatus.DONE, outcome, note
            task.done_by, task.done_at = workers[task.grid_id], moment
            tasks.append(task)
        Visit.objects.bulk_create(visits, batch_size=500)
        for task, visit in zip(tasks, visits, strict=True):
            task.visit = visit
        OutreachTask.objects.bulk_update(
            tasks, ["status", "outcome", "note", "done_by", "done_at", "visit"], batch_size=500
        )
        record_audit(AuditAction.DEMO_LOADED, details={"part": "services", "recorded": len(tasks)})
    return len(tasks)
