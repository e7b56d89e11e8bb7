"""Actions: drafting, the transitions (publish, correct, withdraw), questions, the read counter."""

from __future__ import annotations

import pytest

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import DomainError, Forbidden
from zhili.disclosure import actions
from zhili.disclosure.models import Publication, Question
from zhili.disclosure.states import TRANSITIONS, PublicationStatus, PublicationTransition
from zhili.notify.models import Notification

from .conftest import pub_values

pytestmark = pytest.mark.django_db
S = PublicationStatus
T = PublicationTransition


def test_drafting_stores_the_items_in_fen_and_computes_the_total(draft):
    p = draft()
    assert p.status == S.DRAFT and p.items == [
        {"label": "保洁服务费", "fen": 1200000},
        {"label": "绿化养护", "fen": 350050},
    ]
    assert str(p.total_yuan) == "15500.50"
    assert p.period_label == "2026年第三季度"  # the site speaks Chinese (LANGUAGE_CODE)
    event = AuditEvent.objects.get(action=AuditAction.DISCLOSURE_CHANGED)
    assert event.target_id == str(p.pk) and event.node_id == p.node_id


@pytest.mark.parametrize(
    "persona", ["leader", "party_secretary", "dispatcher", "grid_worker_a", "outsider", "resident"]
)
def test_only_community_staff_may_draft(region, persona):
    with pytest.raises(Forbidden):
        actions.do_draft_publication(actor=region.user(persona), node=region.c1, **pub_values())
    assert (
        not Publication.objects.exists()
        and not AuditEvent.objects.filter(action__startswith="disclosure").exists()
    )


def test_community_staff_cannot_draft_for_another_community_or_a_grid(region):
    staff = region.user("community_staff")
    with pytest.raises(Forbidden):
        actions.do_draft_publication(actor=staff, node=region.c2, **pub_values())
    with pytest.raises(DomainError) as exc:
        actions.do_draft_publication(actor=staff, node=region.grid_a, **pub_values())
    assert exc.value.code == "node_invalid"
    assert not Publication.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"title": "  "}, "required"),
        ({"kind": "gossip"}, "choice_invalid"),
        ({"audience": "friends"}, "choice_invalid"),
        ({"period_year": 2026, "period_quarter": 5}, "quarter_invalid"),
        ({"items": [{"label": "保洁", "amount": "-1"}]}, "item_amount_invalid"),
        ({"items": [{"label": "保洁", "amount": "1.005"}]}, "item_amount_invalid"),
        ({"items": [{"label": "保洁", "amount": "abc"}]}, "item_amount_invalid"),
        ({"items": [{"label": "", "amount": "10"}]}, "item_label_invalid"),
        ({"body": "", "items": []}, "required"),
    ],
)
def test_invalid_drafts_are_refused_and_leave_nothing(draft, overrides, code):
    with pytest.raises(DomainError) as exc:
        draft(**overrides)
    assert exc.value.code == code
    assert not Publication.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="disclosure").exists()


def test_a_draft_can_be_changed_but_a_published_item_cannot(region, draft):
    staff = region.user("community_staff")
    p = draft()
    p = actions.do_update_publication(p, actor=staff, **pub_values(title="改过的标题"))
    assert p.title == "改过的标题"
    actions.do_publish_publication(p, actor=staff)
    with pytest.raises(DomainError) as exc:
        actions.do_update_publication(p, actor=staff, **pub_values(title="偷偷改"))
    assert exc.value.code == "not_editable"
    p.refresh_from_db()
    assert p.title == "改过的标题"


def test_leaders_read_but_never_publish(region, draft):
    p = draft()
    with pytest.raises(Forbidden):
        actions.do_publish_publication(p, actor=region.user("leader"))
    p.refresh_from_db()
    assert p.status == S.DRAFT and p.published_at is None


def test_publishing_records_who_and_when_and_audits(region, published):
    p = published()
    assert p.status == S.PUBLISHED and p.published_by == region.user("community_staff") and p.published_at
    event = AuditEvent.objects.get(action=AuditAction.DISCLOSURE_TRANSITION)
    assert event.details["transition"] == "publish" and event.details["to"] == "published"


def test_publishing_twice_is_refused(region, published):
    p = published()
    with pytest.raises(DomainError) as exc:
        actions.do_publish_publication(p, actor=region.user("community_staff"))
    assert exc.value.code == "transition_not_allowed" and exc.value.status == 409


def test_a_correction_is_a_new_version_and_the_old_one_keeps_its_reason(region, published):
    staff = region.user("community_staff")
    old = published()
    new = actions.do_correct_publication(
        old,
        actor=staff,
        reason="绿化养护金额录入有误",
        **pub_values(items=[{"label": "绿化养护", "amount": "3050.50"}]),
    )
    old.refresh_from_db()
    assert old.status == S.CORRECTED and old.end_reason == "绿化养护金额录入有误" and old.ended_at
    assert old.items[0]["fen"] == 1200000  # what the public saw stays on record
    assert new.status == S.PUBLISHED and new.replaces == old and new.version == 2
    assert old.replacement == new
    assert new.node == old.node and str(new.total_yuan) == "3050.50"
    with pytest.raises(DomainError):  # the corrected version cannot be corrected again
        actions.do_correct_publication(old, actor=staff, reason="再改", **pub_values())


@pytest.mark.parametrize("reason", ["", " ", "x"])
def test_correction_and_withdrawal_need_a_reason(region, published, reason):
    staff = region.user("community_staff")
    p = published()
    with pytest.raises(DomainError) as exc:
        actions.do_correct_publication(p, actor=staff, reason=reason, **pub_values(title="新"))
    assert exc.value.code == "reason_required"
    with pytest.raises(DomainError):
        actions.do_withdraw_publication(p, actor=staff, reason=reason)
    p.refresh_from_db()
    assert p.status == S.PUBLISHED and Publication.objects.count() == 1


def test_an_invalid_correction_leaves_the_published_version_alone(region, published):
    p = published()
    with pytest.raises(DomainError):
        actions.do_correct_publication(
            p, actor=region.user("community_staff"), reason="更正金额", **pub_values(title="")
        )
    p.refresh_from_db()
    assert p.status == S.PUBLISHED and Publication.objects.count() == 1


def test_withdrawal_keeps_title_and_reason(region, published):
    p = published()
    done = actions.do_withdraw_publication(p, actor=region.user("community_staff"), reason="活动取消")
    assert done.status == S.WITHDRAWN and done.end_reason == "活动取消" and done.title == p.title


def test_a_draft_cannot_be_withdrawn_or_corrected(region, draft):
    p = draft()
    staff = region.user("community_staff")
    with pytest.raises(DomainError) as exc:
        actions.do_withdraw_publication(p, actor=staff, reason="不要了")
    assert exc.value.code == "transition_not_allowed"
    with pytest.raises(DomainError):
        actions.do_correct_publication(p, actor=staff, reason="不要了", **pub_values())


@pytest.mark.parametrize("transition", list(T))
@pytest.mark.parametrize("status", list(S))
def test_the_states_table_is_what_the_action_enforces(region, draft, transition, status):
    p = draft()
    Publication.objects.filter(pk=p.pk).update(status=status)
    p.refresh_from_db()
    sources, target = TRANSITIONS[transition]
    kwargs = {"reason": "理由充分", "correction": pub_values()} if transition != T.PUBLISH else {}
    if status in sources:
        result = actions.do_transition_publication(
            p, transition, actor=region.user("community_staff"), **kwargs
        )
        p.refresh_from_db()
        assert p.status == target
        if transition == T.CORRECT:
            assert result.replaces_id == p.pk
    else:
        with pytest.raises(DomainError) as exc:
            actions.do_transition_publication(p, transition, actor=region.user("community_staff"), **kwargs)
        assert exc.value.code == "transition_not_allowed"
        p.refresh_from_db()
        assert p.status == status


def test_residents_hear_of_a_residents_only_item_through_a_task_enqueued_on_commit(
    region, draft, django_capture_on_commit_callbacks, monkeypatch
):
    from types import SimpleNamespace

    from zhili.disclosure.tasks import notify_residents_task

    enqueued: list[int] = []
    queue = SimpleNamespace(enqueue=enqueued.append)  # the task is frozen: stand in for it
    monkeypatch.setattr("zhili.disclosure.tasks.notify_residents_task", queue)
    p = draft(audience="residents")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.do_publish_publication(p, actor=region.user("community_staff"))
    assert not enqueued and not Notification.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    assert enqueued == [p.pk] and not Notification.objects.exists()  # the worker sends, not the request
    monkeypatch.undo()
    assert notify_residents_task.call(p.pk) == 1
    rows = list(Notification.objects.filter(topic=f"disclosure.publication:{p.pk}"))
    assert [n.recipient_id for n in rows] == [region.user("resident").pk]
    assert p.title in rows[0].body
    assert notify_residents_task.call(p.pk) == 0  # safe to run twice
    assert Notification.objects.count() == 1


def test_the_task_runs_on_commit_with_the_immediate_backend(
    region, draft, django_capture_on_commit_callbacks
):
    p = draft(audience="residents")
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_publish_publication(p, actor=region.user("community_staff"))
    assert Notification.objects.filter(topic=f"disclosure.publication:{p.pk}").count() == 1


def test_a_failed_enqueue_leaves_the_publish_standing(
    region, draft, django_capture_on_commit_callbacks, monkeypatch
):
    from types import SimpleNamespace

    def fail(publication_id: int) -> None:
        raise RuntimeError("queue down")

    monkeypatch.setattr("zhili.disclosure.tasks.notify_residents_task", SimpleNamespace(enqueue=fail))
    p = draft(audience="residents")
    with django_capture_on_commit_callbacks(execute=True):
        published = actions.do_publish_publication(p, actor=region.user("community_staff"))
    published.refresh_from_db()
    assert published.status == "published" and not Notification.objects.exists()


def test_items_for_everyone_send_no_messages(region, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_publish_publication(draft(), actor=region.user("community_staff"))
    assert not Notification.objects.exists()


def test_residents_of_another_community_are_not_told(
    region, staff_c2, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_publish_publication(
            draft(node=region.c2, by="staff_c2", audience="residents"), actor=staff_c2
        )
    assert not Notification.objects.filter(recipient=region.user("resident")).exists()


def test_a_resident_asks_and_staff_answer_once(region, published):
    p = published()
    q = actions.do_ask_question(p, actor=region.user("resident"), text="保洁服务费是按月支付的吗？")
    with pytest.raises(Forbidden):
        actions.do_answer_question(q, actor=region.user("leader"), answer="是的")
    a = actions.do_answer_question(q, actor=region.user("community_staff"), answer="按月支付，每月4000元。")
    assert a.answered_at and a.answered_by == region.user("community_staff")
    with pytest.raises(DomainError) as exc:
        actions.do_answer_question(q, actor=region.user("community_staff"), answer="再答一次")
    assert exc.value.code == "already_answered"
    assert AuditEvent.objects.filter(action=AuditAction.DISCLOSURE_QUESTION).count() == 2


@pytest.mark.parametrize("persona", ["outsider", "community_staff", "leader"])
def test_only_residents_living_under_the_node_may_ask(region, published, persona):
    p = published()
    with pytest.raises(DomainError) as exc:
        actions.do_ask_question(p, actor=region.user(persona), text="请问这是什么？")
    assert exc.value.status == 403
    assert not Question.objects.exists()


def test_questions_only_on_published_items(region, published):
    p = published()
    actions.do_withdraw_publication(p, actor=region.user("community_staff"), reason="发错了")
    p.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        actions.do_ask_question(p, actor=region.user("resident"), text="为什么撤回？")
    assert exc.value.code == "not_published" and not Question.objects.exists()


def test_the_read_counter_counts_only_items_that_are_out(draft, published):
    d, p = draft(), published(title="已发布")
    actions.do_count_read(d)
    actions.do_count_read(p)
    actions.do_count_read(p)
    d.refresh_from_db()
    p.refresh_from_db()
    assert d.read_count == 0 and p.read_count == 2
