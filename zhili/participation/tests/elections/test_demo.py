"""The demo's finished election, on a small demo region."""

from __future__ import annotations

import json

import pytest

from zhili.audit.models import AuditAction, AuditEvent
from zhili.demo.actions import do_load_demo_region
from zhili.participation.demo import load_demo_election
from zhili.participation.elections import board, selectors
from zhili.participation.elections.models import Election, Objection, ResidentAccount, Turnout
from zhili.participation.elections.states import ElectionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_election():
    do_load_demo_region(5, scale=0.05)
    return load_demo_election(5)


def test_demo_election_is_finished_valid_and_its_board_verifies(demo_election):
    election = demo_election
    assert election.status == ElectionStatus.PUBLISHED
    assert election.node.name == "朝阳社区" and election.kind == "residents"
    tally = election.board.tally
    assert tally["valid"] and tally["voted"] * 2 > tally["registered"]
    assert all(post["unfilled"] == 0 for post in tally["posts"])
    assert tally["paper_ballots"] > 0 and tally["online_ballots"] > 0
    assert board.verify_document(json.loads(election.board.document)).ok
    [state] = selectors.booth_states(election)
    assert state.confirmed and len({e.entered_by_id for e in state.entries}) == 2


def test_demo_resident_voted_and_sees_the_election(demo_election, client):
    link = ResidentAccount.objects.get(user__username="jumin")
    turnout = Turnout.objects.get(election=demo_election, entry__person=link.person)
    assert turnout.channel == "online"
    client.force_login(link.user)
    html = client.get(f"/participation/elections/{demo_election.pk}/").content.decode()
    assert demo_election.title in html and "当选" in html


def test_demo_election_has_decided_objections_and_an_audit_trail(demo_election):
    assert sorted(Objection.objects.values_list("status", flat=True)) == ["rejected", "upheld"]
    transitions = AuditEvent.objects.filter(
        action=AuditAction.ELECTION_TRANSITION, target_id=str(demo_election.pk)
    ).count()
    assert transitions == 5


def test_loading_twice_returns_the_same_election(demo_election):
    assert load_demo_election(5) == demo_election
    assert Election.objects.count() == 1


def test_demo_resident_was_told_of_candidates_voting_and_results(demo_election):
    from zhili.notify.models import Notification
    from zhili.participation.elections.notifications import topic_of

    link = ResidentAccount.objects.get(user__username="jumin")
    rows = list(
        Notification.objects.filter(recipient=link.user, topic=topic_of(demo_election)).order_by("pk")
    )
    assert len(rows) == 3
    assert all(demo_election.title in row.body for row in rows)
    assert "主任" in rows[0].body and "当选" in rows[2].body
    # Dated when each step happened, months ago, and read by now.
    assert [row.created_at.date().isoformat() for row in rows] == ["2026-06-13", "2026-06-20", "2026-06-20"]
    assert all(row.read_at is not None for row in rows)


def test_demo_by_election_has_its_roll_posted_for_the_demo_resident_to_see(demo_election, client):
    from zhili.participation.demo import load_demo_by_election

    by_election = load_demo_by_election(5)
    assert by_election.status == ElectionStatus.ROLL_PUBLISHED and by_election.node == demo_election.node
    assert load_demo_by_election(5) == by_election
    client.force_login(ResidentAccount.objects.get(user__username="jumin").user)
    listing = client.get("/participation/elections/").content.decode()
    assert by_election.title in listing and f"/participation/elections/{by_election.pk}/roll/" in listing
    roll = client.get(f"/participation/elections/{by_election.pk}/roll/")
    assert roll.status_code == 200
    html = roll.content.decode()
    assert 'id="posted-roll"' in html and 'id="send-objection"' in html
