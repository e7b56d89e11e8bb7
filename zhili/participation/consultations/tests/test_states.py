"""The transition table is the only path between states, and the actions follow it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zhili.core.errors import DomainError
from zhili.participation.consultations import actions
from zhili.participation.consultations.models import Milestone
from zhili.participation.consultations.states import TRANSITIONS, TopicState, Transition, available

pytestmark = pytest.mark.django_db


def test_every_state_but_the_ends_can_be_left_and_every_state_reached():
    targets = {target for _sources, target in TRANSITIONS.values()}
    sources = set().union(*(sources for sources, _target in TRANSITIONS.values()))
    assert targets | {TopicState.DRAFT} == set(TopicState.values)
    assert set(TopicState.values) - sources == {TopicState.COMPLETED, TopicState.WITHDRAWN}


def test_the_whole_path_from_draft_to_completed(decided, staff):
    topic = decided.topic
    assert topic.state == TopicState.DECIDED
    actions.do_transition_topic(topic, Transition.START, actor=staff)
    for milestone in Milestone.objects.filter(decision__topic=topic):
        actions.do_update_milestone(milestone, percent=100, actor=staff)
    actions.do_transition_topic(topic, Transition.COMPLETE, actor=staff)
    topic.refresh_from_db()
    assert topic.state == TopicState.COMPLETED


@pytest.mark.parametrize("state", TopicState.values)
def test_each_transition_is_refused_outside_its_sources(consulting, staff, state):
    topic = consulting.topic
    type(topic).objects.filter(pk=topic.pk).update(state=state)
    for name, (sources, _target) in TRANSITIONS.items():
        if state in sources:
            assert name in available(state)
            continue
        with pytest.raises(DomainError) as refused:
            actions.do_transition_topic(topic, name, actor=staff, reason="x")
        assert refused.value.code == "wrong_state"


def test_guards_decide_needs_a_decision_start_a_milestone_complete_all_done(consulting, staff, today):
    topic = consulting.topic
    actions.do_transition_topic(topic, "close", actor=staff)
    with pytest.raises(DomainError, match="decision_required"):
        actions.do_transition_topic(topic, "decide", actor=staff)
    decision = actions.do_record_decision(
        topic, text="t", responsible_unit="u", responsible_person="p", due_on=today, actor=staff
    )
    actions.do_transition_topic(topic, "decide", actor=staff)
    with pytest.raises(DomainError, match="milestones_required"):
        actions.do_transition_topic(topic, "start", actor=staff)
    m = actions.do_add_milestone(decision, title="m", due_on=today + timedelta(days=3), actor=staff)
    actions.do_transition_topic(topic, "start", actor=staff)
    with pytest.raises(DomainError, match="milestones_open"):
        actions.do_transition_topic(topic, "complete", actor=staff)
    actions.do_update_milestone(m, status="done", actor=staff)
    actions.do_transition_topic(topic, "complete", actor=staff)


def test_opening_needs_a_period_that_is_not_over(region, staff, today):
    topic = actions.do_create_topic(node=region.c1, title="公共收益使用", body="b", actor=staff)
    with pytest.raises(DomainError, match="period_required"):
        actions.do_transition_topic(topic, "open", actor=staff)
    actions.do_update_topic(
        topic, actor=staff, opens_on=today - timedelta(days=9), closes_on=today - timedelta(days=1)
    )
    with pytest.raises(DomainError, match="period_over"):
        actions.do_transition_topic(topic, "open", actor=staff)


def test_withdrawing_needs_a_reason_and_keeps_it(consulting, staff):
    with pytest.raises(DomainError, match="reason_required"):
        actions.do_transition_topic(consulting.topic, "withdraw", actor=staff, reason="  ")
    topic = actions.do_transition_topic(consulting.topic, "withdraw", actor=staff, reason="资金未落实")
    assert (topic.state, topic.withdrawn_reason) == (TopicState.WITHDRAWN, "资金未落实")


def test_an_unknown_transition_is_refused(consulting, staff):
    with pytest.raises(DomainError, match="unknown_transition"):
        actions.do_transition_topic(consulting.topic, "publish", actor=staff)
