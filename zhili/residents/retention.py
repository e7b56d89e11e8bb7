"""Retention (个人信息保护法 art. 19, 47): residents who moved out long ago keep no personal data.

``zhili privacy sweep`` anonymises every person whose move-out date lies more than
``ZHILI_RETENTION_YEARS`` years back: the name becomes 已匿名, the document number and mobile are
erased with their blind indexes, the date of birth keeps only its year, tags go, and so do the
notes of visits about the person and pending correction values. What remains (gender, birth year,
status, dates, household) still counts in statistics. Anonymised records are never picked again,
so the sweep is idempotent; each run writes one audit row with its counts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.residents.models import CorrectionRequest, LogKind, Person, PersonLog, PersonTag, Visit

ANONYMOUS_NAME = "已匿名"
BATCH = 1000


@dataclass
class SweepResult:
    years: int
    cutoff: str
    anonymised: int
    tags_removed: int
    visit_notes_cleared: int
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cutoff_date(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def due(today: date, years: int) -> Any:
    return Person.objects.filter(moved_out_on__lt=cutoff_date(today, years), anonymised_at__isnull=True)


def do_sweep_retention(
    *, years: int | None = None, today: date | None = None, actor: Any = None, dry_run: bool = False
) -> SweepResult:
    years = settings.ZHILI_RETENTION_YEARS if years is None else years
    if years < 1:
        raise ValueError("years must be at least 1")
    today = today or timezone.localdate()
    cutoff = cutoff_date(today, years)
    if dry_run:
        return SweepResult(years, cutoff.isoformat(), due(today, years).count(), 0, 0, True)
    anonymised = tags_removed = notes_cleared = 0
    now = timezone.now()
    label = (getattr(actor, "username", "") or "system")[:150]
    # One transaction: the audit row and the erasures stand or fall together. A sweep touches the
    # people who crossed the line since the last run, a few hundred for a street.
    with transaction.atomic():
        ids = list(due(today, years).select_for_update().order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            people = list(Person.objects.filter(pk__in=chunk).only("pk", "birth_date"))
            for person in people:
                person.name = ANONYMOUS_NAME
                person.set_id_number("")
                person.set_mobile("")
                if person.birth_date is not None:
                    person.birth_date = date(person.birth_date.year, 1, 1)
                person.anonymised_at = now
                person.updated_at = now
            Person.objects.bulk_update(
                people,
                [
                    "name",
                    "id_number_enc",
                    "id_number_bidx",
                    "mobile_enc",
                    "mobile_bidx",
                    "birth_date",
                    "anonymised_at",
                    "updated_at",
                ],
            )
            tags_removed += PersonTag.objects.filter(person_id__in=chunk).delete()[0]
            notes_cleared += Visit.objects.filter(person_id__in=chunk).exclude(note="").update(note="")
            CorrectionRequest.objects.filter(person_id__in=chunk).update(value_enc="")
            PersonLog.objects.bulk_create(
                [PersonLog(person_id=pk, kind=LogKind.ANONYMISED, at=now, actor_label=label) for pk in chunk]
            )
            anonymised += len(chunk)
        result = SweepResult(years, cutoff.isoformat(), anonymised, tags_removed, notes_cleared, False)
        record_audit(AuditAction.RETENTION_SWEPT, actor=actor, details=result.as_dict())
    return result
