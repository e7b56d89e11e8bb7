"""/api/v1/residents/: the registry for apps (search, person, reveal, edit, visits, own data).

The same field table as the pages: a field the caller's role does not see is left out of the
answer altogether (``exclude_none``), masked fields come masked, and reveals are audited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from zhili.core.errors import DomainError, NotFound
from zhili.residents import selectors
from zhili.residents.actions import (
    do_look_up_by_number,
    do_record_own_download,
    do_record_person_view,
    do_record_visit,
    do_request_correction,
    do_reveal_pii,
    do_update_person,
)
from zhili.residents.models import Person
from zhili.residents.own import own_data, own_person
from zhili.residents.policies import Perm
from zhili.residents.selectors import ShownPerson
from zhili.residents.validation import normalise_document, normalise_mobile

router = Router(tags=["residents"])


class TagOut(Schema):
    code: str
    name: str


class PersonOut(Schema):
    id: int
    household_id: int
    name: str | None = None
    gender: str | None = None
    birth_date: str | None = None
    age: int | None = None
    id_type: str | None = None
    id_number: str | None = None
    mobile: str | None = None
    address: str | None = None
    unit: str | None = None
    relation_to_head: str | None = None
    residence_status: str | None = None
    moved_in_on: date | None = None
    moved_out_on: date | None = None
    tags: list[TagOut] | None = None
    revealable: list[str] = []


def _out(shaped: ShownPerson) -> PersonOut:
    p, values = shaped.person, shaped.values
    birth = values["birth_date"]
    household = values["household"]
    moves = values["moves"]
    return PersonOut(
        id=p.pk,
        household_id=p.household_id,
        name=values["name"],
        gender=str(values["gender"]) if values["gender"] is not None else None,
        birth_date=birth.isoformat() if isinstance(birth, date) else birth,
        age=shaped.age,
        id_type=str(values["id_type"]) if "id_type" in values else None,
        id_number=values["id_number"],
        mobile=values["mobile"],
        address=household.building.address if household is not None else None,
        unit=household.number if household is not None else None,
        relation_to_head=str(values["relation_to_head"]) if values["relation_to_head"] is not None else None,
        residence_status=str(values["residence_status"]) if values["residence_status"] is not None else None,
        moved_in_on=moves[0] if moves else None,
        moved_out_on=moves[1] if moves else None,
        tags=[TagOut(code=t.code, name=t.name) for t in shaped.tags] if values["tags"] else None,
        revealable=shaped.revealable,
    )


class SearchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=50)


class SearchOut(Schema):
    kind: str
    results: list[PersonOut]


def _search(request: HttpRequest, q: str) -> dict[str, Any]:
    kind, persons = selectors.search_persons(request.user, q)
    if kind != "name":
        do_look_up_by_number(kind, persons, actor=request.user)
    return {"kind": kind, "results": [_out(s) for s in selectors.persons_for_viewer(request.user, persons)]}


@router.get("/persons", response=SearchOut, exclude_none=True, url_name="residents_search")
def search(request: HttpRequest, query: Query[SearchQuery]) -> Any:
    """Search by name. An ID number or a mobile is refused here: a URL ends up in logs and
    histories; send it in the body of ``POST /persons/search``."""
    if selectors.classify_query(query.q)[0] != "name":
        raise DomainError(
            "number_in_url",
            _(
                "Send ID numbers and mobiles in the body of POST /api/v1/residents/persons/search, "
                "not in a URL."
            ),
        )
    return _search(request, query.q)


@router.post("/persons/search", response=SearchOut, exclude_none=True, url_name="residents_search_post")
def search_by_body(request: HttpRequest, body: SearchQuery) -> Any:
    """Search by name, or exactly by full ID number or mobile (at most ``ZHILI_NUMBER_SEARCH_LIMIT``
    number look-ups an hour per user, each audited with the persons found)."""
    return _search(request, body.q)


@router.get("/persons/{person_id}", response=PersonOut, exclude_none=True, url_name="residents_person")
def person(request: HttpRequest, person_id: int) -> Any:
    found = selectors.get_person_for_user(request.user, person_id)
    shaped = selectors.person_for_viewer(request.user, found)
    do_record_person_view(found, fields=selectors.shown_fields(shaped), actor=request.user)
    return _out(shaped)


class RevealIn(Schema):
    field: str
    reason: str = Field(..., max_length=200)


class RevealOut(Schema):
    field: str
    value: str


@router.post("/persons/{person_id}/reveal", response=RevealOut, url_name="residents_reveal")
def reveal(request: HttpRequest, person_id: int, payload: RevealIn) -> Any:
    found = selectors.get_person_for_user(request.user, person_id)
    value = do_reveal_pii(found, field=payload.field, reason=payload.reason, actor=request.user)
    return {"field": payload.field, "value": value}


class PersonPatch(Schema):
    name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    id_type: str | None = None
    id_number: str | None = None
    mobile: str | None = None
    relation_to_head: str | None = None
    residence_status: str | None = None
    moved_in_on: date | None = None
    moved_out_on: date | None = None


class ChangedOut(Schema):
    changed: list[str]


@router.patch("/persons/{person_id}", response=ChangedOut, url_name="residents_person_update")
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    found: Person = selectors.get_person_for_user(request.user, person_id, Perm.EDIT)
    changes = payload.dict(exclude_unset=True)
    if "id_number" in changes:
        changes["id_number"] = normalise_document(
            changes.get("id_type") or found.id_type, changes["id_number"] or ""
        )
    if "mobile" in changes:
        changes["mobile"] = normalise_mobile(changes["mobile"] or "")
    return {"changed": do_update_person(found, changes, actor=request.user)}


class HouseholdOut(Schema):
    id: int
    address: str
    unit: str
    grid: str
    members: list[PersonOut]


@router.get(
    "/households/{household_id}", response=HouseholdOut, exclude_none=True, url_name="residents_household"
)
def household(request: HttpRequest, household_id: int) -> Any:
    found = selectors.get_household_for_user(request.user, household_id)
    members = selectors.persons_for_viewer(request.user, selectors.household_members(found))
    return {
        "id": found.pk,
        "address": found.building.address,
        "unit": found.number,
        "grid": found.building.grid.name,
        "members": [_out(m) for m in members if m.person.anonymised_at is None],
    }


class VisitIn(Schema):
    visited_at: datetime
    kind: str = "routine"
    note: str = Field("", max_length=1000)
    person_id: int | None = None


class VisitOut(Schema):
    id: int
    household_id: int
    person_id: int | None
    visited_at: datetime
    kind: str


@router.post("/households/{household_id}/visits", response={201: VisitOut}, url_name="residents_visit")
def record_visit(request: HttpRequest, household_id: int, payload: VisitIn) -> Any:
    found = selectors.get_household_for_user(request.user, household_id, Perm.EDIT)
    member = None
    if payload.person_id is not None:
        member = Person.objects.filter(pk=payload.person_id, household=found).first()
        if member is None:
            raise DomainError("person_not_in_household", "person_not_in_household")
    visit = do_record_visit(
        found,
        visited_at=payload.visited_at,
        kind=payload.kind,
        note=payload.note,
        person=member,
        actor=request.user,
    )
    return Status(201, visit)


@router.get("/me", response=dict[str, Any], url_name="residents_me")
def me(request: HttpRequest) -> Any:
    found = own_person(request.user)
    if found is None:
        raise NotFound()
    do_record_own_download(found, fmt="api", actor=request.user)
    return own_data(found)


class CorrectionIn(Schema):
    field: str
    value: str = Field(..., max_length=100)
    reason: str = Field("", max_length=500)


class CorrectionOut(Schema):
    id: int
    field: str
    status: str


@router.post("/me/corrections", response={201: CorrectionOut}, url_name="residents_me_correction")
def request_correction(request: HttpRequest, payload: CorrectionIn) -> Any:
    found = own_person(request.user)
    if found is None:
        raise NotFound()
    created = do_request_correction(
        found, field=payload.field, value=payload.value, reason=payload.reason, actor=request.user
    )
    return Status(201, created)


class ImportJobOut(Schema):
    id: int
    status: str
    percent: int
    total_rows: int
    validated_rows: int
    imported_rows: int
    error_count: int
    persons_created: int
    households_created: int
    message: str


@router.get("/imports/{job_id}", response=ImportJobOut, url_name="residents_import_job")
def import_job(request: HttpRequest, job_id: int) -> Any:
    return selectors.get_import_job_for_user(request.user, job_id)
