"""The transition table against the actions: every edge is walked by its action, in order."""

from __future__ import annotations

import pytest

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import DomainError
from zhili.participation.elections import actions
from zhili.participation.elections.states import TRANSITIONS, ElectionStatus, Transition

from .conftest import AFTER_OBJECTIONS, PUBLISH_DAY

pytestmark = pytest.mark.django_db


def test_the_table_is_one_path_from_draft_to_published():
    path = [ElectionStatus.DRAFT]
    for transition in Transition:
        source, target = TRANSITIONS[transition]
        assert source == path[-1]
        path.append(target)
    assert path == list(ElectionStatus)


def test_each_action_takes_exactly_its_edge_and_logs_it(build, staff):
    setup = build(voters=3, status="draft")
    election = setup.election
    steps = [
        (Transition.PUBLISH_ROLL, lambda: actions.do_publish_roll(election, actor=staff, today=PUBLISH_DAY)),
        (
            Transition.FREEZE_ROLL,
            lambda: actions.do_freeze_roll(election, actor=staff, today=AFTER_OBJECTIONS),
        ),
        (Transition.OPEN_VOTING, lambda: actions.do_open_voting(election, actor=staff)),
        (Transition.CLOSE_VOTING, lambda: actions.do_close_voting(election, actor=staff)),
        (Transition.PUBLISH_RESULTS, lambda: actions.do_publish_results(election, actor=staff)),
    ]
    for transition, step in steps:
        if transition == Transition.OPEN_VOTING:
            for person in setup.persons[:2]:
                actions.do_add_candidate(setup.posts["主任"], person=person, actor=staff)
            actions.do_publish_candidates(election, actor=staff)
        step()
        election.refresh_from_db()
        assert election.status == TRANSITIONS[transition][1]
        event = AuditEvent.objects.filter(action=AuditAction.ELECTION_TRANSITION).order_by("-id").first()
        assert event.details["transition"] == transition
    # Once published, no action moves it again.
    for _transition, step in steps:
        with pytest.raises(DomainError, match=r"wrong_status|not_counting"):
            step()
