"""Reads of the registry, always starting from what the user may see, shaped by the field table."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhili.audit.models import AuditEvent
from zhili.authz.policies import path_q
from zhili.core.crypto import blind_index
from zhili.core.errors import NotFound
from zhili.core.idnumber import normalize_id_number
from zhili.residents.fields import (
    FIELD_LABELS,
    Level,
    capped_levels,
    levels_for_roles,
    shown,
    shows_age,
    table_levels,
)
from zhili.residents.models import (
    ACCESS_KINDS,
    CHANGE_KINDS,
    ID_NUMBER_INDEX,
    MOBILE_INDEX,
    CorrectionRequest,
    CorrectionStatus,
    ImportJob,
    LogKind,
    Person,
    PersonLog,
    Tag,
    Visit,
)
from zhili.residents.policies import (
    PERSON_PATH,
    Perm,
    household_policy,
    person_policy,
    roles_at,
    scope,
)
from zhili.residents.tags import persons_with_tag, tag_visible, tags_by_person
from zhili.residents.validation import normalise_mobile
from zhili.territory.models import Household, Node, NodeKind, tree_key

SEARCH_LIMIT = 50
DISPLAY_LABELS = {
    **FIELD_LABELS,
    "id_type": _("Document type"),
    "moved_in_on": _("Moved in on"),
    "moved_out_on": _("Moved out on"),
}
PERSON_RELATED = ("household__building__grid__parent",)


def age(born: date | None, today: date | None = None) -> int | None:
    if born is None:
        return None
    today = today or timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# Loading ------------------------------------------------------------------------------------------


def get_person_for_user(user: Any, pk: Any, perm: Perm = Perm.VIEW) -> Person:
    person: Person = person_policy().get_for_user(user, pk, perm, related=PERSON_RELATED)
    return person


def get_household_for_user(user: Any, pk: Any, perm: Perm = Perm.VIEW) -> Household:
    household: Household = household_policy().get_for_user(
        user, pk, perm, related=("building__grid__parent",)
    )
    return household


def visible_persons(user: Any, perm: Perm = Perm.VIEW) -> QuerySet[Person]:
    return person_policy().visible(user, perm).filter(anonymised_at__isnull=True)


# Shaping a person for a viewer --------------------------------------------------------------------


@dataclass
class ShownPerson:
    """A person as one viewer may see them: hidden fields are None, masked ones masked."""

    person: Person
    levels: dict[str, Level]
    values: dict[str, Any]
    tags: list[Tag]
    age: int | None
    can_edit: bool = False
    revealable: list[str] = field(default_factory=list)
    # The date of birth shows only its year because the ID number is masked (the table gives more).
    birth_date_follows_id: bool = False

    @property
    def birth_year_only(self) -> bool:
        return self.levels["birth_date"] == Level.MASKED

    @property
    def rows(self) -> list[tuple[str, Any, str]]:
        """(label, shown value, field) of the fields the viewer sees, for the detail table."""
        out = []
        for name, value in self.values.items():
            if value is None or name in ("household", "tags", "visits", "history", "moves"):
                continue
            out.append((DISPLAY_LABELS[name], value, name))
        return out


def shape_person(
    person: Person, roles: set[str], *, tags: list[Tag] | None = None, revealed: Collection[str] = ()
) -> ShownPerson:
    """``revealed``: fields the viewer has just been shown in full through the audited reveal."""
    table = table_levels(roles)
    levels = capped_levels(table, revealed=revealed)
    p = person
    values: dict[str, Any] = {
        "name": shown("name", p.name, levels["name"]),
        "gender": shown("gender", p.get_gender_display(), levels["gender"]),
        "birth_date": shown("birth_date", p.birth_date, levels["birth_date"]),
        "id_type": p.get_id_type_display() if levels["id_number"] > Level.HIDDEN else None,
        "id_number": (
            shown("id_number", p.id_number if p.id_number_enc else "", _display_level(levels["id_number"]))
        ),
        "mobile": shown("mobile", p.mobile if p.mobile_enc else "", _display_level(levels["mobile"])),
        "household": shown("household", p.household, levels["household"]),
        "relation_to_head": shown(
            "relation_to_head", p.get_relation_to_head_display(), levels["relation_to_head"]
        ),
        "residence_status": shown(
            "residence_status", p.get_residence_status_display(), levels["residence_status"]
        ),
        "moves": shown("moves", (p.moved_in_on, p.moved_out_on), levels["moves"]),
        "tags": True if levels["tags"] > Level.HIDDEN else None,
        "visits": True if levels["visits"] > Level.HIDDEN else None,
        "history": True if levels["history"] > Level.HIDDEN else None,
    }
    if tags is None:
        tags = tags_by_person([p.pk]).get(p.pk, []) if levels["tags"] > Level.HIDDEN else []
    visible_tags = [tag for tag in tags if tag_visible(tag, roles)]
    revealable = [
        name
        for name in ("id_number", "mobile")
        if levels[name] == Level.REVEALABLE and getattr(p, f"{name}_enc")
    ]
    return ShownPerson(
        person=p,
        levels=levels,
        values=values,
        tags=visible_tags,
        age=age(p.birth_date) if shows_age(table) else None,
        revealable=revealable,
        birth_date_follows_id=levels["birth_date"] < table["birth_date"],
    )


def _display_level(lvl: Level) -> Level:
    # Revealable fields are shown masked until a reveal.
    return Level.MASKED if lvl == Level.REVEALABLE else lvl


def shown_fields(shaped: ShownPerson) -> list[str]:
    return [name for name, lvl in shaped.levels.items() if lvl > Level.HIDDEN]


def person_for_viewer(user: Any, person: Person, *, revealed: Collection[str] = ()) -> ShownPerson:
    path = person.household.building.grid.path
    roles = roles_at(user, path)
    shaped = shape_person(person, roles, revealed=revealed)
    shaped.can_edit = person_policy().can(user, Perm.EDIT, person) and person.anonymised_at is None
    return shaped


def persons_for_viewer(user: Any, persons: list[Person]) -> list[ShownPerson]:
    """Shape a list (one tag query for all; roles per grid computed once)."""
    tag_map = tags_by_person([p.pk for p in persons])
    roles_by_path: dict[str, set[str]] = {}
    shaped = []
    for person in persons:
        path = person.household.building.grid.path
        roles = roles_by_path.get(path)
        if roles is None:
            roles = roles_by_path[path] = roles_at(user, path)
        shaped.append(shape_person(person, roles, tags=tag_map.get(person.pk, [])))
    return shaped


# Search -------------------------------------------------------------------------------------------


def classify_query(q: str) -> tuple[str, str]:
    """("id_number" | "mobile" | "name", normalised text)."""
    text = (q or "").strip()
    as_id = normalize_id_number(text)
    if len(as_id) in (15, 18) and as_id[:-1].isdigit() and (as_id[-1].isdigit() or as_id[-1] == "X"):
        return "id_number", as_id
    as_mobile = normalise_mobile(text)
    if len(as_mobile) == 11 and as_mobile.isdigit():
        return "mobile", as_mobile
    return "name", text


def search_persons(user: Any, q: str, *, limit: int = SEARCH_LIMIT) -> tuple[str, list[Person]]:
    """By name (contains) within the user's scope, or exactly by full ID number or mobile through
    the blind index. An exact lookup only matches for users who may see that field at all."""
    kind, text = classify_query(q)
    if not text:
        return kind, []
    persons = visible_persons(user).select_related(*PERSON_RELATED)
    if kind == "id_number":
        persons = persons.filter(id_number_bidx=blind_index(ID_NUMBER_INDEX, text))
    elif kind == "mobile":
        persons = persons.filter(mobile_bidx=blind_index(MOBILE_INDEX, text))
    else:
        persons = persons.filter(name__contains=text)
    found = list(persons.order_by("name", "pk")[:limit])
    if kind != "name":
        # Searching by a number the viewer may not see would confirm whose number it is.
        found = [
            p
            for p in found
            if levels_for_roles(roles_at(user, p.household.building.grid.path))[kind] > Level.HIDDEN
        ]
    return kind, found


# Households ---------------------------------------------------------------------------------------


def household_members(household: Household) -> list[Person]:
    return list(
        Person.objects.filter(household=household)
        .select_related(*PERSON_RELATED)
        .order_by("moved_out_on", "relation_to_head", "birth_date", "pk")
    )


def household_visits(household: Household, limit: int = 20) -> list[Visit]:
    visits = Visit.objects.filter(household=household).select_related("visitor", "person")
    return list(visits.order_by("-visited_at", "-id")[:limit])


def person_visits(person: Person, limit: int = 20) -> list[Visit]:
    return list(person.visits.select_related("visitor").order_by("-visited_at", "-id")[:limit])


# History and access -------------------------------------------------------------------------------


def person_history(person: Person, limit: int = 50) -> list[PersonLog]:
    entries = list(
        person.log.filter(kind__in=CHANGE_KINDS).select_related("actor").order_by("-at", "-id")[:limit]
    )
    for entry in entries:
        entry.field_labels = [str(DISPLAY_LABELS.get(name, name)) for name in entry.fields]  # type: ignore[attr-defined]
    return entries


@dataclass
class Access:
    at: Any
    who: str
    kind: str
    fields: list[str]
    reason: str


def access_log(person: Person, limit: int = 100) -> list[Access]:
    """Who looked at this person's data: staff views, reveals and exports (not the resident's own)."""
    rows = (
        person.log.filter(kind__in=ACCESS_KINDS)
        .exclude(kind=LogKind.DOWNLOADED)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
    out = []
    for row in rows:
        who = row.actor.display_name if row.actor and row.actor.display_name else row.actor_label
        out.append(
            Access(
                at=row.at,
                who=who,
                kind=row.get_kind_display(),
                fields=[str(DISPLAY_LABELS.get(f, f)) for f in row.fields],
                reason=row.reason,
            )
        )
    return out


def audit_events_about(person: Person, limit: int = 100) -> list[AuditEvent]:
    """The authoritative audit rows behind the person's log (by id: the audit table has no target index)."""
    ids = list(person.log.exclude(audit_event_id=None).values_list("audit_event_id", flat=True)[:limit])
    return list(AuditEvent.objects.filter(pk__in=ids).order_by("-id"))


# Statistics (leaders: counts, no persons) ---------------------------------------------------------


def tree_order(node: Node) -> str:
    """Parents before children, siblings by id (``tree_key``; also right for unsaved nodes)."""
    return tree_key(node.path)


def statistics(user: Any) -> dict[str, Any]:
    paths = scope(user, Perm.STATISTICS)
    persons = Person.objects.filter(path_q(paths, PERSON_PATH), anonymised_at__isnull=True)
    by_grid = {
        row["household__building__grid"]: row
        for row in persons.values("household__building__grid").annotate(
            total=Count("pk"),
            registered=Count("pk", filter=Q(residence_status="registered")),
            resident=Count("pk", filter=Q(residence_status="resident")),
            floating=Count("pk", filter=Q(residence_status="floating")),
            households=Count("household", distinct=True),
        )
    }
    grids = sorted(
        Node.objects.filter(path_q(paths, "path"), kind=NodeKind.GRID).select_related("parent"),
        key=tree_order,
    )
    rows = []
    for grid in grids:
        row = by_grid.get(grid.pk, {})
        rows.append(
            {
                "grid": grid,
                "total": row.get("total", 0),
                "registered": row.get("registered", 0),
                "resident": row.get("resident", 0),
                "floating": row.get("floating", 0),
                "households": row.get("households", 0),
            }
        )
    # Tag counts: only tags every statistics role of the user may see; sensitive tags as counts only
    # when the tag allows one of the user's roles.
    roles = {role for path in paths for role in roles_at(user, path)}
    tag_counts = []
    for tag in Tag.objects.filter(active=True).order_by("code"):
        if not tag_visible(tag, roles):
            continue
        tag_counts.append({"tag": tag, "count": persons_with_tag(persons, tag).count()})
    totals = {
        key: sum(row[key] for row in rows)
        for key in ("total", "registered", "resident", "floating", "households")
    }
    return {"rows": rows, "totals": totals, "tags": tag_counts}


# Corrections and imports --------------------------------------------------------------------------


def correction_queue(user: Any, *, status: str = CorrectionStatus.OPEN) -> QuerySet[CorrectionRequest]:
    return (
        CorrectionRequest.objects.filter(
            path_q(scope(user, Perm.CORRECTIONS), "community__path"), status=status
        )
        .select_related("person__household__building", "requested_by", "community")
        .order_by("created_at", "pk")
    )


def get_correction_for_user(user: Any, pk: Any) -> CorrectionRequest:
    found = (
        CorrectionRequest.objects.filter(path_q(scope(user, Perm.CORRECTIONS), "community__path"), pk=pk)
        .select_related("person__household__building__grid", "requested_by", "community")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


# The field of the field table that governs a correctable field (the move-in date is under "moves").
CORRECTION_LEVEL_FIELDS = {"moved_in_on": "moves"}


@dataclass
class CorrectionSubject:
    """The person a correction is about, as the deciding staff member may see them, and the value
    the request would replace, shown exactly as the person page shows it by default: an ID number
    or mobile that the viewer may only reveal stays masked here; the full value takes the audited
    reveal (``revealable``)."""

    person: ShownPerson
    level_field: str
    current: Any  # None: the viewer does not see this field of the person
    revealable: bool

    @property
    def shown_fields(self) -> list[str]:
        """What the page shows of the person, for the access log."""
        return [name for name in ("name", self.level_field) if self.person.levels[name] > Level.HIDDEN]


def correction_subject(user: Any, correction: CorrectionRequest) -> CorrectionSubject:
    shaped = person_for_viewer(user, correction.person)
    level_field = CORRECTION_LEVEL_FIELDS.get(correction.field, correction.field)
    current = shaped.values.get(level_field)
    if level_field == "moves" and current is not None:
        current = current[0]
    if isinstance(current, date):
        current = current.isoformat()
    return CorrectionSubject(
        person=shaped,
        level_field=level_field,
        current=current,
        revealable=correction.field in shaped.revealable,
    )


def import_jobs_for(user: Any, limit: int = 10) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(created_by=user).defer("content", "error_report").order_by("-id")[:limit]


def get_import_job_for_user(user: Any, pk: Any) -> ImportJob:
    job = ImportJob.objects.filter(pk=pk, created_by=user).defer("content").first()
    if job is None:
        raise NotFound()
    return job


def export_nodes(user: Any) -> list[Node]:
    return sorted(
        Node.objects.filter(path_q(scope(user, Perm.EXPORT), "path")).select_related("parent"),
        key=tree_order,
    )
