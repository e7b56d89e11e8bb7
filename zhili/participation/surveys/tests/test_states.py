"""The transition table is the only way a survey changes status."""

from __future__ import annotations

import pytest

from zhili.core.errors import DomainError
from zhili.participation.surveys import actions
from zhili.participation.surveys.states import TRANSITIONS, SurveyStatus, Transition

pytestmark = pytest.mark.django_db

STEP = {Transition.PUBLISH: actions.do_publish_survey, Transition.CLOSE: actions.do_close_survey}


def test_every_transition_has_one_action_and_the_table_covers_every_status():
    assert set(STEP) == set(TRANSITIONS)
    reached = {target for _source, target in TRANSITIONS.values()} | {SurveyStatus.DRAFT}
    assert reached == set(SurveyStatus.values)


@pytest.mark.parametrize("status", ["draft", "open", "closed"])
@pytest.mark.parametrize("transition", list(Transition))
def test_actions_follow_the_table(build, staff, status, transition):
    survey = build(status=status)
    source, target = TRANSITIONS[transition]
    if status == source:
        STEP[transition](survey, actor=staff)
        survey.refresh_from_db()
        assert survey.status == target
    else:
        with pytest.raises(DomainError) as refused:
            STEP[transition](survey, actor=staff)
        assert refused.value.code == "wrong_status"
        survey.refresh_from_db()
        assert survey.status == status
