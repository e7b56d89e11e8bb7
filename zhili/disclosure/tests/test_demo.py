"""The demo shows finances with a correction chain, a question answered, and a late community."""

from __future__ import annotations

import pytest

from zhili.accounts.models import Membership
from zhili.accounts.roles import Role
from zhili.demo.actions import do_load_demo_region
from zhili.disclosure.demo import load_demo
from zhili.disclosure.models import Audience, Kind, Publication, Question
from zhili.disclosure.selectors import overdue_finances
from zhili.disclosure.states import PublicationStatus

pytestmark = pytest.mark.django_db
S = PublicationStatus


def test_the_demo_publishes_a_believable_board_and_leaves_a_community_late():
    do_load_demo_region(5, scale=0.15)
    made = load_demo(5)
    assert made >= 8
    corrected = Publication.objects.get(status=S.CORRECTED)
    new = corrected.replacement
    assert new.status == S.PUBLISHED and new.kind == Kind.FINANCE and corrected.end_reason
    assert new.total_fen != corrected.total_fen and new.total_fen > 0
    assert Publication.objects.filter(kind=Kind.PARTY, status=S.PUBLISHED).exists()
    assert Publication.objects.filter(audience=Audience.RESIDENTS, status=S.PUBLISHED).exists()
    assert Publication.objects.filter(status=S.WITHDRAWN).exclude(end_reason="").exists()
    question = Question.objects.get()
    assert question.publication == new and question.answered_at and question.answered_by_id
    leader = Membership.objects.filter(role=Role.LEADER, active=True).first().user
    _quarter, late = overdue_finances(leader)
    assert late and new.node not in late
    assert load_demo(5) == 0
    assert Publication.objects.count() == made
