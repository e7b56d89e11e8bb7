"""Demo data of emergency: one past emergency, played through the real actions two months back.

A 暴雨红色预警 over the low-lying grids of the first community: drafted by the street's dispatcher,
approved by the supervisor, sent to staff and residents (most acknowledge), emergency mode switched
on, 独居老人 households checked (most safe, a few needing help with their emergency cases, a few not
reached, a few never checked), emergency mode switched off and the alert expired. Safe to call
twice (does nothing once an alert exists); deterministic for a seed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from django.utils import timezone

from zhili.accounts.models import Membership
from zhili.accounts.roles import Role
from zhili.territory.models import Node, NodeKind

GRIDS_IN_AREA = 3
SAFE_NOTES = [
    "老人在家，门窗已关好。",
    "电话联系上，子女已接走。",
    "上门查看，屋内无积水。",
    "已提醒备好手电和饮用水。",
    "",
]
HELP_NOTES = [
    "一楼进水，老人行动不便，需要协助转移。",
    "老人血压偏高，药快吃完了，需要送药。",
    "屋顶漏雨严重，需要临时安置。",
]
UNREACHABLE_NOTES = ["敲门无人应答，电话未接通，已联系物业。", "电话关机，邻居说可能去了女儿家。"]


def _staff(role: str, node: Node) -> Any:
    membership = (
        Membership.objects.filter(role=role, active=True, node=node, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _checkers(grids: list[Node], community: Node) -> dict[int, Any]:
    """Each grid's grid worker, or the community's staff where a grid has none."""
    fallback = _staff(Role.COMMUNITY_STAFF, community)
    out = {}
    for grid in grids:
        worker = _staff(Role.GRID_WORKER, grid) or fallback
        if worker is not None:
            out[grid.pk] = worker
    return out


def load_demo(seed: int) -> None:
    """Safe to call twice."""
    from zhili.emergency.models import Alert

    if Alert.objects.exists():
        return None
    street = Node.objects.filter(kind=NodeKind.STREET).order_by("pk").first()
    if street is None:
        return None
    community = Node.objects.filter(kind=NodeKind.COMMUNITY, parent=street).order_by("code").first()
    dispatcher, supervisor = _staff(Role.DISPATCHER, street), _staff(Role.SUPERVISOR, street)
    if community is None or dispatcher is None or supervisor is None:
        return None
    grids = list(Node.objects.filter(kind=NodeKind.GRID, parent=community).order_by("code")[:GRIDS_IN_AREA])
    if not grids:
        return None
    import time_machine

    rng = random.Random(f"zhili-demo-emergency:{seed}")
    local = timezone.localtime() - timedelta(days=61)
    start = local.replace(hour=5, minute=40, second=0, microsecond=0)
    # Messages about the past were delivered back then: no sender is started for them.
    quiet = mock.patch("zhili.notify.actions._kick_sender_on_commit", lambda: None)
    no_task = mock.patch("zhili.emergency.delivery.start_delivery", lambda alert_id: None)
    no_task_actions = mock.patch("zhili.emergency.actions.start_delivery", lambda alert_id: None)
    with quiet, no_task, no_task_actions, time_machine.travel(start, tick=False) as clock:
        alert = _play(rng, clock, start, street, community, grids, dispatcher, supervisor)
    _mark_delivered(alert.pk)
    return None


def _play(
    rng: random.Random,
    clock: Any,
    start: datetime,
    street: Node,
    community: Node,
    grids: list[Node],
    dispatcher: Any,
    supervisor: Any,
) -> Any:
    from zhili.cases.models import Case
    from zhili.emergency.actions import (
        do_acknowledge,
        do_draft_alert,
        do_expire_alerts,
        do_mobilise,
        do_record_check,
        do_switch_emergency_mode,
        do_transition_alert,
    )
    from zhili.emergency.delivery import deliver_alert
    from zhili.emergency.models import Acknowledgement, CheckTask
    from zhili.emergency.states import AlertTransition as T
    from zhili.emergency.states import CheckOutcome

    def at(minutes: float) -> datetime:
        moment = start + timedelta(minutes=minutes)
        clock.move_to(moment)
        return moment

    names = "、".join(g.name for g in grids)
    alert = do_draft_alert(
        actor=dispatcher,
        node=street,
        grids=grids,
        cap_status="Actual",
        msg_type="Alert",
        scope="Public",
        category="Met",
        event="暴雨",
        urgency="Immediate",
        severity="Extreme",
        certainty="Likely",
        headline="暴雨红色预警：今明两天特大暴雨，低洼地带注意防范",
        description="区气象台发布暴雨红色预警信号，预计未来12小时累计降雨量将达150毫米以上，局地伴有雷电和短时大风。",
        instruction="请居民减少外出，远离地下通道、低洼路段和河道；一楼及地下室住户注意防止进水；如需帮助请联系网格员或拨打12345。",
        effective=start + timedelta(minutes=30),
        expires=start + timedelta(hours=36),
        area_desc=f"{community.name}（{names}）",
    )
    at(12)
    alert = do_transition_alert(alert, T.SUBMIT, actor=dispatcher)
    at(27)
    alert = do_transition_alert(alert, T.APPROVE, actor=supervisor, note="同意发布")
    at(31)
    alert = do_transition_alert(alert, T.SEND, actor=dispatcher)
    deliver_alert(alert.pk)
    at(35)
    do_switch_emergency_mode(
        street, actor=dispatcher, on=True, reason="暴雨红色预警，启动防汛应急响应", alert=alert
    )
    at(42)
    do_mobilise(alert, actor=dispatcher, tag_codes=["elderly_alone"])

    # Acknowledgements over the first hours: most staff, many residents.
    for ack in Acknowledgement.objects.filter(alert=alert).order_by("pk"):
        share = 0.95 if ack.audience == "staff" else 0.7
        if rng.random() < share:
            do_acknowledge(ack.token, now=start + timedelta(minutes=35 + rng.expovariate(1 / 50)))

    # The checks: the grid's worker goes door to door through the morning.
    checkers = _checkers(grids, community)
    tasks = list(CheckTask.objects.filter(alert=alert).select_related("grid").order_by("grid_id", "pk"))
    minute = 50.0
    for task in tasks:
        worker = checkers.get(task.grid_id)
        roll = rng.random()
        minute += rng.uniform(4, 12)
        if worker is None or roll < 0.05:
            continue  # never checked: the board shows it open
        at(minute)
        if roll < 0.12:
            outcome, note = CheckOutcome.NEEDS_HELP, rng.choice(HELP_NOTES)
        elif roll < 0.18:
            outcome, note = CheckOutcome.UNREACHABLE, rng.choice(UNREACHABLE_NOTES)
        else:
            outcome, note = CheckOutcome.SAFE, rng.choice(SAFE_NOTES)
        do_record_check(task, actor=worker, outcome=outcome, note=note)

    # The help requests were dealt with that day (the case loop itself is the cases app's demo).
    help_cases = list(
        Case.objects.filter(pk__in=CheckTask.objects.filter(alert=alert).exclude(case=None).values("case_id"))
    )
    _close_cases(help_cases, dispatcher, supervisor, checkers, at)

    at(60 * 30)
    do_switch_emergency_mode(street, actor=supervisor, on=False, reason="预警解除，转入灾后恢复")
    at(60 * 36 + 5)
    do_expire_alerts()
    return alert


def _close_cases(
    cases: list[Any], dispatcher: Any, supervisor: Any, checkers: dict[int, Any], at: Any
) -> None:
    """Each help case: dispatched to its grid, handled on site the same day, verified."""
    from zhili.cases.actions.transitions import do_dispatch, do_resolve, do_sign, do_start, do_verify
    from zhili.core.errors import DomainError

    minute = 60 * 6.0
    for case in cases:
        worker = checkers.get(case.grid_id) if case.grid_id else None
        if worker is None or case.grid is None:
            continue
        try:
            at(minute)
            do_dispatch(case, actor=dispatcher, grid=case.grid)
            at(minute + 10)
            do_sign(case, actor=worker)
            do_start(case, actor=worker)
            at(minute + 90)
            do_resolve(case, actor=worker, feedback="已协助处置，老人情况稳定。")
            at(minute + 180)
            do_verify(case, actor=supervisor, note="电话回访核实。")
        except DomainError:  # e.g. a worker who is not the grid's assignee: the case stays with the queue
            continue
        minute += 40


def _mark_delivered(alert_id: int) -> None:
    from zhili.notify.models import Notification, NotificationStatus

    Notification.objects.filter(
        topic=f"emergency.alert:{alert_id}", status=NotificationStatus.PENDING
    ).update(status=NotificationStatus.SENT, sent_at=timezone.now())
