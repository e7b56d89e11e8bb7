"""Writes to the resident registry. Every write is one transaction with one audit row.

Audit details name fields, never their values (the audit log is read by auditors who have no
business with personal data). The per-person ``PersonLog`` row written beside each audit row lets
the person page and the resident's own page list history and accesses without scanning the log.

Access checks are the caller's job (views and the API load objects through
zhili.residents.policies); the actions refuse what is wrong whoever asks, and the reveal action
checks the field table itself because that is the one place where a slip shows a full ID number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from zhili.accounts.roles import Role
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.crypto import blind_index, decrypt, encrypt
from zhili.core.errors import DomainError, Forbidden
from zhili.residents.fields import REVEAL_FIELDS, Level
from zhili.residents.models import (
    ID_NUMBER_INDEX,
    CorrectionRequest,
    CorrectionStatus,
    Gender,
    HouseholdInfo,
    HouseUse,
    IdType,
    LogKind,
    Person,
    PersonLog,
    PersonTag,
    RelationToHead,
    ResidenceStatus,
    Tag,
    Tenure,
    Visit,
    VisitKind,
)
from zhili.residents.policies import field_levels
from zhili.residents.tags import new_person_tag, seal_sensitive_tags, tags_by_person, unseal_tag
from zhili.residents.validation import (
    check_identity,
    check_mobile,
    check_moves,
    message,
    normalise_document,
    normalise_mobile,
)
from zhili.territory.models import Household, Node

PERSON_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "id_type",
    "id_number",
    "mobile",
    "relation_to_head",
    "residence_status",
    "moved_in_on",
    "moved_out_on",
)
IDENTITY_FIELDS = frozenset({"gender", "birth_date", "id_type", "id_number"})
MOVE_FIELDS = frozenset({"birth_date", "moved_in_on", "moved_out_on"})
# Model columns behind each editable field.
COLUMNS = {"id_number": ["id_number_enc", "id_number_bidx"], "mobile": ["mobile_enc", "mobile_bidx"]}
CHOICES = {
    "gender": Gender.values,
    "id_type": IdType.values,
    "relation_to_head": RelationToHead.values,
    "residence_status": ResidenceStatus.values,
}
MIN_REASON = 4
MAX_OPEN_CORRECTIONS = 5


def _grid(person: Person) -> Node:
    return person.household.building.grid


def _actor_label(actor: Any) -> str:
    return (getattr(actor, "username", "") or "system")[:150]


def _log(
    person: Person,
    kind: LogKind,
    *,
    actor: Any,
    event: AuditEvent | None,
    fields: Iterable[str] = (),
    reason: str = "",
) -> PersonLog:
    return PersonLog.objects.create(
        person=person,
        kind=kind,
        at=event.occurred_at if event is not None else timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_actor_label(actor),
        fields=list(fields),
        reason=reason[:200],
        audit_event_id=event.pk if event is not None else None,
    )


def _refuse(code: str, field: str = "", **params: Any) -> DomainError:
    return DomainError(code, message(code, **params), field=field)


def current_values(person: Person) -> dict[str, Any]:
    values = {name: getattr(person, name) for name in PERSON_FIELDS}
    return values


def validate_person_values(values: dict[str, Any], changed: Iterable[str] = PERSON_FIELDS) -> None:
    """Raise DomainError(code, field=…) for the first problem of the values a write would store."""
    changed = set(changed)
    if "name" in changed:
        if not (values.get("name") or "").strip():
            raise _refuse("required", "name")
        if len(values["name"]) > 50:
            raise _refuse("too_long", "name", max=50)
    for name, allowed in CHOICES.items():
        if name in changed and values.get(name) not in allowed:
            raise _refuse("choice", name, allowed=", ".join(allowed))
    if "birth_date" in changed and values.get("birth_date") is None:
        raise _refuse("required", "birth_date")
    if changed & IDENTITY_FIELDS:
        problems = check_identity(
            id_type=values["id_type"],
            id_number=values["id_number"],
            birth_date=values["birth_date"],
            gender=values["gender"],
        )
        if problems:
            raise _refuse(problems[0].code, problems[0].field)
    if "mobile" in changed:
        code = check_mobile(values["mobile"])
        if code:
            raise _refuse(code, "mobile")
    if changed & MOVE_FIELDS:
        problems = check_moves(
            birth_date=values["birth_date"],
            moved_in_on=values.get("moved_in_on"),
            moved_out_on=values.get("moved_out_on"),
        )
        if problems:
            raise _refuse(problems[0].code, problems[0].field)


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    """Names trimmed, document numbers and mobiles folded as typed (full-width, spaces, +86 …)."""
    out = dict(values)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
    if "id_number" in out:
        out["id_number"] = normalise_document(out.get("id_type", ""), out["id_number"] or "")
    if "mobile" in out:
        out["mobile"] = normalise_mobile(out["mobile"] or "")
    return out


def _id_taken(id_number: str, *, exclude: int | None) -> bool:
    if not id_number:
        return False
    others = Person.objects.filter(id_number_bidx=blind_index(ID_NUMBER_INDEX, id_number))
    if exclude is not None:
        others = others.exclude(pk=exclude)
    return others.exists()


def _apply(person: Person, name: str, value: Any) -> list[str]:
    if name == "id_number":
        person.set_id_number(value)
    elif name == "mobile":
        person.set_mobile(value)
    else:
        setattr(person, name, value)
    return COLUMNS.get(name, [name])


# Persons ------------------------------------------------------------------------------------------


@dataclass
class PersonInput:
    name: str
    gender: str
    birth_date: date
    relation_to_head: str
    id_type: str = IdType.RESIDENT_ID
    id_number: str = ""  # normalised (zhili.residents.validation.normalise_document)
    mobile: str = ""  # normalised (zhili.residents.validation.normalise_mobile)
    residence_status: str = ResidenceStatus.REGISTERED
    moved_in_on: date | None = None
    moved_out_on: date | None = None


def do_create_person(
    household: Household, data: PersonInput, *, actor: Any, tags: Iterable[Tag] = ()
) -> Person:
    values = _normalised({name: getattr(data, name) for name in PERSON_FIELDS})
    validate_person_values(values)
    taken = _refuse("id_number_taken", "id_number")
    try:
        with transaction.atomic():
            if _id_taken(data.id_number, exclude=None):
                raise taken
            person = Person(household=household)
            for name, value in values.items():
                _apply(person, name, value)
            person.save()
            tag_list = list(tags)
            PersonTag.objects.bulk_create([new_person_tag(person.pk, tag) for tag in tag_list])
            grid = household.building.grid
            filled = [name for name, value in values.items() if value not in ("", None)]
            event = record_audit(
                AuditAction.PERSON_CREATED,
                actor=actor,
                target=person,
                node=grid,
                details={"household_id": household.pk, "fields": filled, "tags": len(tag_list)},
            )
            _log(person, LogKind.CREATED, actor=actor, event=event, fields=filled)
    except IntegrityError:
        # Two people registering the same ID number at once: the unique index decides.
        raise taken from None
    return person


def do_update_person(
    person: Person,
    changes: dict[str, Any],
    *,
    actor: Any,
    kind: LogKind = LogKind.UPDATED,
    reason: str = "",
) -> list[str]:
    """Change some fields; returns the names of those that really changed (none: no audit row)."""
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise DomainError(
            "unknown_field",
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
        )
    taken = _refuse("id_number_taken", "id_number")
    try:
        with transaction.atomic():
            locked = (
                Person.objects.select_for_update(of=("self",))
                .select_related("household__building__grid")
                .get(pk=person.pk)
            )
            if locked.anonymised_at is not None:
                raise DomainError("anonymised", _("This record has been anonymised and cannot be changed."))
            current = current_values(locked)
            changes = _normalised(changes)
            merged = {**current, **changes}
            changed = [name for name in PERSON_FIELDS if name in changes and merged[name] != current[name]]
            if not changed:
                return []
            validate_person_values(merged, changed)
            if "id_number" in changed and _id_taken(merged["id_number"], exclude=locked.pk):
                raise taken
            columns: list[str] = ["updated_at"]
            for name in changed:
                columns += _apply(locked, name, merged[name])
            locked.save(update_fields=columns)
            event = record_audit(
                AuditAction.PERSON_UPDATED,
                actor=actor,
                target=locked,
                node=_grid(locked),
                details={"fields": changed, "kind": str(kind)},
            )
            _log(locked, kind, actor=actor, event=event, fields=changed, reason=reason)
    except IntegrityError:
        raise taken from None
    for name in changed:
        for column in COLUMNS.get(name, [name]):
            setattr(person, column, getattr(locked, column))
    return changed


def do_set_person_tags(person: Person, *, tags: Iterable[Tag], editable: Iterable[Tag], actor: Any) -> bool:
    """Make the person's tags among ``editable`` (what the editor may see) exactly ``tags``.

    Tags the editor cannot see are left as they are. Returns whether anything changed. The audit row
    names the non-sensitive tags added or removed and only counts the sensitive ones.
    """
    wanted = {tag.pk: tag for tag in tags}
    editable_map = {tag.pk: tag for tag in editable}
    if set(wanted) - set(editable_map):
        raise Forbidden()
    with transaction.atomic():
        locked = (
            Person.objects.select_for_update(of=("self",))
            .select_related("household__building__grid")
            .get(pk=person.pk)
        )
        if locked.anonymised_at is not None:
            raise DomainError("anonymised", _("This record has been anonymised and cannot be changed."))
        current = {tag.pk: tag for tag in tags_by_person([locked.pk]).get(locked.pk, [])}
        final = {pk for pk in current if pk not in editable_map} | set(wanted)
        added = [wanted[pk] for pk in final - set(current)]
        removed = [current[pk] for pk in set(current) - final]
        if not added and not removed:
            return False
        removed_codes = {tag.code for tag in removed}
        for row in PersonTag.objects.filter(person=locked):
            code = row.tag.code if row.tag is not None else decrypt(row.tag_enc)
            if code in removed_codes:
                row.delete()
        PersonTag.objects.bulk_create([new_person_tag(locked.pk, tag) for tag in added])
        event = record_audit(
            AuditAction.PERSON_TAGS_CHANGED,
            actor=actor,
            target=locked,
            node=_grid(locked),
            details={
                "added": sorted(tag.code for tag in added if not tag.sensitive),
                "removed": sorted(tag.code for tag in removed if not tag.sensitive),
                "sensitive_changed": sum(1 for tag in added + removed if tag.sensitive),
            },
        )
        _log(locked, LogKind.TAGS, actor=actor, event=event, fields=["tags"])
    return True


def do_reveal_pii(person: Person, *, field: str, reason: str, actor: Any) -> str:
    """The full value of one field, for a user whose role may reveal it, with a typed reason. Audited."""
    grid = _grid(person)
    if field not in REVEAL_FIELDS or field_levels(actor, grid.path)[field] < Level.REVEALABLE:
        raise Forbidden()
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON:
        raise DomainError(
            "reason_required",
            _("Say why you need the full value (at least %(min)s characters).") % {"min": MIN_REASON},
            field="reason",
        )
    value: str = getattr(person, field)
    with transaction.atomic():
        event = record_audit(
            AuditAction.PII_REVEALED,
            actor=actor,
            target=person,
            node=grid,
            details={"person_id": person.pk, "field": field, "reason": reason[:200]},
        )
        _log(person, LogKind.REVEALED, actor=actor, event=event, fields=[field], reason=reason)
    return value


NUMBER_SEARCH_SCOPE = "residents-number-search"
NUMBER_SEARCH_WINDOW = 3600


def do_look_up_by_number(kind: str, found: list[Person], *, actor: Any) -> None:
    """Count and audit a staff look-up by full ID number or mobile, before its results are shown.

    Call it once the search has run (``found`` is what it matched and the viewer may see). A number
    look-up tells whose number it is, so each one is audited with the persons it found (never the
    number) and lands in those persons' access history; past ``ZHILI_NUMBER_SEARCH_LIMIT`` in an
    hour the user is refused until the hour is over, and nothing is shown.
    """
    from django.conf import settings

    from zhili.core import ratelimit

    client = f"user:{actor.pk}"
    # Counted first and refused past the limit: parallel look-ups cannot all pass one check.
    if (
        ratelimit.count_hit(NUMBER_SEARCH_SCOPE, client, window=NUMBER_SEARCH_WINDOW)
        > settings.ZHILI_NUMBER_SEARCH_LIMIT
    ):
        raise DomainError(
            "too_many_number_searches",
            _(
                "Too many look-ups by ID number or mobile in the last hour (at most %(limit)s). "
                "Search by name, or try again later."
            )
            % {"limit": settings.ZHILI_NUMBER_SEARCH_LIMIT},
            status=429,
        )
    with transaction.atomic():
        event = record_audit(
            AuditAction.PERSONS_FOUND_BY_NUMBER,
            actor=actor,
            node=_grid(found[0]) if len(found) == 1 else None,
            details={"kind": kind, "found": len(found), "person_ids": [p.pk for p in found]},
        )
        for person in found:
            _log(person, LogKind.FOUND, actor=actor, event=event, fields=[kind])


def do_record_person_view(person: Person, *, fields: list[str], actor: Any) -> None:
    """A staff member opened the person's record (which fields they were shown, never the values)."""
    with transaction.atomic():
        event = record_audit(
            AuditAction.PERSON_VIEWED,
            actor=actor,
            target=person,
            node=_grid(person),
            details={"person_id": person.pk, "fields": fields},
        )
        _log(person, LogKind.VIEWED, actor=actor, event=event, fields=fields)


# Households and visits ----------------------------------------------------------------------------


HOUSE_FIELDS = ("floor", "area", "use", "tenure", "note")


def do_update_household_info(household: Household, *, actor: Any, **values: Any) -> list[str]:
    unknown = set(values) - set(HOUSE_FIELDS)
    if unknown:
        raise DomainError(
            "unknown_field",
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
        )
    if "use" in values and values["use"] not in HouseUse.values:
        raise _refuse("choice", "use", allowed=", ".join(HouseUse.values))
    if values.get("tenure") and values["tenure"] not in Tenure.values:
        raise _refuse("choice", "tenure", allowed=", ".join(Tenure.values))
    area = values.get("area")
    if area is not None and not (Decimal("0") < Decimal(area) < Decimal("100000")):
        raise DomainError("area_range", _("The floor area must be between 0 and 100,000 m²."), field="area")
    floor = values.get("floor")
    if floor is not None and not -10 <= int(floor) <= 200:
        raise DomainError("floor_range", _("The floor must be between -10 and 200."), field="floor")
    with transaction.atomic():
        info, _created = HouseholdInfo.objects.select_for_update().get_or_create(household=household)
        changed = [name for name, value in values.items() if getattr(info, name) != value]
        if not changed:
            return []
        for name in changed:
            setattr(info, name, values[name])
        info.save()
        record_audit(
            AuditAction.HOUSEHOLD_INFO_UPDATED,
            actor=actor,
            target=household,
            node=household.building.grid,
            details={"fields": changed},
        )
    return changed


def do_record_visit(
    household: Household,
    *,
    visited_at: datetime,
    kind: str,
    note: str,
    actor: Any,
    person: Person | None = None,
) -> Visit:
    if kind not in VisitKind.values:
        raise _refuse("choice", "kind", allowed=", ".join(VisitKind.values))
    if visited_at > timezone.now() + timedelta(minutes=5):
        raise DomainError(
            "visit_in_future", _("A visit cannot be recorded in the future."), field="visited_at"
        )
    if person is not None and person.household_id != household.pk:
        raise DomainError("person_not_in_household", _("This resident does not live in this household."))
    note = (note or "").strip()
    if len(note) > 1000:
        raise _refuse("too_long", "note", max=1000)
    with transaction.atomic():
        visit = Visit.objects.create(
            household=household,
            person=person,
            visitor=actor if getattr(actor, "pk", None) else None,
            visited_at=visited_at,
            kind=kind,
            note=note,
        )
        # The note is the worker's own words and may name people: not in the audit log.
        event = record_audit(
            AuditAction.VISIT_RECORDED,
            actor=actor,
            target=visit,
            node=household.building.grid,
            details={"household_id": household.pk, "person_id": person.pk if person else None, "kind": kind},
        )
        if person is not None:
            _log(person, LogKind.VISITED, actor=actor, event=event, fields=["visits"])
    return visit


# Tags ---------------------------------------------------------------------------------------------


def do_save_tag(
    tag: Tag | None,
    *,
    code: str,
    name: str,
    sensitive: bool,
    visible_roles: list[str],
    description: str = "",
    active: bool = True,
    actor: Any,
) -> Tag:
    """Define a tag or change one. Making a tag sensitive seals every person's row of it (and back)."""
    code, name = (code or "").strip(), (name or "").strip()
    roles = sorted(set(visible_roles))
    if not code or not name:
        raise DomainError("required", _("A tag needs a code and a name."))
    bad = [role for role in roles if role not in Role.values]
    if bad:
        raise DomainError("unknown_role", _("Unknown role: %(role)s") % {"role": ", ".join(bad)})
    if sensitive and not roles:
        raise DomainError(
            "sensitive_tag_needs_roles",
            _("A sensitive tag must name the roles that may see it."),
            field="visible_roles",
        )
    with transaction.atomic():
        clash = Tag.objects.filter(code=code) | Tag.objects.filter(name=name)
        if tag is not None:
            clash = clash.exclude(pk=tag.pk)
        if clash.exists():
            raise DomainError("tag_exists", _("Another tag already has this code or name."))
        created = tag is None
        was_sensitive = bool(tag and tag.sensitive)
        if tag is None:
            tag = Tag(code=code)
        elif tag.code != code:
            raise DomainError("tag_code_fixed", _("A tag's code cannot change; it is stored with persons."))
        tag.name, tag.sensitive, tag.visible_roles = name, sensitive, roles
        tag.description, tag.active = description.strip(), active
        tag.save()
        if sensitive and not was_sensitive:
            seal_sensitive_tags()
        elif was_sensitive and not sensitive:
            unseal_tag(tag)
        record_audit(
            AuditAction.TAG_SAVED,
            actor=actor,
            target=tag,
            details={
                "code": code,
                "created": created,
                "sensitive": sensitive,
                "visible_roles": roles,
                "active": active,
            },
        )
    return tag


# Corrections (resident self-service) --------------------------------------------------------------


CORRECTABLE = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "mobile",
    "relation_to_head",
    "residence_status",
    "moved_in_on",
)


def parse_correction_value(field: str, raw: str) -> Any:
    """The typed value a correction asks for (what do_update_person would store)."""
    raw = (raw or "").strip()
    if field not in CORRECTABLE:
        raise DomainError("unknown_field", _("This field cannot be corrected here."), field="field")
    if field in ("birth_date", "moved_in_on"):
        parsed = parse_date(raw) if raw else None
        if raw and parsed is None:
            raise _refuse("date_format", "value")
        return parsed
    if field == "id_number":
        return normalise_document(IdType.RESIDENT_ID, raw)
    if field == "mobile":
        value = normalise_mobile(raw)
        if check_mobile(value):
            raise _refuse("mobile_format", "value")
        return value
    if field in CHOICES and raw not in CHOICES[field]:
        raise _refuse("choice", "value", allowed=", ".join(CHOICES[field]))
    if field == "name" and not raw:
        raise _refuse("required", "value")
    return raw


def do_request_correction(
    person: Person, *, field: str, value: str, reason: str, actor: Any
) -> CorrectionRequest:
    """A resident asks that one field of their own record be corrected; it waits for community staff."""
    typed = parse_correction_value(field, value)
    grid = _grid(person)
    community = grid.parent or grid
    with transaction.atomic():
        waiting = CorrectionRequest.objects.filter(person=person, status=CorrectionStatus.OPEN).count()
        if waiting >= MAX_OPEN_CORRECTIONS:
            raise DomainError(
                "too_many_corrections",
                _("You already have %(count)s requests waiting; please wait for an answer.")
                % {"count": waiting},
            )
        stored = typed.isoformat() if isinstance(typed, date) else str(typed or "")
        request = CorrectionRequest.objects.create(
            person=person,
            requested_by=actor if getattr(actor, "pk", None) else None,
            community=community,
            field=field,
            value_enc=encrypt(stored) if stored else "",
            reason=(reason or "").strip()[:500],
        )
        record_audit(
            AuditAction.CORRECTION_REQUESTED,
            actor=actor,
            target=request,
            node=community,
            details={"person_id": person.pk, "field": field},
        )
    return request


def do_decide_correction(
    request: CorrectionRequest, *, approve: bool, response: str, actor: Any
) -> CorrectionRequest:
    """Approve (the change goes through do_update_person, with its own audit row) or reject."""
    response = (response or "").strip()[:500]
    if not approve and not response:
        raise DomainError(
            "response_required", _("Tell the resident why the request is rejected."), field="response"
        )
    with transaction.atomic():
        locked = CorrectionRequest.objects.select_for_update().select_related("person").get(pk=request.pk)
        if locked.status != CorrectionStatus.OPEN:
            raise DomainError("correction_closed", _("This request has already been decided."))
        if approve:
            value = parse_correction_value(locked.field, locked.value)
            do_update_person(
                locked.person, {locked.field: value}, actor=actor, kind=LogKind.CORRECTED, reason=response
            )
        locked.status = CorrectionStatus.APPROVED if approve else CorrectionStatus.REJECTED
        locked.handled_by = actor if getattr(actor, "pk", None) else None
        locked.handled_at = timezone.now()
        locked.response = response
        locked.save(update_fields=["status", "handled_by", "handled_at", "response"])
        record_audit(
            AuditAction.CORRECTION_DECIDED,
            actor=actor,
            target=locked,
            node=locked.community,
            details={"person_id": locked.person_id, "field": locked.field, "approved": approve},
        )
    return locked


def do_record_own_download(person: Person, *, fmt: str, actor: Any) -> None:
    with transaction.atomic():
        event = record_audit(
            AuditAction.OWN_DATA_DOWNLOADED,
            actor=actor,
            target=person,
            node=_grid(person),
            details={"person_id": person.pk, "format": fmt},
        )
        _log(person, LogKind.DOWNLOADED, actor=actor, event=event)
