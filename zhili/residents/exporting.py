"""Export of a territory subtree's residents to .xlsx, with the exporter's field levels.

Columns are those the exporter's roles see at the exported node (zhili.residents.fields), masked
as on screen. ID numbers and mobiles come out in full only when the exporter may reveal them and
asks to, with a reason; dates of birth in full only with full ID numbers (else the year).
Every export is audited once, and every exported person gets an "exported" entry on their own
access list. The headers are the import template's, so that an unmasked export can be corrected
and imported elsewhere.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError, Forbidden
from zhili.residents.actions import MIN_REASON
from zhili.residents.fields import REVEAL_FIELDS, Level, levels_for_roles, shown
from zhili.residents.models import Gender, IdType, LogKind, Person, PersonLog, RelationToHead, ResidenceStatus
from zhili.residents.policies import Perm, allowed_at, roles_at
from zhili.residents.tags import tag_visible, tags_by_person
from zhili.residents.xlsx import workbook_bytes
from zhili.territory.models import Node

CHUNK = 2000
GENDER_TEXT: dict[str, str] = {Gender.MALE: "男", Gender.FEMALE: "女"}
ID_TYPE_TEXT: dict[str, str] = {
    IdType.RESIDENT_ID: "居民身份证",
    IdType.PASSPORT: "护照",
    IdType.OTHER: "其他证件",
}
RELATION_TEXT: dict[str, str] = {
    RelationToHead.HEAD: "户主",
    RelationToHead.SPOUSE: "配偶",
    RelationToHead.CHILD: "子女",
    RelationToHead.PARENT: "父母",
    RelationToHead.OTHER: "其他",
}
STATUS_TEXT: dict[str, str] = {
    ResidenceStatus.REGISTERED: "户籍",
    ResidenceStatus.RESIDENT: "常住",
    ResidenceStatus.FLOATING: "流动",
}

# (header, field of the role table)
EXPORT_COLUMNS = [
    ("姓名", "name"),
    ("性别", "gender"),
    ("出生日期", "birth_date"),
    ("证件类型", "id_number"),
    ("证件号码", "id_number"),
    ("手机号", "mobile"),
    ("楼栋地址", "household"),
    ("户号", "household"),
    ("与户主关系", "relation_to_head"),
    ("户籍状态", "residence_status"),
    ("迁入日期", "moves"),
    ("迁出日期", "moves"),
    ("标签", "tags"),
]


def _cells(person: Person, header: str, levels: dict[str, Level], revealed: set[str], tags: str) -> Any:
    def value(field: str, raw: Any) -> Any:
        lvl = Level.PLAIN if field in revealed else levels[field]
        if lvl == Level.REVEALABLE:
            lvl = Level.MASKED
        return shown(field, raw, lvl)

    building = person.household.building
    match header:
        case "姓名":
            return value("name", person.name)
        case "性别":
            return GENDER_TEXT.get(person.gender, "")
        case "出生日期":
            shown_date = value("birth_date", person.birth_date)
            return shown_date.isoformat() if hasattr(shown_date, "isoformat") else shown_date
        case "证件类型":
            return ID_TYPE_TEXT.get(person.id_type, "")
        case "证件号码":
            return value("id_number", person.id_number) if person.id_number_enc else ""
        case "手机号":
            return value("mobile", person.mobile) if person.mobile_enc else ""
        case "楼栋地址":
            return building.address
        case "户号":
            return person.household.number
        case "与户主关系":
            return RELATION_TEXT.get(person.relation_to_head, "")
        case "户籍状态":
            return STATUS_TEXT.get(person.residence_status, "")
        case "迁入日期":
            return person.moved_in_on.isoformat() if person.moved_in_on else ""
        case "迁出日期":
            return person.moved_out_on.isoformat() if person.moved_out_on else ""
        case "标签":
            return tags
    return ""


def do_export_residents(
    node: Node, *, actor: Any, reveal: list[str] | None = None, reason: str = ""
) -> tuple[bytes, int]:
    """The residents under ``node`` as a workbook; returns (content, number of persons)."""
    if not allowed_at(actor, Perm.EXPORT, node.path):
        raise Forbidden()
    roles = roles_at(actor, node.path)
    revealed = set(reveal or [])
    levels = levels_for_roles(roles)
    reason = " ".join((reason or "").split())
    if revealed:
        if not revealed <= set(REVEAL_FIELDS) or any(levels[f] < Level.REVEALABLE for f in revealed):
            raise Forbidden()
        if len(reason) < MIN_REASON:
            raise DomainError(
                "reason_required",
                _("Say why you need the full values (at least %(min)s characters).") % {"min": MIN_REASON},
                field="reason",
            )
    # Full ID numbers bring full dates of birth (which they contain); masked ones only the year.
    levels = levels_for_roles(roles, revealed=revealed)
    columns = [(header, field) for header, field in EXPORT_COLUMNS if levels[field] > Level.HIDDEN]
    persons = (
        Person.objects.filter(
            household__building__grid__path__startswith=node.path, anonymised_at__isnull=True
        )
        .select_related("household__building")
        .order_by("household__building__address", "household__number", "pk")
    )
    ids: list[int] = []
    rows: list[list[Any]] = []
    chunk: list[Person] = []

    def flush() -> None:
        tags = tags_by_person([p.pk for p in chunk]) if levels["tags"] > Level.HIDDEN else {}
        for person in chunk:
            names = "、".join(t.name for t in tags.get(person.pk, []) if tag_visible(t, roles))
            rows.append([_cells(person, header, levels, revealed, names) for header, _field in columns])
            ids.append(person.pk)
        chunk.clear()

    for person in persons.iterator(chunk_size=CHUNK):
        chunk.append(person)
        if len(chunk) >= CHUNK:
            flush()
    flush()
    content = workbook_bytes("居民信息", [header for header, _field in columns], rows)
    fields = sorted({field for _header, field in columns})
    now = timezone.now()
    with transaction.atomic():
        event = record_audit(
            AuditAction.RESIDENTS_EXPORTED,
            actor=actor,
            target=node,
            node=node,
            details={
                "count": len(ids),
                "fields": fields,
                "revealed": sorted(revealed),
                "reason": reason[:200],
                "format": "xlsx",
            },
        )
        label = (getattr(actor, "username", "") or "system")[:150]
        PersonLog.objects.bulk_create(
            [
                PersonLog(
                    person_id=pk,
                    kind=LogKind.EXPORTED,
                    at=now,
                    actor=actor if getattr(actor, "pk", None) else None,
                    actor_label=label,
                    fields=sorted(revealed) or fields,
                    reason=reason[:200],
                    audit_event_id=event.pk,
                )
                for pk in ids
            ],
            batch_size=2000,
        )
    return content, len(ids)
