"""The demo holds one consultation with a tracked outcome and one open consultation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhili.demo.actions import do_load_demo_region
from zhili.notify.models import Notification
from zhili.participation.consultations import selectors
from zhili.participation.consultations.demo import ELEVATOR, FUND, load_demo
from zhili.participation.consultations.models import Comment, OutcomeChange, Support, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    do_load_demo_region(5, scale=0.05)
    load_demo(5)


def test_demo_has_a_tracked_outcome_and_an_open_consultation(demo):
    elevator = Topic.objects.get(title=ELEVATOR)
    fund = Topic.objects.get(title=FUND)
    assert elevator.state == "in_progress" and fund.state == "consulting"
    assert elevator.documents.count() == 2
    meeting = elevator.meetings.get()
    assert meeting.attendees.count() == 14 and meeting.expected_count == 15
    views = selectors.outcome(elevator)
    assert len(views) == 2 and 0 < views[0].percent < 100 and views[1].percent == 100
    assert OutcomeChange.objects.filter(topic=elevator).exclude(field="created").count() >= 10
    assert Comment.objects.filter(topic=elevator).exclude(hidden_reason="").count() == 1
    ranked = selectors.proposals(elevator)
    assert ranked[0].support_count >= ranked[-1].support_count and ranked[0].support_count > 0
    assert Support.objects.filter(proposal__topic=fund).exists()


def test_demo_resident_follows_the_outcome_and_was_told(demo, client):
    from zhili.accounts.models import User

    jumin = User.objects.get(username="jumin")
    elevator = Topic.objects.get(title=ELEVATOR)
    assert (
        Notification.objects.filter(recipient=jumin, topic=f"consultations.topic:{elevator.pk}").count() >= 5
    )
    client.force_login(jumin)
    html = client.get(reverse("consultations:topics")).content.decode()
    assert ELEVATOR in html and FUND in html
    board = client.get(reverse("consultations:board")).content.decode()
    assert "3号楼、5号楼先行试点" in board


def test_the_demo_residents_messages_are_dated_along_the_topics_history(demo):
    from datetime import timedelta

    from django.utils import timezone

    from zhili.accounts.models import User

    elevator = Topic.objects.get(title=ELEVATOR)
    messages = list(
        Notification.objects.filter(
            recipient=User.objects.get(username="jumin"), topic=f"consultations.topic:{elevator.pk}"
        ).order_by("created_at", "pk")
    )
    now = timezone.now()
    # Closing, the decisions, each progress report: spread over three months, not all at load time.
    days = sorted({m.created_at.date() for m in messages})
    assert len(days) >= 6 and (now - messages[0].created_at).days >= 80
    # The old ones were read; the last weeks' are still waiting.
    for message in messages:
        old = message.created_at < now - timedelta(days=14)
        assert (message.read_at is not None) == old, (message.subject, message.created_at)
    assert any(m.read_at is None for m in messages) and any(m.read_at for m in messages)


def test_loading_twice_adds_nothing(demo):
    before = (Topic.objects.count(), Support.objects.count(), OutcomeChange.objects.count())
    load_demo(5)
    assert (Topic.objects.count(), Support.objects.count(), OutcomeChange.objects.count()) == before


def test_after_the_election_demo_the_resident_keeps_their_linked_record():
    from zhili.participation.demo import load_demo_election
    from zhili.participation.elections.models import ResidentAccount

    do_load_demo_region(5, scale=0.05)
    load_demo_election(5)
    link = ResidentAccount.objects.get(user__username="jumin")
    load_demo(5)
    assert ResidentAccount.objects.get(user__username="jumin").person_id == link.person_id
    # the record the election demo linked is the one that supported the elevator's first proposal
    assert Support.objects.filter(person=link.person, proposal__title="电梯加装在楼栋北侧").exists()
