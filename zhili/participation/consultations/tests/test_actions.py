"""Actions: who may take part, one support per resident, moderation, history, notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhili.audit.models import AuditEvent
from zhili.core.errors import DomainError
from zhili.notify.models import Notification
from zhili.participation.consultations import actions, policies
from zhili.participation.consultations.models import (
    Milestone,
    MilestoneStatus,
    OutcomeChange,
    Support,
)

from .conftest import verified_resident

pytestmark = pytest.mark.django_db


def audit_count(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- eligibility -------------------------------------------------------------------------------


def test_a_verified_resident_of_the_subtree_may_propose(consulting):
    proposal = actions.do_submit_proposal(
        consulting.topic, title="加装在北侧", body="北侧空间大", actor=consulting.residents[0]
    )
    assert proposal.person == policies.linked_person(consulting.residents[0])
    assert audit_count("consultations.posted") == 1


@pytest.mark.parametrize(
    "who",
    ["unverified", "other_community", "moved_out", "staff"],
)
def test_others_may_not_take_part(region, consulting, today, who):
    user = {
        "unverified": lambda: region.user("resident"),  # a resident login without a registry link
        "other_community": lambda: verified_resident(region.grid_c),
        "moved_out": lambda: verified_resident(region.grid_a, moved_out=today - timedelta(days=1)),
        "staff": lambda: region.user("community_staff"),
    }[who]()
    with pytest.raises(DomainError) as refused:
        actions.do_submit_proposal(consulting.topic, title="t", body="b", actor=user)
    assert (refused.value.code, refused.value.status) == ("not_eligible", 403)
    with pytest.raises(DomainError, match="not_eligible"):
        actions.do_submit_comment(consulting.topic, body="b", actor=user)


def test_a_grid_topic_is_only_for_that_grid(region, staff, today):
    topic = actions.do_create_topic(
        node=region.grid_a, title="A网格停车", body="b", opens_on=today, closes_on=today, actor=staff
    )
    actions.do_transition_topic(topic, "open", actor=staff)
    actions.do_submit_proposal(topic, title="t", body="b", actor=verified_resident(region.grid_a))
    with pytest.raises(DomainError, match="not_eligible"):
        actions.do_submit_proposal(topic, title="t", body="b", actor=verified_resident(region.grid_b))


def test_proposals_only_within_the_period(consulting, today):
    user = consulting.residents[0]
    with pytest.raises(DomainError, match="period_over"):
        actions.do_submit_proposal(
            consulting.topic, title="t", body="b", actor=user, today=today + timedelta(days=15)
        )
    with pytest.raises(DomainError, match="not_yet_open"):
        actions.do_submit_proposal(
            consulting.topic, title="t", body="b", actor=user, today=today - timedelta(days=2)
        )


def test_comments_continue_while_deliberating_but_proposals_stop(consulting, staff):
    actions.do_transition_topic(consulting.topic, "close", actor=staff)
    user = consulting.residents[0]
    actions.do_submit_comment(consulting.topic, body="议事会请考虑低层住户", actor=user)
    with pytest.raises(DomainError, match="wrong_state"):
        actions.do_submit_proposal(consulting.topic, title="t", body="b", actor=user)


# --- supports ----------------------------------------------------------------------------------


def test_one_support_per_resident_and_toggling(consulting):
    a, b = consulting.residents
    proposal = actions.do_submit_proposal(consulting.topic, title="t", body="b", actor=a)
    assert actions.do_set_support(proposal, supported=True, actor=b) is True
    assert actions.do_set_support(proposal, supported=True, actor=b) is True  # again: no second row
    assert Support.objects.filter(proposal=proposal).count() == 1
    assert audit_count("consultations.support_changed") == 1
    assert actions.do_set_support(proposal, supported=False, actor=b) is False
    assert actions.do_set_support(proposal, supported=False, actor=b) is False
    assert Support.objects.filter(proposal=proposal).count() == 0
    assert audit_count("consultations.support_changed") == 2


def test_the_database_refuses_a_second_support_of_the_same_person(consulting):
    a, b = consulting.residents
    proposal = actions.do_submit_proposal(consulting.topic, title="t", body="b", actor=a)
    actions.do_set_support(proposal, supported=True, actor=b)
    person = policies.linked_person(b)
    with pytest.raises(IntegrityError), transaction.atomic():
        Support.objects.create(proposal=proposal, person=person, user=b)


def test_supports_need_eligibility_and_a_visible_proposal(region, consulting, staff):
    a, b = consulting.residents
    proposal = actions.do_submit_proposal(consulting.topic, title="t", body="b", actor=a)
    with pytest.raises(DomainError, match="not_eligible"):
        actions.do_set_support(proposal, supported=True, actor=region.user("resident"))
    actions.do_hide_item(proposal, reason="advertising", actor=staff)
    with pytest.raises(DomainError, match="proposal_hidden"):
        actions.do_set_support(proposal, supported=True, actor=b)


# --- moderation --------------------------------------------------------------------------------


def test_hiding_records_reason_note_moderator_and_time_and_can_be_undone(consulting, staff):
    comment = actions.do_submit_comment(
        consulting.topic, body="手机 13800000000 联系我", actor=consulting.residents[0]
    )
    hidden = actions.do_hide_item(comment, reason="personal_data", note="含手机号", actor=staff)
    assert (hidden.hidden_reason, hidden.hidden_note, hidden.hidden_by) == (
        "personal_data",
        "含手机号",
        staff,
    )
    assert hidden.hidden_at is not None
    with pytest.raises(DomainError, match="already_hidden"):
        actions.do_hide_item(hidden, reason="abusive", actor=staff)
    restored = actions.do_restore_item(hidden, actor=staff)
    assert not restored.is_hidden and restored.hidden_by is None
    events = AuditEvent.objects.filter(action="consultations.moderated").order_by("id")
    assert [e.details["hidden"] for e in events] == [True, False]


def test_hiding_needs_a_reason_from_the_list(consulting, staff):
    comment = actions.do_submit_comment(consulting.topic, body="b", actor=consulting.residents[0])
    with pytest.raises(DomainError, match="bad_reason"):
        actions.do_hide_item(comment, reason="because", actor=staff)


# --- outcome history ---------------------------------------------------------------------------


def test_every_change_to_a_decision_and_milestone_is_kept_as_old_and_new(decided, staff, today):
    decision = decided.decision
    actions.do_update_decision(decision, responsible_person="李主任", note="人事调整", actor=staff)
    milestone = Milestone.objects.filter(decision=decision).order_by("due_on").first()
    actions.do_update_milestone(milestone, percent=40, note="设计初稿", actor=staff)
    actions.do_update_milestone(milestone, percent=100, actor=staff, today=today)
    rows = list(OutcomeChange.objects.filter(decision=decision).exclude(field="created").order_by("id"))
    assert [(r.field, r.old_value, r.new_value) for r in rows] == [
        ("responsible_person", "张主任", "李主任"),
        ("percent", "0", "40"),
        ("status", "planned", "in_progress"),
        ("percent", "40", "100"),
        ("status", "in_progress", "done"),
    ]
    assert rows[0].note == "人事调整" and rows[0].changed_by == staff
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.DONE and milestone.done_on == today
    # creation of the decision and its two milestones is history too
    assert OutcomeChange.objects.filter(decision=decision, field="created").count() == 3


def test_saving_without_a_change_writes_no_history(decided, staff):
    before = OutcomeChange.objects.count()
    actions.do_update_decision(decided.decision, responsible_person="张主任", actor=staff)
    assert OutcomeChange.objects.count() == before


def test_done_and_one_hundred_percent_go_together(decided, staff):
    milestone = Milestone.objects.filter(decision=decided.decision).first()
    m = actions.do_update_milestone(milestone, status="done", actor=staff)
    assert m.percent == 100
    m = actions.do_update_milestone(m, percent=90, actor=staff)
    assert m.status == MilestoneStatus.IN_PROGRESS and m.done_on is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    percent=st.one_of(st.integers(-1000, -1), st.integers(101, 10**6), st.booleans(), st.floats(), st.text())
)
def test_a_percentage_outside_0_to_100_is_refused(decided, staff, percent):
    milestone = Milestone.objects.filter(decision=decided.decision).first()
    with pytest.raises(DomainError, match="bad_percent"):
        actions.do_update_milestone(milestone, percent=percent, actor=staff)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_proposal_text_is_stored_as_written_or_refused_with_a_code(consulting, text):
    try:
        proposal = actions.do_submit_proposal(
            consulting.topic, title=text[:120] or "t", body=text, actor=consulting.residents[0]
        )
    except DomainError as exc:
        assert exc.code in {"body_required", "title_required", "bad_text"}
    else:
        proposal.refresh_from_db()
        assert proposal.body == text.strip()


# --- followers ---------------------------------------------------------------------------------


def test_followers_are_told_of_state_changes_decisions_and_progress_but_not_the_actor(
    consulting, staff, region, today
):
    topic = consulting.topic
    follower, bystander = consulting.residents
    actions.do_set_follow(topic, following=True, actor=follower)
    actions.do_set_follow(topic, following=True, actor=staff)  # the actor follows too
    actions.do_transition_topic(topic, "close", actor=staff)
    decision = actions.do_record_decision(
        topic, text="北侧加装", responsible_unit="居委会", responsible_person="张", due_on=today, actor=staff
    )
    milestone = actions.do_add_milestone(decision, title="设计", due_on=today, actor=staff)
    actions.do_update_milestone(milestone, percent=50, actor=staff)
    mine = Notification.objects.filter(recipient=follower).order_by("id")
    assert mine.count() == 3
    assert all(n.topic == f"consultations.topic:{topic.pk}" for n in mine)
    subjects = [n.subject for n in mine]
    assert "议事协商" in subjects[0] and "新决议" in subjects[1] and "进展" in subjects[2]
    assert not Notification.objects.filter(recipient__in=[bystander, staff]).exists()
    # unfollowing stops the messages
    actions.do_set_follow(topic, following=False, actor=follower)
    actions.do_update_milestone(milestone, percent=60, actor=staff)
    assert Notification.objects.filter(recipient=follower).count() == 3


def test_a_document_of_the_wrong_kind_is_refused_and_a_pdf_is_kept(consulting, staff):
    with pytest.raises(DomainError, match="document_mismatch"):
        actions.do_add_document(
            consulting.topic, title="方案", name="plan.pdf", data=b"MZ\x90\x00", actor=staff
        )
    with pytest.raises(DomainError, match="document_type"):
        actions.do_add_document(consulting.topic, title="x", name="run.exe", data=b"MZ", actor=staff)
    doc = actions.do_add_document(
        consulting.topic, title="方案", name="plan.pdf", data=b"%PDF-1.4 x", actor=staff
    )
    assert doc.content_type == "application/pdf" and doc.file.read() == b"%PDF-1.4 x"


def test_a_milestone_message_says_what_changed(decided, staff, today):
    topic = decided.topic
    follower = decided.residents[0]
    actions.do_set_follow(topic, following=True, actor=follower)
    milestone = decided.decision.milestones.order_by("due_on").first()
    old_due = milestone.due_on
    new_due = old_due + timedelta(days=20)

    def last_body():
        return Notification.objects.filter(recipient=follower).order_by("-id").first().body

    actions.do_update_milestone(milestone, due_on=new_due, note="施工队延期进场", actor=staff)
    body = last_body()
    assert body.startswith(f"{milestone.title}：")
    assert old_due.isoformat() in body and new_due.isoformat() in body
    assert "施工队延期进场" in body
    # only the due date moved: no progress figure to misread
    assert "%" not in body and "未开始" not in body

    actions.do_update_milestone(milestone, percent=40, actor=staff)
    body = last_body()
    assert "0%" in body and "40%" in body
    assert "未开始" in body and "落实中" in body  # planned → in progress follows from the percent
    assert new_due.isoformat() not in body
