"""Voters hear of the candidates, the opening of voting and the results (候选人信息推送)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from zhili.core.errors import DomainError
from zhili.notify.models import Notification, NotifyChannel
from zhili.participation.elections import actions
from zhili.participation.elections.models import RollEntry
from zhili.participation.elections.notifications import topic_of

from .conftest import choices, link, make_person, resident_user

pytestmark = pytest.mark.django_db


def messages_of(election):
    return Notification.objects.filter(topic=topic_of(election)).order_by("pk")


@pytest.fixture
def election_with_outsiders(build, region, staff):
    """Four linked voters; a linked resident who is on the roll but too young; a linked voter
    of another election's roll only; the official who runs the election."""
    setup = build(voters=4, status="draft")
    minor = make_person(region.grid_a, born=date(2015, 1, 1), name="小明")
    minor_user = resident_user("minor", region.grid_a)
    link(minor_user, minor)
    for person in setup.persons:
        person.set_id_number(f"11010119800101{person.pk:04d}")
        person.save()
    actions.do_publish_roll(setup.election, actor=staff, today=date(2027, 5, 2))
    assert not RollEntry.objects.get(election=setup.election, person=minor).eligible
    actions.do_freeze_roll(setup.election, actor=staff, today=date(2027, 5, 8))
    setup.candidates["主任"] = [
        actions.do_add_candidate(setup.posts["主任"], person=person, actor=staff, statement="x")
        for person in setup.persons[:2]
    ]
    return setup, minor_user


def test_publishing_candidates_tells_every_linked_eligible_voter_only(election_with_outsiders, staff):
    setup, minor_user = election_with_outsiders
    election = setup.election
    assert not messages_of(election).exists()
    actions.do_publish_candidates(election, actor=staff)
    rows = list(messages_of(election))
    assert sorted(row.recipient_id for row in rows) == sorted(user.pk for user in setup.voters)
    assert minor_user.pk not in {row.recipient_id for row in rows}
    assert staff.pk not in {row.recipient_id for row in rows}
    for row in rows:
        assert row.channel == NotifyChannel.IN_APP
        assert row.url == reverse("participation:election", args=[election.pk])
        assert election.title in row.subject and election.title in row.body
        assert "主任" in row.body
        for candidate in setup.candidates["主任"]:
            assert candidate.person.name in row.body
        # No personal number of anyone: not the candidates' ID numbers, not any long digit run.
        for person in setup.persons:
            assert person.id_number not in row.body
        assert not any(len(run) >= 6 for run in "".join(c if c.isdigit() else " " for c in row.body).split())


def test_opening_voting_and_publishing_results_tell_the_voters(election_with_outsiders, staff):
    setup, minor_user = election_with_outsiders
    election = setup.election
    actions.do_publish_candidates(election, actor=staff)
    actions.do_open_voting(election, actor=staff)
    opened = messages_of(election).filter(subject__contains="投票")
    assert sorted(opened.values_list("recipient_id", flat=True)) == sorted(u.pk for u in setup.voters)
    for voter in setup.voters[:3]:
        actions.do_cast_ballot(election, actor=voter, choices=choices(setup, 主任=[0]))
    actions.do_close_voting(election, actor=staff)
    actions.do_publish_results(election, actor=staff)
    results = messages_of(election).filter(subject__contains="结果")
    assert sorted(results.values_list("recipient_id", flat=True)) == sorted(u.pk for u in setup.voters)
    winner = setup.candidates["主任"][0].person.name
    assert all(winner in row.body and "当选" in row.body for row in results)
    assert not messages_of(election).filter(recipient_id__in=[minor_user.pk, staff.pk]).exists()
    # Three steps, one message each per voter.
    assert messages_of(election).count() == 3 * len(setup.voters)


def test_a_void_election_says_so(build, staff):
    setup = build(voters=4)
    actions.do_cast_ballot(setup.election, actor=setup.voters[0], choices=choices(setup, 主任=[0]))
    actions.do_close_voting(setup.election, actor=staff)
    actions.do_publish_results(setup.election, actor=staff)
    [row] = messages_of(setup.election).filter(subject__contains="结果", recipient=setup.voters[0])
    assert "无效" in row.body


def test_the_voter_who_takes_the_step_is_not_told_and_a_refused_step_tells_no_one(build, staff):
    setup = build(voters=3, status="roll_frozen")
    official = setup.voters[0]
    actions.do_publish_candidates(setup.election, actor=official)
    assert official.pk not in set(messages_of(setup.election).values_list("recipient_id", flat=True))
    before = messages_of(setup.election).count()
    with pytest.raises(DomainError):
        actions.do_publish_candidates(setup.election, actor=staff)
    assert messages_of(setup.election).count() == before


def test_a_runoff_tells_its_voters_of_its_candidates(build, staff):
    setup = build(voters=6, seats={"委员": 2}, candidates={"委员": 3})
    # Nobody reaches half the votes: both seats stay open, a run-off follows.
    for index, voter in enumerate(setup.voters[:4]):
        actions.do_cast_ballot(setup.election, actor=voter, choices=choices(setup, 委员=[index % 3]))
    actions.do_close_voting(setup.election, actor=staff)
    actions.do_publish_results(setup.election, actor=staff)
    runoff = actions.do_start_runoff(setup.election, actor=staff)
    rows = messages_of(runoff)
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(u.pk for u in setup.voters)
    assert all(runoff.title in row.body for row in rows)
