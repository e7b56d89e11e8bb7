"""The workbench's .xlsx export, audited: who took which slice of the case list, and how many rows."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.cases.models import Case
from zhili.cases.selectors import CaseFilters


def do_export_cases(cases: QuerySet[Case], *, actor: Any, filters: CaseFilters) -> bytes:
    """The cases as a workbook (no personal data, see ``zhili.cases.export``) and an audit row.

    The filters go into the log as they were chosen, except the phone number searched for: the
    log says only that one was (minimum necessary; the number is personal data).

    The workbook is built before the transaction: the audit chain's lock is held until commit and
    must not wait for a large file to be written.
    """
    from zhili.cases.export import cases_workbook

    content, count = cases_workbook(cases)
    with transaction.atomic():
        record_audit(
            AuditAction.CASES_EXPORTED,
            actor=actor,
            details={"filters": _logged(filters), "count": count, "format": "xlsx"},
        )
    return content


def _logged(filters: CaseFilters) -> dict[str, Any]:
    chosen = {name: value for name, value in asdict(filters).items() if value not in ("", None, False)}
    if "phone" in chosen:
        chosen["phone"] = True
    return chosen
