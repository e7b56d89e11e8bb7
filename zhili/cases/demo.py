"""Demo cases: six months of a street's requests, played through the real actions at the moments
they happened, so that every timeline, SLA clock, rate and audit row is what the product would
have recorded.

Each case has a life (a generator) that yields how long until its next step; a heap plays the
steps of all cases in time order with the clock travelled to each step (``time_machine``). A step
due after now is not played, so recent cases stop wherever their life has got to: every state of
the loop appears, side paths included (returns and arbitration, transfer, extension, suspension,
merge, rejection, rework, reopening). Afterwards the SLA sweep runs once at the real time.
"""

from __future__ import annotations

import heapq
import random
import struct
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from unittest import mock

import time_machine
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhili.accounts.models import Department, Membership, User
from zhili.accounts.roles import Role
from zhili.cases import actions as a
from zhili.cases.catalogue import DETAILS, Leaf, leaves, load_catalogue
from zhili.cases.models import Case, Category, Channel, Rating
from zhili.cases.notifications import announce
from zhili.cases.states import CaseStatus as S
from zhili.core.errors import DomainError
from zhili.notify.models import Notification, NotificationStatus
from zhili.territory.models import Building, Node, NodeKind

DAYS = 183
OPEN_FOR_MERGE = (S.DISPATCHED, S.SIGNED, S.IN_PROGRESS)
COMMENTS = {"satisfied": "处理及时，谢谢", "basically": "基本解决了", "unsatisfied": "问题没有根本解决"}
# One life step: how long until the next one (None: the life is over).
Life = Generator[timedelta | None, None, None]


def _png(rgb: tuple[int, int, int], width: int = 48, height: int = 36) -> bytes:
    """A small solid-colour PNG: a stand-in for the photo a handler takes on site."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PHOTO = _png((120, 160, 120))


@dataclass
class Cast:
    """The demo's people, as the loop needs them."""

    dispatcher: User
    supervisor: User
    resident: User | None
    handlers: dict[int, User]  # department id → handler
    grid_workers: dict[int, User]  # grid id → grid worker
    departments: dict[str, Department]


@dataclass
class Place:
    grid: Node
    lat: float
    lng: float
    name: str  # the compound or road, as residents say it


@dataclass
class World:
    rng: random.Random
    cast: Cast
    categories: dict[str, Category]
    places: list[Place]
    open_by_leaf: dict[str, list[int]] = field(default_factory=dict)
    played: int = 0
    refused: int = 0
    refusals: dict[str, int] = field(default_factory=dict)


def _cast() -> Cast | None:
    def one(username: str) -> User | None:
        return User.objects.filter(username=username).first()

    dispatcher, supervisor = one("paidan"), one("ducha")
    if dispatcher is None or supervisor is None:
        return None
    handlers: dict[int, User] = {}
    grid_workers: dict[int, User] = {}
    for m in Membership.objects.select_related("user", "node").filter(
        role__in=[Role.HANDLER, Role.GRID_WORKER]
    ):
        if m.role == Role.HANDLER and m.user.department_id:
            handlers.setdefault(m.user.department_id, m.user)
        elif m.role == Role.GRID_WORKER and m.node.kind == NodeKind.GRID:
            grid_workers.setdefault(m.node_id, m.user)
    return Cast(
        dispatcher=dispatcher,
        supervisor=supervisor,
        resident=one("jumin"),
        handlers=handlers,
        grid_workers=grid_workers,
        departments={d.code: d for d in Department.objects.all()},
    )


def _places(rng: random.Random) -> list[Place]:
    places = []
    for b in Building.objects.select_related("grid").exclude(lat=None).order_by("pk"):
        # "朝阳路12号院3号楼" → "朝阳路12号院": the compound, as people name it on the phone.
        name = b.address.split("号院")[0] + "号院" if "号院" in b.address else b.address
        places.append(Place(b.grid, float(b.lat or 0), float(b.lng or 0), name))
    rng.shuffle(places)
    return places


def _submitted_at(rng: random.Random, now: datetime) -> datetime:
    """Office-hours heavy, fewer at weekends, a little more recently."""
    while True:
        day = now - timedelta(days=DAYS * (1 - rng.random() ** 1.3))
        local = timezone.localtime(day)
        if local.weekday() >= 5 and rng.random() < 0.4:
            continue
        hour = rng.choices(
            range(24), weights=[1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 9, 7, 9, 10, 10, 9, 8, 8, 7, 6, 4, 2, 1]
        )[0]
        moment = local.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        if moment < now - timedelta(minutes=30):
            return moment


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def _text(rng: random.Random, leaf: Leaf, place: str) -> tuple[str, str]:
    title = rng.choice(leaf.titles).format(place=place)[:100]
    body = rng.choice(leaf.bodies).format(place=place, detail=rng.choice(DETAILS))
    return title, body


def _other_department(world: World, department: Department | None) -> Department:
    choices = [d for d in world.cast.departments.values() if d != department and d.pk in world.cast.handlers]
    return world.rng.choice(choices)


def _life(world: World, leaf: Leaf, place: Place, submitted: datetime, *, story: str = "") -> Life:
    rng, cast = world.rng, world.cast
    category = world.categories[leaf.code]
    title, body = _text(rng, leaf, place.name)
    if story:
        title, body = (
            story.format(place=place.name),
            story.format(place=place.name) + "，" + rng.choice(DETAILS) + "。",
        )
    roll = rng.random()
    worker = cast.grid_workers.get(place.grid.pk)
    common: dict[str, Any] = {"title": title, "body": body, "lat": place.lat, "lng": place.lng}
    if roll < 0.15 and worker is not None:
        case = a.do_submit_case(actor=worker, channel=Channel.PATROL, category=category, **common)
    elif roll < 0.45:
        mobile = f"13{rng.randrange(10**9):09d}"
        case = a.do_submit_case(
            actor=None, channel=Channel.H5, contact_mobile=mobile, anonymous=rng.random() < 0.2, **common
        )
    elif roll < 0.48 and cast.resident is not None:
        case = a.do_submit_case(
            actor=cast.resident, channel=Channel.H5, contact_mobile="13800138000", **common
        )
    else:
        mobile = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        case = a.do_submit_case(
            actor=cast.dispatcher, channel=Channel.HOTLINE, category=category, contact_mobile=mobile, **common
        )
    pk = case.pk
    opened = world.open_by_leaf.setdefault(leaf.code, [])
    yield _hours(rng, 0.1, 3)

    # The dispatcher's queue: reject, merge into an open case on the same problem, or dispatch.
    case = Case.objects.get(pk=pk)
    if case.status == S.PENDING:
        roll = rng.random()
        if roll < 0.03:
            a.do_reject(
                pk,
                actor=cast.dispatcher,
                reason=rng.choice(["not_in_remit", "private_dispute", "legal_procedure"]),
            )
            return
        main = Case.objects.filter(pk__in=opened, status__in=OPEN_FOR_MERGE).order_by("-pk").first()
        if roll < 0.06 and main is not None:
            a.do_merge(pk, actor=cast.dispatcher, into=main, note="同一问题")
            return
        # The dispatcher confirms or corrects the category on the phone, in the same dispatch.
        fix = category if case.category_id is None or case.category_source == "reporter" else None
        department = category.department
        if department is not None:
            a.do_dispatch(pk, actor=cast.dispatcher, department=department, category=fix)
        elif worker is not None:
            a.do_dispatch(pk, actor=cast.dispatcher, grid=place.grid, category=fix)
        else:
            a.do_dispatch(pk, actor=cast.dispatcher, department=cast.departments["CGK"], category=fix)
        yield _hours(rng, 0.1, 2)
    opened.append(pk)
    if len(opened) > 30:
        del opened[:-30]

    # Signing; now and then the department returns it (twice → the supervisor arbitrates).
    returns = 0
    assignee: User | None = None
    while True:
        case = Case.objects.get(pk=pk)
        assignee = cast.handlers.get(case.department_id or 0) or cast.grid_workers.get(
            case.assigned_grid_id or 0
        )
        if assignee is None:
            return
        if not case.binding and rng.random() < (0.07 if returns == 0 else 0.5):
            a.do_return(
                pk,
                actor=assignee,
                reason="不属于本部门职责，建议转" + _other_department(world, case.department).name,
            )
            returns += 1
            yield _hours(rng, 0.5, 4)
            case = Case.objects.get(pk=pk)
            if a.awaiting_arbitration(case):
                a.do_arbitrate(
                    pk,
                    actor=cast.supervisor,
                    department=case.department or cast.departments["CGK"],
                    note="职责明确，由原部门办理",
                )
            else:
                a.do_dispatch(pk, actor=cast.dispatcher, department=_other_department(world, case.department))
            yield _hours(rng, 0.2, 3)
            continue
        late = rng.random() < 0.08
        yield _hours(rng, 4, 30) if late else timedelta(0)
        a.do_sign(pk, actor=assignee)
        break
    assert assignee is not None
    yield _hours(rng, 0.2, 5)
    a.do_start(pk, actor=assignee)
    a.do_record_contact(pk, actor=assignee, note="已电话联系反映人，约定上门时间")
    if rng.random() < 0.03:
        yield _hours(rng, 2, 20)
        a.do_transfer(
            pk,
            actor=cast.dispatcher,
            reason="涉及其他部门职责，转办",
            department=_other_department(world, case.department),
        )
        case = Case.objects.get(pk=pk)
        assignee = cast.handlers[case.department_id or 0]
        yield _hours(rng, 0.5, 4)
        a.do_sign(pk, actor=assignee)
        a.do_start(pk, actor=assignee)

    # Handling, with the occasional extension or suspension.
    days = leaf.finish_days * rng.uniform(0.2, 1.1) * 1.4 + (rng.random() < 0.1) * rng.uniform(2, 8)
    side = rng.random()
    if side < 0.04:
        yield timedelta(days=days / 2)
        case = Case.objects.get(pk=pk)
        a.do_request_extension(
            pk,
            actor=assignee,
            until=(case.finish_due_at or timezone.now()) + timedelta(days=7),
            reason="需协调产权单位，申请延期",
        )
        yield _hours(rng, 1, 20)
        if rng.random() < 0.8:
            a.do_approve_extension(pk, actor=cast.dispatcher, note="同意延期")
        else:
            a.do_deny_extension(pk, actor=cast.dispatcher, note="请按期办结")
        days = days / 2 + 3
    elif side < 0.07:
        yield timedelta(days=days / 3)
        a.do_suspend(pk, actor=cast.dispatcher, reason="等待业主委员会表决结果")
        yield timedelta(days=rng.uniform(2, 10))
        a.do_resume(pk, actor=cast.dispatcher, note="已有结果，恢复办理")
    yield timedelta(days=days)

    rounds = 0
    while True:
        photos = [PHOTO] if leaf.photo or rng.random() < 0.3 else []
        a.do_resolve(
            pk,
            actor=assignee,
            feedback="已到现场处理完毕，"
            + rng.choice(["问题已解决。", "已协调相关单位整改。", "已向反映人说明情况。"]),
            photos=photos,
        )
        yield _hours(rng, 2, 36)
        case = Case.objects.get(pk=pk)
        verifier = cast.grid_workers.get(case.grid_id or 0)
        if verifier is None or verifier == case.assignee:
            verifier = cast.supervisor
        if rng.random() < 0.04:
            a.do_send_back(pk, actor=verifier, reason="现场核实问题仍存在，请重新处理")
            yield timedelta(days=rng.uniform(0.5, 3))
            continue
        a.do_verify(pk, actor=verifier, note="现场核实已整改", photos=[PHOTO])
        yield timedelta(days=rng.uniform(0.2, 3))
        weights = [80, 13, 7 if rounds == 0 else 25]
        rating = rng.choices([Rating.SATISFIED, Rating.BASICALLY, Rating.UNSATISFIED], weights=weights)[0]
        comment = COMMENTS[rating]
        if case.reporter_id and cast.resident is not None and case.reporter_id == cast.resident.pk:
            a.do_rate(pk, actor=cast.resident, rating=rating, comment=comment)
        else:
            a.do_rate_by_phone(pk, actor=cast.dispatcher, rating=rating, comment=comment)
        case = Case.objects.get(pk=pk)
        if case.status == S.DISPATCHED:  # 重办: back to the same handler with priority
            rounds += 1
            yield _hours(rng, 0.5, 6)
            a.do_sign(pk, actor=assignee)
            a.do_start(pk, actor=assignee)
            yield timedelta(days=rng.uniform(1, 4))
            continue
        if case.status != S.RATED:
            return
        yield _hours(rng, 0.5, 30)
        closer = cast.supervisor if case.needs_review else cast.dispatcher
        a.do_close(pk, actor=closer, note="办结归档")
        return


# Stories the hotspot and warning work should find: one place, one problem, many voices.
STORIES: list[tuple[str, str, int, int]] = [
    # (leaf, what residents say with {place}, how many, within the last N days)
    ("HB-ZS-SG", "{place}旁边工地夜间施工噪音扰民", 36, 18),
    ("SR-ZX-TC", "{place}地下停车位只售不租捆绑销售", 24, 40),
    ("SR-HW-LJ", "{place}垃圾站满溢没人清运", 18, 9),
]


def _plans(world: World, count: int, now: datetime) -> Iterator[tuple[datetime, Callable[[], Life]]]:
    rng = world.rng
    all_leaves = leaves()
    weights = [5 if lf.code.startswith(("SR", "CX-ZF", "HB-ZS")) else 2 for lf in all_leaves]
    for _ in range(count):
        leaf = rng.choices(all_leaves, weights=weights)[0]
        place = rng.choice(world.places)
        at = _submitted_at(rng, now)
        yield at, partial(_life, world, leaf, place, at)
    by_code = {lf.code: lf for lf in all_leaves}
    for code, story, size, within in STORIES:
        place = rng.choice(world.places)
        for _ in range(max(4, size * count // 2000)):
            at = now - timedelta(days=within * rng.random() ** 0.7, minutes=30)
            at = timezone.localtime(at).replace(hour=rng.randrange(7, 23))
            if at >= now:
                at = now - timedelta(hours=1)
            yield at, partial(_life, world, by_code[code], place, at, story=story)


def _step(world: World, life: Life) -> timedelta | None:
    """Play one step of a life in its own transaction; None when the life is over."""
    try:
        with transaction.atomic():
            # StopIteration must not leave the block as an exception: that would roll the step back.
            return next(life, None)
    except DomainError as exc:
        # A step the rules refuse ends this case's story where it stands; the loop stays consistent.
        world.refused += 1
        world.refusals[exc.code] = world.refusals.get(exc.code, 0) + 1
        return None


def _this_morning(world: World, now: datetime, traveller: Any) -> None:
    """The last hours' cases, left where today's work would find them: waiting in the queue,
    accepted, signed, returned (once, and twice: the supervisor must arbitrate), waiting for an
    extension. The random history ends too evenly to be sure each of these shows."""
    rng, cast = world.rng, world.cast
    by_code = {lf.code: lf for lf in leaves()}
    handled = [lf for lf in leaves() if lf.department and cast.departments.get(lf.department)]
    for hours, target in (
        (5.5, "pending"), (3.2, "pending"), (4.4, "accepted"), (6.1, "signed"), (2.5, "signed"),
        (7.3, "returned"), (8.2, "arbitration"), (9.1, "extension"),
    ):  # fmt: skip
        traveller.move_to(now - timedelta(hours=hours))
        place = rng.choice(world.places)
        leaf = rng.choice(handled)
        try:
            with transaction.atomic():
                if target in ("pending", "accepted"):
                    text = f"想咨询一下{place.name}附近的办事地点和时间"
                    case = a.do_submit_case(
                        actor=None, channel=Channel.H5, title=text[:100], body=text + "，谢谢。",
                        lat=place.lat, lng=place.lng, contact_mobile=f"13{rng.randrange(10**9):09d}",
                    )  # fmt: skip
                    if target == "accepted" and case.status == S.PENDING:
                        a.do_accept(case.pk, actor=cast.dispatcher, note="已受理，待确认职责部门")
                    continue
                title, body = _text(rng, by_code[leaf.code], place.name)
                case = a.do_submit_case(
                    actor=cast.dispatcher, channel=Channel.HOTLINE, category=world.categories[leaf.code],
                    title=title, body=body, lat=place.lat, lng=place.lng,
                    contact_mobile=f"13{rng.randrange(10**9):09d}",
                )  # fmt: skip
                if case.status == S.PENDING:
                    a.do_dispatch(
                        case.pk, actor=cast.dispatcher, department=world.categories[leaf.code].department
                    )
                case = Case.objects.get(pk=case.pk)
                handler = cast.handlers[case.department_id or 0]
                if target == "signed":
                    a.do_sign(case.pk, actor=handler)
                elif target in ("returned", "arbitration"):
                    a.do_return(case.pk, actor=handler, reason="不属于本部门职责")
                    if target == "arbitration":
                        other = _other_department(world, case.department)
                        a.do_dispatch(case.pk, actor=cast.dispatcher, department=other)
                        a.do_return(case.pk, actor=cast.handlers[other.pk], reason="也不属于本部门职责")
                elif target == "extension":
                    a.do_sign(case.pk, actor=handler)
                    a.do_start(case.pk, actor=handler)
                    due = Case.objects.get(pk=case.pk).finish_due_at or now
                    a.do_request_extension(
                        case.pk,
                        actor=handler,
                        until=due + timedelta(days=10),
                        reason="需协调产权单位，申请延期",
                    )
        except DomainError as exc:
            world.refused += 1
            world.refusals[exc.code] = world.refusals.get(exc.code, 0) + 1


# The grid worker the README's tour logs in as: their phone page must have work on it.
FIELD_PERSONA = "wgy_chaoyang1"


def _field_work(world: World, now: datetime, traveller: Any) -> None:
    """This morning's work in the tour's grid: a case sent to the grid to sign for, one the grid
    worker is handling, and one a department has finished that the grid worker verifies on site.
    The random history rarely leaves cases with a grid worker (most go to departments)."""
    rng, cast = world.rng, world.cast
    worker = User.objects.filter(username=FIELD_PERSONA).first()
    grid_id = next(
        (g for g, w in cast.grid_workers.items() if worker is not None and w.pk == worker.pk), None
    )
    places = [p for p in world.places if p.grid.pk == grid_id]
    handled = [lf for lf in leaves() if lf.department and cast.departments.get(lf.department)]
    if worker is None or not places or not handled:
        return
    by_code = {lf.code: lf for lf in leaves()}
    for hours, target in ((1.5, "dispatched"), (4.0, "in_progress"), (30.0, "to_verify")):
        traveller.move_to(now - timedelta(hours=hours))
        place = rng.choice(places)
        leaf = rng.choice(handled)
        title, body = _text(rng, by_code[leaf.code], place.name)
        try:
            with transaction.atomic():
                case = a.do_submit_case(
                    actor=None, channel=Channel.H5, title=title, body=body, lat=place.lat, lng=place.lng,
                    contact_mobile=f"13{rng.randrange(10**9):09d}",
                )  # fmt: skip
                if case.status != S.PENDING:
                    continue  # a rule placed it already
                category = world.categories[leaf.code]
                if target == "to_verify":
                    department = category.department
                    a.do_dispatch(case.pk, actor=cast.dispatcher, department=department, category=category)
                    handler = cast.handlers[department.pk] if department is not None else None
                    if handler is None:
                        continue
                    a.do_sign(case.pk, actor=handler)
                    a.do_start(case.pk, actor=handler)
                    a.do_resolve(
                        case.pk, actor=handler, feedback="已到现场处理完毕，请网格员核实。", photos=[PHOTO]
                    )
                    continue
                a.do_dispatch(case.pk, actor=cast.dispatcher, grid=place.grid, category=category)
                if target == "in_progress":
                    a.do_sign(case.pk, actor=worker)
                    a.do_start(case.pk, actor=worker)
        except DomainError as exc:
            world.refused += 1
            world.refusals[exc.code] = world.refusals.get(exc.code, 0) + 1


def load_demo_cases(
    seed: int, *, count: int | None = None, report: Callable[[str], Any] | None = None
) -> int:
    """Play the demo's case history; safe to call twice (does nothing once cases exist)."""
    if Case.objects.exists():
        return 0
    cast = _cast()
    street = Node.objects.filter(kind=NodeKind.STREET).order_by("pk").first()
    if cast is None or street is None:
        return 0
    rng = random.Random(f"zhili-demo-cases:{seed}")
    world = World(rng=rng, cast=cast, categories=load_catalogue(street), places=_places(rng))
    if not world.places:
        return 0
    now = timezone.now()
    total = count if count is not None else settings.ZHILI_DEMO_CASES
    heap: list[tuple[datetime, int, Any]] = []
    for order, (at, start) in enumerate(_plans(world, total, now)):
        heap.append((at, order, start))
    heapq.heapify(heap)
    lives: dict[int, Life] = {}
    # Messages about the past are marked delivered below; no sender is kicked for each of them, and
    # only the last week's events leave messages at all (the inboxes show recent work, not 10,000 rows).
    recent = now - timedelta(days=7)

    def announce_recent(*args: Any, **kwargs: Any) -> None:
        if timezone.now() >= recent:
            announce(*args, **kwargs)

    quiet = mock.patch("zhili.notify.actions._kick_sender_on_commit", lambda: None)
    quiet_base = mock.patch("zhili.cases.actions.base.announce", announce_recent)
    quiet_submit = mock.patch("zhili.cases.actions.submit.announce", announce_recent)
    with quiet, quiet_base, quiet_submit, time_machine.travel(heap[0][0], tick=False) as traveller:
        while heap:
            at, order, item = heapq.heappop(heap)
            if at > now:
                continue
            traveller.move_to(at)
            life = lives.get(order)
            if life is None:
                life = lives[order] = item()
            delay = _step(world, life)
            world.played += 1
            if delay is not None:
                heapq.heappush(heap, (at + delay, order, None))
            else:
                lives.pop(order, None)
            if report is not None and world.played % 5000 == 0:
                report(f"{world.played} steps")
        _this_morning(world, now, traveller)
        _field_work(world, now, traveller)
    # Messages about the past were delivered back then: the worker must not send them today.
    Notification.objects.filter(status=NotificationStatus.PENDING).update(
        status=NotificationStatus.SENT, sent_at=now
    )
    Notification.objects.filter(read_at=None, created_at__lt=now - timedelta(days=7)).update(read_at=now)
    from zhili.cases.sweep import sweep

    sweep(now=now)
    return Case.objects.count()
