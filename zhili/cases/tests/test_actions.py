"""Intake and the guards of each transition: who may, when, and what is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from zhili.audit.models import AuditEvent
from zhili.cases import actions as a
from zhili.cases.models import Attachment, Case, CaseEvent, Channel, SLAPolicy, SlaUnit
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A, IN_GRID_C, OUTSIDE, jpeg_with_exif, png_bytes
from zhili.core import crypto
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.intelligence.classify import Prediction
from zhili.notify.models import Notification

pytestmark = pytest.mark.django_db


def code_of(fn):
    with pytest.raises(DomainError) as err:
        fn()
    return err.value.code


# Intake -------------------------------------------------------------------------------------------


def test_a_located_case_gets_its_grid_boundary_version_code_and_deadlines(submit, region):
    case = submit()
    assert case.grid == region.grid_a and case.node == region.grid_a
    assert case.boundary is not None and case.boundary.grid_id == region.grid_a.pk
    assert len(case.code) == 10 and case.code.isalnum()
    assert case.accept_due_at < case.contact_due_at < case.finish_due_at
    assert case.sla_started_at <= case.yellow_at < case.finish_due_at
    assert case.status == S.PENDING  # no dispatch rule yet


def test_tracking_codes_are_unguessable_and_distinct(submit):
    codes = {submit().code for _ in range(20)}
    assert len(codes) == 20
    assert all(set(code) <= set(a.CODE_ALPHABET) for code in codes)


def test_contact_details_are_encrypted_and_blind_indexed(submit):
    case = submit(contact_mobile="+86 138-1234-5678")
    assert "13812345678" not in case.contact_mobile_enc and "张三" not in case.contact_name_enc
    assert crypto.decrypt(case.contact_mobile_enc) == "13812345678"
    assert crypto.decrypt(case.contact_name_enc) == "张三"
    assert case.contact_mobile_bidx == crypto.blind_index("mobile", "13812345678")


def test_a_rule_and_a_sure_category_dispatch_at_once(submit, rule, region):
    case = submit()
    assert case.status == S.DISPATCHED and case.department == region.department
    event = case.events.get()
    assert event.data["auto"] is True and event.data["rule"] == rule.pk
    # The handlers of the department are told.
    assert Notification.objects.filter(recipient=region.user("handler"), channel="in_app").exists()


def test_a_rule_to_the_case_grid_sends_it_to_the_grid_it_was_found_in(submit, cats, region):
    from zhili.cases.models import DispatchRule

    DispatchRule.objects.create(category=None, area=region.street, to_case_grid=True, priority=1)
    case = submit(lat=IN_GRID_A[0], lng=IN_GRID_A[1])
    assert case.status == S.DISPATCHED and case.assigned_grid == region.grid_a and case.department is None


# A rule never sends a case where no grid worker could sign for it ------------------------------------


def test_a_rule_to_an_unstaffed_case_grid_leaves_the_case_to_the_dispatcher(submit, cats, region):
    from zhili.cases.models import DispatchRule

    DispatchRule.objects.create(category=None, area=region.street, to_case_grid=True, priority=1)
    case = submit(lat=IN_GRID_C[0], lng=IN_GRID_C[1])  # nobody works in grid C
    assert case.status == S.PENDING and case.assigned_grid is None
    assert "auto" not in case.events.get().data


def test_a_grid_worker_posted_to_a_grid_makes_the_next_submit_go_there(submit, cats, region):
    from zhili.accounts.models import Membership
    from zhili.accounts.roles import Role
    from zhili.cases.models import DispatchRule

    DispatchRule.objects.create(category=None, area=region.street, to_case_grid=True, priority=1)
    assert submit(lat=IN_GRID_C[0], lng=IN_GRID_C[1]).status == S.PENDING
    post = Membership.objects.create(user=region.user("grid_worker_b"), role=Role.GRID_WORKER, node=region.c2)
    case = submit(lat=IN_GRID_C[0], lng=IN_GRID_C[1])  # a post over the community covers grid C
    assert case.status == S.DISPATCHED and case.assigned_grid == region.grid_c
    post.active = False
    post.save()  # revoked: no one again
    assert submit(lat=IN_GRID_C[0], lng=IN_GRID_C[1]).status == S.PENDING


def test_a_grid_worker_whose_account_is_off_does_not_staff_a_grid(submit, cats, region):
    from zhili.cases.models import DispatchRule

    worker = region.user("grid_worker_a")
    worker.is_active = False
    worker.save()
    DispatchRule.objects.create(category=None, area=region.street, to_case_grid=True, priority=1)
    assert submit().status == S.PENDING


def test_a_rule_to_a_fixed_grid_needs_a_grid_worker_there(submit, cats, region):
    from zhili.cases.models import DispatchRule

    rule = DispatchRule.objects.create(
        category=cats.garbage, area=region.street, grid=region.grid_c, priority=5
    )
    assert submit().status == S.PENDING  # grid C is unstaffed
    rule.grid = region.grid_b
    rule.save()
    case = submit()
    assert case.status == S.DISPATCHED and case.assigned_grid == region.grid_b


def test_the_classifier_fills_the_category_and_dispatches_only_when_sure(monkeypatch, region, cats, rule):
    sure = Prediction(category_code="ENV-GARB-PILE", confidence=0.95, department_code="CG")
    monkeypatch.setattr("zhili.intelligence.classify.classify", lambda *args, **kw: sure)
    case = a.do_submit_case(
        actor=region.user("resident"),
        channel=Channel.H5,
        title="垃圾",
        body="垃圾堆放",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
    )
    assert case.category == cats.pile and case.category_source == "classifier"
    assert case.status == S.DISPATCHED

    unsure = Prediction(category_code="ENV-GARB-PILE", confidence=0.4)
    monkeypatch.setattr("zhili.intelligence.classify.classify", lambda *args, **kw: unsure)
    case = a.do_submit_case(
        actor=region.user("resident"),
        channel=Channel.H5,
        title="垃圾",
        body="垃圾堆放",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
    )
    assert case.category == cats.pile and case.status == S.PENDING
    assert case.events.get().data["suggested"]["confidence"] == 0.4


def test_a_resident_chosen_category_alone_does_not_dispatch(region, cats, rule):
    case = a.do_submit_case(
        actor=region.user("resident"),
        channel=Channel.H5,
        title="垃圾",
        body="垃圾",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        category=cats.pile,
    )
    # the confidence is the classifier's agreement (keyword rules of the tree here), never the resident's
    assert case.status == S.PENDING and case.category_source == "reporter"
    assert case.category_confidence is not None and case.category_confidence < 0.8


def test_a_broken_classifier_leaves_the_case_to_the_dispatcher(monkeypatch, region, cats, rule):
    def broken(*args, **kwargs):
        raise RuntimeError("model file missing")

    monkeypatch.setattr("zhili.intelligence.classify.classify", broken)
    case = a.do_submit_case(
        actor=None, channel=Channel.H5, title="垃圾", body="垃圾", lat=IN_GRID_A[0], lng=IN_GRID_A[1]
    )
    assert case.status == S.PENDING and case.category is None and case.reporter is None


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"title": "  "}, "title_required"),
        ({"title": "长" * 101}, "title_too_long"),
        ({"body": ""}, "body_required"),
        ({"body": "x" * 2001}, "body_too_long"),
        ({"lat": OUTSIDE[0], "lng": OUTSIDE[1]}, "outside_territory"),
        ({"lat": 39.9, "lng": None}, "coordinates_incomplete"),
        ({"lat": float("nan"), "lng": 116.3}, "coordinates_invalid"),
        ({"contact_mobile": "call me maybe"}, "mobile_invalid"),
        ({"urgency": "apocalyptic"}, "urgency_invalid"),
        ({"photos": [b"GIF89a not allowed"]}, "upload_not_image"),
        ({"channel": "fax"}, "channel_invalid"),
    ],
)
def test_bad_intake_is_refused_with_a_stable_code_and_nothing_saved(submit, overrides, code):
    before = (Case.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.count())
    assert code_of(lambda: submit(**overrides)) == code
    assert (Case.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.count()) == before


def test_residents_cannot_mark_urgent_and_cannot_use_staff_channels(region, cats):
    resident = region.user("resident")
    fields = {"title": "t", "body": "b", "lat": IN_GRID_A[0], "lng": IN_GRID_A[1]}
    assert code_of(
        lambda: a.do_submit_case(actor=resident, channel=Channel.H5, urgency="urgent", **fields)
    ) == ("urgency_not_allowed")
    for channel in (Channel.HOTLINE, Channel.PATROL, Channel.WEBHOOK):
        with pytest.raises(Forbidden):
            a.do_submit_case(actor=resident, channel=channel, **fields)


def test_a_grid_worker_files_a_patrol_report(region):
    case = a.do_submit_case(
        actor=region.user("grid_worker_a"),
        channel=Channel.PATROL,
        title="井盖缺失",
        body="路口井盖缺失",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
    )
    assert case.channel == Channel.PATROL and case.reporter == region.user("grid_worker_a")


def test_without_a_place_the_case_waits_at_the_operators_street(region):
    case = a.do_submit_case(
        actor=region.user("dispatcher"), channel=Channel.HOTLINE, title="噪音", body="夜间施工"
    )
    assert case.node == region.street and case.grid is None


def test_emergencies_run_on_natural_hours_and_policies_override_defaults(submit, cats):
    urgent = submit(urgency="emergency")
    assert urgent.sla_unit == SlaUnit.NATURAL_HOURS
    assert urgent.finish_due_at - urgent.sla_started_at == timedelta(hours=24)
    SLAPolicy.objects.create(
        category=cats.garbage,
        urgency="normal",
        unit=SlaUnit.NATURAL_HOURS,
        accept_within=1,
        contact_within=2,
        finish_within=3,
    )
    case = submit()
    assert case.finish_due_at - case.sla_started_at == timedelta(hours=3)


def test_photos_are_checked_by_content_and_lose_their_metadata(submit):
    case = submit(photos=[png_bytes(), jpeg_with_exif()])
    photos = list(Attachment.objects.filter(case=case).order_by("id"))
    assert [p.content_type for p in photos] == ["image/png", "image/jpeg"]
    assert all(p.exif_stripped for p in photos)
    png, jpeg = (p.file.open("rb").read() for p in photos)
    assert b"tEXt" not in png and b"39.9,116.3" not in png and png.endswith(b"IEND\xaeB`\x82")
    assert b"Exif" not in jpeg and b"GPS" not in jpeg and b"JFIF" in jpeg


@override_settings(ZHILI_MAX_UPLOAD_BYTES=100)
def test_oversized_photos_are_refused(submit):
    assert code_of(lambda: submit(photos=[png_bytes() + b"\0" * 200])) == "upload_too_large"


# Scope --------------------------------------------------------------------------------------------


def test_outsiders_get_404_and_read_only_leaders_403(walker, region):
    case = walker.to(S.PENDING)
    with pytest.raises(NotFound):
        a.do_accept(case, actor=region.user("outsider"))
    with pytest.raises(NotFound):
        a.do_accept(case, actor=region.user("nobody"))
    with pytest.raises(Forbidden):
        a.do_accept(case, actor=region.user("leader"))
    with pytest.raises(NotFound):
        a.do_accept(case, actor=None)


def test_only_the_department_the_case_went_to_can_sign(walker, region):
    from zhili.accounts.models import Department
    from zhili.core.testing import make_user

    other_dept = Department.objects.create(name="Civil affairs", code="MZ", node=region.street)
    other = make_user("other_handler", role="handler", node=region.street, department=other_dept)
    case = walker.to(S.DISPATCHED)
    with pytest.raises(NotFound):  # not their department: they cannot even see it
        a.do_sign(case, actor=other)
    with pytest.raises(Forbidden):  # the dispatcher sees it but is not the assignee
        a.do_sign(case, actor=region.user("dispatcher"))
    assert a.do_sign(case, actor=region.user("handler")).assignee == region.user("handler")


def test_the_grid_worker_of_another_grid_cannot_verify(walker, region):
    case = walker.to(S.RESOLVED)
    with pytest.raises(NotFound):
        a.do_verify(case, actor=region.user("grid_worker_b"), note="现场核实")
    assert a.do_verify(case, actor=region.user("grid_worker_a"), note="现场核实").status == S.VERIFIED


def test_nobody_verifies_their_own_work(walker, region):
    case = walker.to(S.PENDING)
    a.do_dispatch(case, actor=region.user("dispatcher"), grid=region.grid_a)
    worker = region.user("grid_worker_a")
    a.do_sign(case, actor=worker)
    a.do_start(case, actor=worker)
    a.do_resolve(case, actor=worker, feedback="已处理")
    assert code_of(lambda: a.do_verify(case, actor=worker, note="现场核实")) == "verifier_is_handler"
    assert a.do_verify(case, actor=region.user("supervisor"), note="现场核实").status == S.VERIFIED


def test_only_the_reporter_rates(walker, region):
    from zhili.core.testing import make_user

    neighbour = make_user("neighbour", role="resident", node=region.grid_a)
    case = walker.to(S.VERIFIED)
    with pytest.raises(NotFound):
        a.do_rate(case, actor=neighbour, rating="unsatisfied")
    with pytest.raises(Forbidden):  # staff enter ratings by phone, not as the resident
        a.do_rate(case, actor=region.user("dispatcher"), rating="satisfied")


# Guards -------------------------------------------------------------------------------------------


def test_returns_are_limited_then_a_supervisor_makes_the_assignment_binding(walker, region):
    d, h, sup = region.user("dispatcher"), region.user("handler"), region.user("supervisor")
    case = walker.to("returned_twice")
    assert case.return_count == 2
    assert (
        code_of(lambda: a.do_dispatch(case, actor=d, department=region.department)) == "arbitration_required"
    )
    with pytest.raises(Forbidden):
        a.do_arbitrate(case, actor=d, department=region.department)
    assert Notification.objects.filter(recipient=sup, subject__contains=case.code).exists()
    case = a.do_arbitrate(case, actor=sup, department=region.department, note="职责明确，由城管办理")
    assert case.binding and case.status == S.DISPATCHED
    assert code_of(lambda: a.do_return(case, actor=h, reason="还是不归我们")) == "assignment_binding"
    assert (
        code_of(lambda: a.do_transfer(case, actor=d, reason="x", grid=region.grid_a)) == "assignment_binding"
    )


def test_arbitration_is_only_for_cases_returned_too_often(walker, region):
    case = walker.to(S.RETURNED)
    code = code_of(
        lambda: a.do_arbitrate(case, actor=region.user("supervisor"), department=region.department)
    )
    assert code == "arbitration_not_needed"


def test_reject_needs_a_reason_from_the_list(walker, region):
    case = walker.to(S.PENDING)
    assert (
        code_of(lambda: a.do_reject(case, actor=region.user("dispatcher"), reason="because"))
        == "reason_invalid"
    )


def test_return_transfer_and_suspend_need_a_reason(walker, region):
    case = walker.to(S.DISPATCHED)
    assert code_of(lambda: a.do_return(case, actor=region.user("handler"), reason=" ")) == "reason_required"
    assert (
        code_of(lambda: a.do_suspend(case, actor=region.user("dispatcher"), reason="")) == "reason_required"
    )


def test_dispatch_needs_exactly_one_target_inside_the_area(walker, region):
    from zhili.accounts.models import Department

    case = walker.to(S.PENDING)
    d = region.user("dispatcher")
    assert code_of(lambda: a.do_dispatch(case, actor=d)) == "target_required"
    far = Department.objects.create(name="Far away", code="FAR", node=region.other_street)
    assert code_of(lambda: a.do_dispatch(case, actor=d, department=far)) == "department_out_of_area"
    assert code_of(lambda: a.do_dispatch(case, actor=d, grid=region.grid_d)) == "grid_out_of_scope"
    assert code_of(lambda: a.do_dispatch(case, actor=d, grid=region.c1)) == "grid_invalid"


def test_feedback_is_required_and_some_categories_need_a_photo(walker, region, cats):
    case = walker.to(S.IN_PROGRESS)
    h = region.user("handler")
    assert code_of(lambda: a.do_resolve(case, actor=h, feedback="")) == "feedback_required"
    Case.objects.filter(pk=case.pk).update(category=cats.light)
    assert code_of(lambda: a.do_resolve(case, actor=h, feedback="已修复")) == "photo_required"
    done = a.do_resolve(case, actor=h, feedback="已修复", photos=[png_bytes()])
    event = done.events.get(kind="resolve")
    assert event.attachments.count() == 1 and event.note == "已修复"


def test_an_extension_must_end_after_the_deadline_and_approval_moves_it(walker, region):
    case = walker.to(S.IN_PROGRESS)
    h = region.user("handler")
    too_soon = case.finish_due_at - timedelta(hours=1)
    assert code_of(lambda: a.do_request_extension(case, actor=h, until=too_soon, reason="x")) == (
        "extension_not_later"
    )
    until = case.finish_due_at + timedelta(days=5)
    a.do_request_extension(case, actor=h, until=until, reason="需协调")
    approved = a.do_approve_extension(case, actor=region.user("supervisor"))
    assert approved.finish_due_at == until and approved.status == S.IN_PROGRESS
    assert approved.yellow_at < until


def test_an_unsatisfied_rating_reopens_once_with_priority_then_goes_to_a_supervisor(walker, region):
    res, h, sup, d = (region.user(p) for p in ("resident", "handler", "supervisor", "dispatcher"))
    case = walker.to(S.VERIFIED)
    first_due = case.finish_due_at
    case = a.do_rate(case, actor=res, rating="unsatisfied", comment="没修好")
    assert case.status == S.DISPATCHED and case.reopen_count == 1 and case.priority == 1
    assert case.department == region.department and case.finish_due_at >= first_due
    for step in (
        lambda c: a.do_sign(c, actor=h),
        lambda c: a.do_start(c, actor=h),
        lambda c: a.do_resolve(c, actor=h, feedback="再次处理"),
        lambda c: a.do_verify(c, actor=sup, note="现场核实"),
    ):
        case = step(case)
    case = a.do_rate(case, actor=res, rating="unsatisfied", comment="还是不行")
    assert case.status == S.RATED and case.needs_review
    assert Notification.objects.filter(recipient=sup, subject__contains=case.code).exists()
    assert code_of(lambda: a.do_close(case, actor=d)) == "supervisor_required"
    assert a.do_close(case, actor=sup).status == S.CLOSED
    assert list(case.evaluations.values_list("round", "rating")) == [(0, "unsatisfied"), (1, "unsatisfied")]


def test_default_rating_waits_for_the_window(walker):
    case = walker.to(S.VERIFIED)
    assert code_of(lambda: a.do_rate_default(case, now=timezone.now())) == "rating_window_open"
    with pytest.raises(Forbidden):  # only the system rates by default
        a.do_rate_default(case, actor=walker.u("supervisor"), now=timezone.now() + timedelta(days=30))


def test_merge_folds_a_duplicate_and_its_reporter_hears_about_the_main_case(walker, region):
    d = region.user("dispatcher")
    main = walker.to(S.PENDING)
    duplicate = a.do_submit_case(
        actor=None,
        channel=Channel.H5,
        title="同一堆垃圾",
        body="还在",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        contact_mobile="13700001111",
    )
    assert code_of(lambda: a.do_merge(duplicate, actor=d, into=duplicate)) == "merge_into_self"
    merged = a.do_merge(duplicate, actor=d, into=main)
    assert merged.status == S.MERGED and merged.merged_into == main
    assert main.events.filter(kind="merged_in", data__from=duplicate.code).exists()
    before = Notification.objects.filter(channel="sms").count()
    a.do_dispatch(main, actor=d, department=region.department)
    sms = list(Notification.objects.filter(channel="sms").order_by("id"))[before:]
    numbers = {crypto.decrypt(n.address_enc) for n in sms}
    assert numbers == {"13912345678", "13700001111"}  # the main reporter and the duplicate's
    assert code_of(lambda: a.do_merge(walker.to(S.PENDING), actor=d, into=merged)) == "main_case_closed"


def test_contact_is_recorded_by_the_assignee_once(walker, region):
    case = walker.to(S.SIGNED)
    with pytest.raises(Forbidden):
        a.do_record_contact(case, actor=region.user("dispatcher"), note="x")
    a.do_record_contact(case, actor=region.user("handler"), note="已电话联系居民")
    first = Case.objects.get(pk=case.pk).contacted_at
    a.do_record_contact(case, actor=region.user("handler"), note="再次联系")
    assert Case.objects.get(pk=case.pk).contacted_at == first
    assert case.events.filter(kind="contact").count() == 2


def test_every_change_writes_one_event_and_one_audit_row_without_personal_data(walker, region):
    case = walker.to(S.SIGNED)
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["submit", "dispatch", "sign"]
    audit = list(AuditEvent.objects.filter(target_type="cases.case", target_id=str(case.pk)).order_by("id"))
    assert [e.details["kind"] for e in audit] == kinds
    assert audit[0].action == "cases.submitted" and audit[1].action == "cases.transition"
    assert all(e.node_id == case.node_id for e in audit)
    dumped = str([e.details for e in audit])
    assert "13912345678" not in dumped and "路灯" not in dumped


def test_allowed_transitions_match_the_roles(walker, region):
    case = walker.to(S.DISPATCHED)
    assert set(a.allowed_transitions(region.user("handler"), case)) == {
        a.Transition.SIGN,
        a.Transition.RETURN,
    }
    assert a.Transition.TRANSFER in a.allowed_transitions(region.user("dispatcher"), case)
    assert a.allowed_transitions(region.user("leader"), case) == []


def test_staff_who_filed_a_case_are_not_told_as_residents(region):
    worker, operator = region.user("grid_worker_a"), region.user("dispatcher")
    patrol = a.do_submit_case(
        actor=worker,
        channel=Channel.PATROL,
        title="井盖缺失",
        body="路口井盖缺失",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
    )
    told = Notification.objects.get(recipient=worker, topic=f"cases.case:{patrol.pk}")
    assert patrol.code in told.subject and "巡查" in told.subject
    assert "手机号" not in told.body  # the tracking advice is for residents
    call = a.do_submit_case(
        actor=operator, channel=Channel.HOTLINE, title="噪音", body="夜间施工", contact_mobile="13812345678"
    )
    # The operator who took the call gets no "your request" message; the caller is told by SMS.
    assert not Notification.objects.filter(recipient=operator, topic=f"cases.case:{call.pk}").exists()
    assert Notification.objects.filter(channel="sms", topic=f"cases.case:{call.pk}").exists()


def test_a_caller_on_a_landline_is_not_sent_texts_but_can_still_track(region, client):
    operator = region.user("dispatcher")
    call = a.do_submit_case(
        actor=operator, channel=Channel.HOTLINE, title="噪音", body="夜间施工", contact_mobile="010-84561234"
    )
    a.do_dispatch(call, actor=operator, department=region.department)
    assert not Notification.objects.filter(channel="sms", topic=f"cases.case:{call.pk}").exists()
    found = client.post("/cases/track/", {"code": call.code, "phone4": "1234"})
    assert (
        found.status_code == 200 and "已派单" in found.content.decode() and "噪音" in found.content.decode()
    )


def test_verifying_needs_what_was_found_or_a_photo(walker, region):
    case = walker.to(S.RESOLVED)
    supervisor = region.user("supervisor")
    assert code_of(lambda: a.do_verify(case, actor=supervisor, note="  ")) == "verification_evidence_required"
    case.refresh_from_db()
    assert case.status == S.RESOLVED and case.verified_at is None
    assert a.do_verify(case, actor=supervisor, photos=[png_bytes()]).status == S.VERIFIED
