"""The demo's case history: played through the real actions, at the moments it happened."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from zhili.accounts.models import Membership
from zhili.accounts.roles import Role
from zhili.audit.verify import verify_chain
from zhili.cases.catalogue import leaves
from zhili.cases.demo import DAYS, load_demo_cases
from zhili.cases.models import Case, CaseEvent, Category, DispatchRule, SLAPolicy
from zhili.cases.states import CaseStatus as S
from zhili.demo.actions import do_load_demo_region
from zhili.notify.models import Notification, NotificationStatus

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _keywords_only(monkeypatch):
    """The history does not depend on whatever model the classifier holds at the time."""
    monkeypatch.setattr("zhili.intelligence.classify.classify", lambda *args, **kwargs: None)


def test_six_months_of_cases_through_the_real_loop():
    do_load_demo_region(3, scale=0.1)
    started = timezone.now()
    count = load_demo_cases(3, count=120)
    now = timezone.now()

    assert count == Case.objects.count() > 120  # the planted hotspot stories come on top
    # The catalogue: three levels, each leaf with keywords, an SLA and a dispatch rule.
    assert Category.objects.filter(level=3).count() == len(leaves())
    assert not Category.objects.filter(level=3, keywords="").exists()
    assert SLAPolicy.objects.filter(category__level=3).count() == len(leaves())
    assert DispatchRule.objects.count() == len(leaves())

    first = Case.objects.order_by("created_at").first()
    assert first is not None and first.created_at >= now - timedelta(days=DAYS + 1)
    assert first.created_at < now - timedelta(days=60)  # spread over months, not loaded "now"
    statuses = set(Case.objects.values_list("status", flat=True))
    assert S.CLOSED in statuses
    assert statuses - {S.CLOSED, S.REJECTED, S.MERGED, S.RATED}  # recent cases are still open
    # This morning's work is waiting wherever the day would find it.
    assert {S.PENDING, S.ACCEPTED, S.SIGNED, S.RETURNED, S.EXTENSION_PENDING} <= statuses
    assert Case.objects.filter(status=S.RETURNED, return_count=2).exists()  # the supervisor arbitrates

    # Every timeline is in time order and ends in the case's status; events happened after intake.
    for case in Case.objects.all():
        events = list(case.events.order_by("pk"))
        assert events[0].kind == "submit"
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        moves = [e for e in events if e.to_status]
        assert moves[-1].to_status == case.status
        assert events[0].created_at == case.created_at
    closed = Case.objects.filter(status=S.CLOSED)
    assert all(c.closed_at and c.closed_at > c.created_at for c in closed)

    # Nothing waits to be signed in a grid where no grid worker could sign it.
    posts = Membership.objects.filter(role=Role.GRID_WORKER, active=True)
    staffed = set(posts.values_list("node_id", flat=True))
    waiting = Case.objects.filter(status=S.DISPATCHED, assigned_grid__isnull=False).select_related(
        "assigned_grid"
    )
    assert all(staffed & set(c.assigned_grid.ancestors()) for c in waiting)
    # The dispatcher's corrections of the category went through the dispatch, into the timeline.
    corrected = Case.objects.filter(category_source="dispatcher")
    assert corrected.exists()
    assert all(any("category" in e.data for e in c.events.all()) for c in corrected)

    # The tour's grid worker finds work on the phone page: to sign, in hand, and to verify.
    from zhili.accounts.models import User
    from zhili.cases.demo import FIELD_PERSONA
    from zhili.cases.selectors import field_tasks

    worker = User.objects.get(username=FIELD_PERSONA)
    tasks = {case.status for case in field_tasks(worker)}
    assert {S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED} <= tasks

    assert verify_chain().ok
    # The past was delivered in the past: the worker has nothing old to send.
    old = Notification.objects.filter(created_at__lt=started)
    assert old.exists() and not old.filter(status=NotificationStatus.PENDING).exists()

    events = CaseEvent.objects.count()
    assert load_demo_cases(3, count=120) == 0  # a second run adds nothing
    assert CaseEvent.objects.count() == events
