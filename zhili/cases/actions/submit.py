"""Intake from every channel: validate, locate, classify, start the clock, dispatch by rule or queue."""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.accounts.models import Membership
from zhili.accounts.roles import Role
from zhili.analytics import rollups
from zhili.audit.models import AuditAction
from zhili.cases import clock, conf
from zhili.cases.actions.base import (
    BODY_MAX,
    CODE_ALPHABET,
    CODE_LENGTH,
    SYSTEM_ACTOR,
    TITLE_MAX,
    S,
    T,
    _actor_user,
    _clean_text,
    _record,
    _target_data,
    clean_photos,
)
from zhili.cases.contact import MOBILE_RE, PHONE_RE, normalise_phone, phone_index, seal
from zhili.cases.dispatch import match_rule
from zhili.cases.intake import before_commit
from zhili.cases.models import (
    Case,
    Category,
    Channel,
    Urgency,
)
from zhili.cases.notifications import announce
from zhili.cases.photos import CleanPhoto
from zhili.cases.policies import (
    staff_paths,
)
from zhili.cases.rulebook import pinned, rulebook
from zhili.cases.states import (
    NEW,
    is_edge,
)
from zhili.core import prepared, rows, stamped
from zhili.core.errors import DomainError, Forbidden
from zhili.territory.models import GridBoundary, Node

logger = logging.getLogger(__name__)

# Intake ------------------------------------------------------------------------------------------


def random_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_code() -> str:
    """A code no case has yet (for callers outside a transaction that cannot retry)."""
    while True:
        code = random_code()
        if not Case.objects.filter(code=code).exists():
            return code


# A random code may already be taken (50 bits: about one submit in 10⁸ at ten million cases).
CODE_ATTEMPTS = 3
R = TypeVar("R")


class CodeClash(IntegrityError):
    """Saving the case failed on a unique index, perhaps its random tracking code's.

    Raised inside the transaction, which is then aborted; ``retry_code_clash`` checks the code
    after the rollback and tries again only when another case really holds it.
    """

    def __init__(self, code: str) -> None:
        super().__init__("the case could not be saved (tracking code taken?)")
        self.code = code


def retry_code_clash(run: Callable[[], R]) -> R:
    """Run a unit of work that submits a case (its own transaction or savepoint) and, when its
    random tracking code turns out to be taken, run it again with a new one."""
    for _attempt in range(CODE_ATTEMPTS - 1):
        try:
            return run()
        except CodeClash as clash:
            # Inside a transaction that the clash aborted, only the caller can try again.
            if connection.needs_rollback or not Case.objects.filter(code=clash.code).exists():
                raise
            logger.warning("tracking code taken; submitting again with a new one")
    return run()


STAFF_ROLES = frozenset(
    {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR}
)
CHANNEL_ROLES: dict[str, frozenset[str]] = {
    Channel.HOTLINE: frozenset({Role.DISPATCHER, Role.COMMUNITY_STAFF}),
    Channel.PATROL: frozenset({Role.GRID_WORKER}),
}


def _user_roles(actor: Any) -> set[str]:
    if actor is SYSTEM_ACTOR or actor is None or not getattr(actor, "is_authenticated", False):
        return set()
    from zhili.authz.policies import _memberships

    return {role for role, _path in _memberships(actor)}


def _check_channel(channel: str, actor: Any) -> None:
    if channel not in Channel.values:
        raise DomainError("channel_invalid", _("Unknown channel."), status=422)
    roles = _user_roles(actor)
    if channel in CHANNEL_ROLES:
        allowed = bool(roles & CHANNEL_ROLES[channel])
    elif channel in (Channel.WEBHOOK, Channel.OPEN311):
        allowed = actor is SYSTEM_ACTOR
    elif channel == Channel.API:
        allowed = actor is SYSTEM_ACTOR or bool(getattr(actor, "is_authenticated", False))
    else:  # the resident form: anyone
        allowed = True
    if not allowed:
        raise Forbidden()


@dataclass(frozen=True)
class Located:
    node: Node
    grid: Node | None
    boundary_id: int | None


def _valid_coordinate(value: float, low: float, high: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and low <= value <= high


def _grid_and_boundary(grid_id: int) -> Located | None:
    """The grid with the id of its current boundary, in one read (the boundary's own columns,
    its geometry above all, are not needed here)."""
    qn = connection.ops.quote_name
    meta = GridBoundary._meta
    boundary_id = (
        f"(SELECT b.{qn(meta.pk.column or 'id')} FROM {qn(meta.db_table)} b"
        f" WHERE b.{qn(meta.get_field('grid').column)} = n.{qn(Node._meta.pk.column or 'id')}"  # type: ignore[union-attr]
        f" AND b.{qn(meta.get_field('is_current').column)})"  # type: ignore[union-attr]
    )
    with prepared.cursor() as cursor:
        cursor.execute(
            f"SELECT {rows.columns(Node, 'n')}, {boundary_id} FROM {qn(Node._meta.db_table)} n"
            f" WHERE n.{qn(Node._meta.pk.column or 'id')} = %s",
            [grid_id],
        )
        found = cursor.fetchone()
    if found is None:  # the grid went away since the spatial index was built
        return None
    grid = rows.load(Node, found[:-1])
    return Located(grid, grid, found[-1])


def _locate(*, lat: float | None, lng: float | None, address: str, node: Node | None, actor: Any) -> Located:
    from zhili.territory.locate import locate_address, locate_area, locate_grid_id

    if (lat is None) != (lng is None):
        raise DomainError("coordinates_incomplete", _("Give both latitude and longitude."), status=422)
    if lat is not None and lng is not None:
        if not (_valid_coordinate(lat, -90, 90) and _valid_coordinate(lng, -180, 180)):
            raise DomainError("coordinates_invalid", _("The coordinates are not valid."), status=422)
        grid_id = locate_grid_id(lat, lng)
        located = _grid_and_boundary(grid_id) if grid_id is not None else None
        if located is None:
            raise DomainError(
                "outside_territory", _("This place lies outside the territory we serve."), status=422
            )
        return located
    grid = locate_address(address) if address else None
    located = _grid_and_boundary(grid.pk) if grid is not None else None
    if located is not None:
        return located
    if node is not None:
        if actor is not SYSTEM_ACTOR:
            paths = staff_paths(actor, STAFF_ROLES)
            if not any(node.path.startswith(p) for p in paths):
                raise DomainError("node_not_found", _("Unknown area."), status=422)
        return Located(node, None, None)
    # An address that names no single grid may still say which community or street it is in.
    area = locate_area(address) if address else None
    if area is not None:
        return Located(area, None, None)
    # Neither a point nor a known place: the case waits with the dispatcher of the actor's area,
    # or with the first dispatcher down the tree when the platform serves one area.
    paths = staff_paths(actor, STAFF_ROLES) if actor is not SYSTEM_ACTOR else []
    if paths:
        fallback = Node.objects.filter(path=paths[0]).first()
        if fallback is not None:
            return Located(fallback, None, None)
    fallback = _dispatcher_node()
    if fallback is not None:
        return Located(fallback, None, None)
    raise DomainError("location_required", _("Mark the place on the map or give an address."), status=422)


def _dispatcher_node() -> Node | None:
    """Where a case no one could place waits: from the only root down through areas with a single
    child (a district serving one street), the first area with an active dispatcher; without one,
    the area where the tree branches. A case filed at a district no one works at would be lost."""
    roots = list(Node.objects.filter(parent__isnull=True)[:2])
    if len(roots) != 1:
        return None
    node = roots[0]
    while True:
        if Membership.objects.filter(node=node, role=Role.DISPATCHER, active=True).exists():
            return node
        children = list(Node.objects.filter(parent=node)[:2])
        if len(children) != 1:
            return node
        node = children[0]


def _classify(title: str, body: str, lat: float | None, lng: float | None) -> Any:
    from zhili.intelligence.classify import classify

    try:
        location = (lat, lng) if lat is not None and lng is not None else None
        return classify(title, body, location, keep_guess=True)
    except Exception:  # a broken model must never stop intake: the dispatcher decides instead
        logger.exception("classifier failed; the case goes to the dispatcher")
        return None


def do_submit_case(
    *,
    actor: Any,
    channel: str,
    title: str,
    body: str,
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    node: Node | None = None,
    category: Category | None = None,
    urgency: str = Urgency.NORMAL,
    contact_name: str = "",
    contact_mobile: str = "",
    anonymous: bool = False,
    external_ref: str = "",
    photos: Sequence[bytes | CleanPhoto] = (),
    now: datetime | None = None,
) -> Case:
    """Intake from any channel: validate, locate, classify, start the clock, dispatch by rule or queue.

    Outside a transaction a clash of the random tracking code is retried here; inside one the
    caller retries the whole unit (see ``retry_code_clash``), as the clash aborts it.
    """

    def once() -> Case:
        # The stamps of the configuration, the grid boundaries and the classifier in one read,
        # and one look at the configuration for the whole intake.
        with stamped.read_together(), pinned():
            return _submit(
                actor=actor,
                channel=channel,
                title=title,
                body=body,
                lat=lat,
                lng=lng,
                address=address,
                node=node,
                category=category,
                urgency=urgency,
                contact_name=contact_name,
                contact_mobile=contact_mobile,
                anonymous=anonymous,
                external_ref=external_ref,
                photos=photos,
                now=now,
            )

    return retry_code_clash(once)


def _submit(
    *,
    actor: Any,
    channel: str,
    title: str,
    body: str,
    lat: float | None,
    lng: float | None,
    address: str,
    node: Node | None,
    category: Category | None,
    urgency: str,
    contact_name: str,
    contact_mobile: str,
    anonymous: bool,
    external_ref: str,
    photos: Sequence[bytes | CleanPhoto],
    now: datetime | None,
) -> Case:
    _check_channel(channel, actor)
    title = _clean_text(title, field_name="title", required=True, max_length=TITLE_MAX)
    body = _clean_text(body, field_name="body", required=True, max_length=BODY_MAX)
    address = _clean_text(address, field_name="address", required=False, max_length=200)
    contact_name = _clean_text(contact_name, field_name="contact_name", required=False, max_length=50)
    external_ref = _clean_text(external_ref, field_name="external_ref", required=False, max_length=100)
    mobile = normalise_phone(contact_mobile) if contact_mobile else ""
    if mobile and not (MOBILE_RE.match(mobile) or PHONE_RE.match(mobile)):
        raise DomainError("mobile_invalid", _("The phone number is not valid."), status=422)
    if urgency not in Urgency.values:
        raise DomainError("urgency_invalid", _("Unknown urgency."), status=422)
    is_staff = bool(_user_roles(actor) & STAFF_ROLES) or actor is SYSTEM_ACTOR
    if urgency != Urgency.NORMAL and not is_staff:
        raise DomainError("urgency_not_allowed", _("Only staff can mark a case urgent."), status=422)
    if category is not None and not category.active:
        raise DomainError("category_invalid", _("Unknown category."), status=422)
    clean = clean_photos(photos)

    located = _locate(lat=lat, lng=lng, address=address, node=node, actor=actor)
    prediction = _classify(title, body, lat, lng)
    # A guess below the threshold is only kept for the dispatcher to see: it sets no category,
    # confidence or source and takes no part in dispatch (``prediction`` is what counts).
    guess = prediction
    if prediction is not None and prediction.below_threshold:
        prediction = None
    confidence: float | None = None
    source = ""
    if category is not None:
        if is_staff:
            confidence, source = 1.0, ("system" if actor is SYSTEM_ACTOR else "staff")
        else:
            agrees = prediction is not None and prediction.category_code == category.code
            confidence, source = (float(prediction.confidence) if agrees else 0.0), "reporter"
    elif prediction is not None:
        category = rulebook().active_category(prediction.category_code)
        if category is not None:
            confidence, source = float(prediction.confidence), "classifier"

    now = now or timezone.now()
    # Inside a caller's transaction (the API's idempotent request) no savepoint of its own: an
    # error here fails the caller's whole unit of work anyway.
    with transaction.atomic(savepoint=False):
        case = Case(
            # 50 random bits: a clash with an existing code is left to the unique index (the
            # request fails whole and can be sent again) rather than checked with a read each time.
            code=random_code(),
            title=title,
            body=body,
            channel=channel,
            status=S.PENDING,
            category=category,
            category_confidence=confidence,
            category_source=source,
            node=located.node,
            grid=located.grid,
            boundary_id=located.boundary_id,
            lat=lat,
            lng=lng,
            address=address,
            reporter=_actor_user(actor),
            contact_name_enc=seal(contact_name),
            contact_mobile_enc=seal(mobile),
            contact_mobile_bidx=phone_index(mobile),
            anonymous=anonymous,
            external_ref=external_ref,
            urgency=urgency,
            priority={Urgency.NORMAL: 0, Urgency.URGENT: 1, Urgency.EMERGENCY: 2}[Urgency(urgency)],
        )
        clock.start_clock(case, now)
        data: dict[str, Any] = {"channel": channel}
        if guess is not None:
            data["suggested"] = {
                "category": guess.category_code,
                "department": guess.department_code,
                "confidence": round(float(guess.confidence), 3),
                "model": guess.model_version,
            }
            if guess.below_threshold:
                data["suggested"]["below_threshold"] = True
        rule = match_rule(category, located.node, located.grid) if category is not None else None
        if rule is not None and confidence is not None and confidence >= conf.auto_dispatch_confidence():
            case.status = S.DISPATCHED
            case.department = rule.department
            case.assigned_grid = located.grid if rule.to_case_grid else rule.grid
            data.update({"auto": True, "rule": rule.pk, **_target_data(case)})
        assert is_edge(T.SUBMIT, NEW, case.status)
        try:
            rows.insert_new([case])  # one plain INSERT: the ORM's own costs as much as the server's work
        except IntegrityError as exc:
            raise CodeClash(case.code) from exc
        audit: list[Callable[[], object]] = []
        event = _record(
            case,
            T.SUBMIT.value,
            actor=actor,
            source=NEW,
            target=case.status,
            data=data,
            photos=clean,
            audit_action=AuditAction.CASE_SUBMITTED,
            defer=audit.append,
        )
        rollups.on_case_change(None, case)  # the cockpit's counters, to the journal
        announce(case, T.SUBMIT.value, NEW, case.status, actor=_actor_user(actor))
        # The event it was born with, for the response (see ``selectors.submitted_case``).
        case._submit_event = event  # type: ignore[attr-defined]

        def serialising_writes() -> None:
            # Every intake queues behind the audit chain's lock until its commit, so it goes last.
            for write in audit:
                write()

        before_commit(serialising_writes)
    return case
