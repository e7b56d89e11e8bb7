"""Intake writes the row every submit queues behind (the audit chain's) last in its transaction.

Inside ``run_idempotent`` they come after the response is built and stored; alone, at the end of
``do_submit_case``. Either way they commit or roll back with the case.
"""

from __future__ import annotations

import pytest

from zhili.audit.models import AuditAction, AuditEvent
from zhili.audit.verify import verify_chain
from zhili.cases.intake import before_commit, run_idempotent
from zhili.cases.models import Case, IdempotencyKey

pytestmark = pytest.mark.django_db


def _submitted(case: Case) -> bool:
    return AuditEvent.objects.filter(
        action=AuditAction.CASE_SUBMITTED.value, target_type="cases.case", target_id=str(case.pk)
    ).exists()


def test_inside_an_idempotent_request_the_audit_row_comes_after_the_response(submit) -> None:
    seen: dict[str, bool] = {}

    def run():
        case = submit()
        seen["audited_while_building_the_response"] = _submitted(case)
        return 201, {"id": case.pk}, case

    status, body, replayed = run_idempotent(owner="user:1", key="k-order", digest="d", run=run)
    assert isinstance(body, dict)
    case = Case.objects.get(pk=body["id"])
    assert (status, replayed) == (201, False)
    assert seen["audited_while_building_the_response"] is False
    assert _submitted(case)
    assert verify_chain().ok


def test_without_an_idempotency_key_the_audit_row_is_written_by_the_action_itself(submit):
    case = submit()
    assert _submitted(case)
    assert verify_chain().ok


def test_a_failure_in_the_last_writes_rolls_back_the_case_and_the_key(submit, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("audit table missing")

    monkeypatch.setattr("zhili.audit.actions._append_postgresql", broken)
    monkeypatch.setattr("zhili.audit.actions._lock_chain", broken)
    with pytest.raises(RuntimeError):
        run_idempotent(owner="user:1", key="k-fail", digest="d", run=lambda: (201, {}, submit()))
    assert not Case.objects.exists()
    assert not IdempotencyKey.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_SUBMITTED.value).exists()


def test_queued_work_runs_in_order_and_work_queued_outside_runs_at_once() -> None:
    order: list[str] = []
    before_commit(lambda: order.append("now"))
    assert order == ["now"]

    def run():
        before_commit(lambda: order.append("first"))
        before_commit(lambda: order.append("second"))
        order.append("response")
        return 201, {}, None

    run_idempotent(owner="user:1", key="k-queue", digest="d", run=run)
    assert order == ["now", "response", "first", "second"]
