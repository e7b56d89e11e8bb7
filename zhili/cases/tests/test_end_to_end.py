"""One request through every main state and every side path; the timeline and the audit chain agree."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zhili.audit.models import AuditEvent
from zhili.audit.verify import verify_chain
from zhili.cases import actions as a
from zhili.cases.models import Case, Channel
from zhili.cases.selectors import public_view
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A
from zhili.core import crypto
from zhili.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_one_case_walks_the_whole_loop(region, cats):
    u = region.user
    resident, d, h, sup, gw = (
        u("resident"),
        u("dispatcher"),
        u("handler"),
        u("supervisor"),
        u("grid_worker_a"),
    )

    case = a.do_submit_case(
        actor=resident,
        channel=Channel.H5,
        title="小区路灯不亮",
        body="3号楼旁路灯已坏两周，晚上很黑。",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        contact_name="王五",
        contact_mobile="13512345678",
    )
    duplicate = a.do_submit_case(
        actor=None,
        channel=Channel.H5,
        title="路灯坏了",
        body="同一个路灯",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        contact_mobile="13787654321",
    )
    steps = [
        lambda: a.do_accept(case, actor=d),
        lambda: a.do_merge(duplicate, actor=d, into=case, note="同一路灯"),
        lambda: a.do_dispatch(case, actor=d, grid=region.grid_a, note="先由网格处理"),
        lambda: a.do_transfer(case, actor=d, reason="需专业维修，转城管", department=region.department),
        lambda: a.do_return(case, actor=h, reason="路灯归供电公司"),
        lambda: a.do_dispatch(case, actor=d, department=region.department, note="产权在街道，请城管办理"),
        lambda: a.do_return(case, actor=h, reason="仍认为不属本部门"),
        lambda: a.do_arbitrate(case, actor=sup, department=region.department, note="城管负责，不得再退"),
        lambda: a.do_sign(case, actor=h),
        lambda: a.do_record_contact(case, actor=h, note="已电话联系王先生"),
        lambda: a.do_start(case, actor=h),
        lambda: a.do_request_extension(
            case,
            actor=h,
            until=Case.objects.get(pk=case.pk).finish_due_at + timedelta(days=3),
            reason="等配件",
        ),
        lambda: a.do_approve_extension(case, actor=sup),
        lambda: a.do_suspend(case, actor=d, reason="暴雨停工"),
        lambda: a.do_resume(case, actor=d),
        lambda: a.do_resolve(case, actor=h, feedback="已更换灯泡"),
        lambda: a.do_send_back(case, actor=gw, reason="现场仍不亮"),
        lambda: a.do_resolve(case, actor=h, feedback="已更换镇流器"),
        lambda: a.do_verify(case, actor=gw, note="现场已亮"),
        lambda: a.do_rate(case, actor=resident, rating="unsatisfied", comment="隔天又坏了"),
        lambda: a.do_sign(case, actor=h),
        lambda: a.do_start(case, actor=h),
        lambda: a.do_resolve(case, actor=h, feedback="更换整套灯具"),
        lambda: a.do_verify(case, actor=sup, note="现场核实"),
        lambda: a.do_rate(case, actor=resident, rating="satisfied", comment="谢谢"),
        lambda: a.do_close(case, actor=d),
    ]
    for step in steps:
        step()

    case.refresh_from_db()
    assert case.status == S.CLOSED
    assert (case.return_count, case.reopen_count, case.binding, case.priority) == (2, 1, True, 1)
    assert case.extension_until is None and case.suspended_at is None

    timeline = list(case.events.order_by("id").values_list("kind", "from_status", "to_status"))
    assert timeline == [
        ("submit", "", "pending"),
        ("accept", "pending", "accepted"),
        ("merged_in", "", ""),
        ("dispatch", "accepted", "dispatched"),
        ("transfer", "dispatched", "dispatched"),
        ("return", "dispatched", "returned"),
        ("dispatch", "returned", "dispatched"),
        ("return", "dispatched", "returned"),
        ("arbitrate", "returned", "dispatched"),
        ("sign", "dispatched", "signed"),
        ("contact", "", ""),
        ("start", "signed", "in_progress"),
        ("request_extension", "in_progress", "extension_pending"),
        ("approve_extension", "extension_pending", "in_progress"),
        ("suspend", "in_progress", "suspended"),
        ("resume", "suspended", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("send_back", "resolved", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("verify", "resolved", "verified"),
        ("rate", "verified", "dispatched"),
        ("sign", "dispatched", "signed"),
        ("start", "signed", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("verify", "resolved", "verified"),
        ("rate", "verified", "rated"),
        ("close", "rated", "closed"),
    ]
    # The transfer keeps its reason and where it came from.
    transfer = case.events.get(kind="transfer")
    assert transfer.note == "需专业维修，转城管" and transfer.data["from"]["grid_name"] == region.grid_a.name
    assert transfer.data["department_name"] == region.department.name

    # The audit chain holds one row per timeline event, in the same order, and is intact.
    audit = list(AuditEvent.objects.filter(target_type="cases.case", target_id=str(case.pk)).order_by("id"))
    assert [
        (e.details["kind"], e.details.get("from", ""), e.details.get("to", "")) for e in audit
    ] == timeline
    assert [e.details["event"] for e in audit] == list(
        case.events.order_by("id").values_list("id", flat=True)
    )
    assert {e.actor_label for e in audit} >= {
        "resident",
        "dispatcher",
        "handler",
        "supervisor",
        "grid_worker_a",
    }
    result = verify_chain()
    assert result.ok, result

    # The duplicate's reporter heard about the main case's progress after the merge.
    duplicate.refresh_from_db()
    assert duplicate.status == S.MERGED and duplicate.merged_into == case
    to_duplicate = [
        n
        for n in Notification.objects.filter(channel="sms").order_by("id")
        if crypto.decrypt(n.address_enc) == "13787654321"
    ]
    about_main = [n for n in to_duplicate if case.code in n.body]
    assert len(about_main) >= 4 and all(duplicate.code in n.subject for n in about_main)
    assert str(S.CLOSED.label) in about_main[-1].body

    # The public timeline tells the resident what happened without names or notes.
    public = public_view(case)
    assert public["status"] == "closed" and len(public["timeline"]) == len(timeline) - 1  # no merged_in
    assert "王" not in str(public) and "handler" not in str(public)
    assert list(case.evaluations.values_list("rating", "source")) == [
        ("unsatisfied", "resident"),
        ("satisfied", "resident"),
    ]


def test_a_rejected_request_ends_with_its_reason_on_the_public_page(region, cats):
    case = a.do_submit_case(
        actor=None,
        channel=Channel.H5,
        title="邻居吵架",
        body="请来调解",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        contact_mobile="13500000000",
    )
    a.do_reject(case, actor=region.user("dispatcher"), reason="private_dispute", note="建议人民调解委员会")
    public = public_view(Case.objects.get(pk=case.pk))
    assert public["status"] == "rejected"
    assert public["timeline"][-1]["reason"] == str(a.RejectReason.label("private_dispute"))
    assert public["timeline"][-1]["reason"] not in ("", "private_dispute")
    assert "人民调解" not in str(public)  # the internal note stays internal
