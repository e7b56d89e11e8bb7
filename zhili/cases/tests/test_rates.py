"""三率 over a set of cases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zhili.cases import actions as a
from zhili.cases.models import Case
from zhili.cases.selectors import three_rates
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.walk import Walker

pytestmark = pytest.mark.django_db


def test_the_three_rates_count_what_they_say(region, cats):
    w = Walker(region, cats)
    happy = w.to(S.RATED)  # signed and resolved in time, satisfied
    late = w.to(S.RATED)
    # Signed and resolved after their deadlines (moved back to before the case was filed).
    Case.objects.filter(pk=late.pk).update(
        accept_due_at=late.created_at - timedelta(hours=1), finish_due_at=late.created_at - timedelta(hours=1)
    )
    reopened = w.to(S.VERIFIED)
    a.do_rate_by_phone(reopened, actor=region.user("dispatcher"), rating="unsatisfied")  # back to 已派单
    w.to(S.REJECTED)  # not taken on: out of the resolution rate
    w.to(S.PENDING)  # taken on, not finished
    rates = three_rates(Case.objects.all())
    assert rates["cases"] == 5
    assert rates["response_rate"] == 0.5  # happy in time, late not; the reopened one must sign again
    assert rates["on_time_rate"] == 0.5
    assert rates["resolution_rate"] == 0.5  # happy and late of happy, late, reopened, pending
    assert rates["satisfaction_rate"] == round(2 / 3, 4)  # two satisfied, one unsatisfied
    assert three_rates(Case.objects.none())["satisfaction_rate"] is None
    assert three_rates(Case.objects.filter(pk=happy.pk)) == {
        "cases": 1,
        "response_rate": 1.0,
        "on_time_rate": 1.0,
        "resolution_rate": 1.0,
        "satisfaction_rate": 1.0,
    }
