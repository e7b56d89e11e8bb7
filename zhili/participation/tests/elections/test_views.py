"""Election pages by persona: scope (outsider 404, read-only 403), the official's steps, voting, the board."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhili.audit.models import AuditAction, AuditEvent
from zhili.participation.elections import actions, board
from zhili.participation.elections.models import (
    Ballot,
    Booth,
    Election,
    Objection,
    ResidentAccount,
    RollEntry,
    Turnout,
)
from zhili.participation.elections.states import ElectionStatus

from .conftest import choices, make_person

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"participation:{name}", args=args)


def published_setup(build, staff):
    setup = build(voters=4)
    trackers = [
        actions.do_cast_ballot(setup.election, actor=voter, choices=choices(setup, 主任=[0])).tracker
        for voter in setup.voters[:3]
    ]
    actions.do_close_voting(setup.election, actor=staff)
    actions.do_publish_results(setup.election, actor=staff)
    return setup, trackers


# --- scope ---------------------------------------------------------------------------------------


STAFF_PAGES = ["election", "election_settings", "candidates", "roll", "objections", "booths"]


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_staff_pages_send_anonymous_visitors_to_login(client, build, page):
    setup = build(status="draft")
    response = client.get(url(page, setup.election.pk))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("page", [*STAFF_PAGES, "vote"])
def test_outsider_gets_404_everywhere(client, login, build, page):
    setup = build(status="draft")
    login("outsider")
    assert client.get(url(page, setup.election.pk)).status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "grid_worker_b", "nobody", "resident"])
def test_missing_and_invisible_elections_look_the_same(client, login, build, persona):
    setup = build(status="draft")
    login(persona)
    assert client.get(url("election", setup.election.pk)).status_code == 404
    assert client.get(url("election", 999999)).status_code == 404


@pytest.mark.parametrize(
    "name,data",
    [
        ("post_add", {"name": "委员", "seats": 2}),
        ("booth_add", {"name": "第二投票站"}),
        ("roll_link", {"entry": 1, "username": "x"}),
    ],
)
def test_read_only_leader_gets_403_on_writes_and_outsider_404(client, login, build, name, data):
    setup = build(status="draft")
    login("leader")
    assert client.get(url("election", setup.election.pk)).status_code == 200
    assert client.post(url(name, setup.election.pk), data).status_code == 403
    client.logout()
    login("outsider")
    assert client.post(url(name, setup.election.pk), data).status_code == 404


@pytest.mark.parametrize(
    "step", ["publish_roll", "freeze_roll", "open_voting", "close_voting", "publish_results"]
)
def test_steps_are_refused_to_leader_and_outsider(client, login, build, step):
    setup = build(status="draft")
    login("leader")
    assert client.post(url("election_step", setup.election.pk, step)).status_code == 403
    client.logout()
    login("outsider")
    assert client.post(url("election_step", setup.election.pk, step)).status_code == 404
    setup.election.refresh_from_db()
    assert setup.election.status == ElectionStatus.DRAFT


def test_leader_sees_the_election_but_no_manage_buttons(client, login, build):
    setup = build(status="draft")
    login("leader")
    html = client.get(url("election", setup.election.pk)).content.decode()
    assert setup.election.title in html
    assert url("election_step", setup.election.pk, "publish_roll") not in html


def test_leader_cannot_create_elections(client, login, region):
    login("leader")
    assert client.get(url("election_new")).status_code == 403
    client.logout()
    login("outsider")
    assert client.get(url("election_new")).status_code == 404
    client.logout()
    login("resident")
    assert client.get(url("election_new")).status_code == 404


# --- the official's path ------------------------------------------------------------------------


def test_official_creates_an_election_adds_posts_and_publishes_the_roll(client, login, region):
    login("community_staff")
    make_person(region.grid_a)
    make_person(region.grid_b)
    day = timezone.localdate() + timedelta(days=60)
    response = client.post(
        url("election_new"),
        {
            "node": region.c1.pk,
            "kind": "residents",
            "title": "第十二届居委会选举",
            "election_day": day.isoformat(),
            "min_age": 18,
            "residence_rule": "registered_only",
            "min_residence_years": 1,
            "tie_rule": "runoff",
            "objection_days": 5,
            "roll_lead_days": 20,
            "runoff_extra_candidates": 1,
        },
    )
    election = Election.objects.get()
    assert response.status_code == 302 and response["Location"] == url("election", election.pk)
    client.post(url("post_add", election.pk), {"name": "主任", "seats": 1})
    client.post(url("post_add", election.pk), {"name": "委员", "seats": 2})
    assert list(election.posts.values_list("name", flat=True)) == ["主任", "委员"]
    response = client.post(url("election_step", election.pk, "publish_roll"), follow=True)
    assert "选民名单已公布" in response.content.decode()
    election.refresh_from_db()
    assert election.status == ElectionStatus.ROLL_PUBLISHED
    assert RollEntry.objects.filter(election=election, eligible=True).count() == 2
    # Objections are open: freezing today is refused with the deadline in the message.
    response = client.post(url("election_step", election.pk, "freeze_roll"), follow=True)
    assert "异议受理截至" in response.content.decode()
    election.refresh_from_db()
    assert election.status == ElectionStatus.ROLL_PUBLISHED


def test_new_election_form_offers_only_communities_in_scope(client, login, region):
    login("community_staff")
    html = client.get(url("election_new")).content.decode()
    assert "Community 1" in html and "Community 2" not in html and "Community D1" not in html
    response = client.post(url("election_new"), {"node": region.c2.pk, "kind": "residents", "title": "x"})
    assert response.status_code == 200 and not Election.objects.exists()


def test_settings_change_in_draft(client, login, build):
    setup = build(status="draft")
    login("community_staff")
    form = client.get(url("election_settings", setup.election.pk))
    assert form.status_code == 200
    data = {
        "kind": "residents",
        "title": "改名后的选举",
        "election_day": setup.election.election_day.isoformat(),
        "min_age": 18,
        "residence_rule": "registered_or_resident",
        "min_residence_years": 1,
        "allow_ballot_replacement": "on",
        "tie_rule": "lot",
        "objection_days": 5,
        "roll_lead_days": 20,
        "runoff_extra_candidates": 1,
    }
    assert client.post(url("election_settings", setup.election.pk), data).status_code == 302
    setup.election.refresh_from_db()
    assert setup.election.title == "改名后的选举" and setup.election.allow_ballot_replacement
    assert setup.election.tie_rule == "lot"
    event = AuditEvent.objects.filter(action=AuditAction.ELECTION_CHANGED).latest("id")
    assert event.details["after"]["tie_rule"] == "lot"


def test_nominating_a_candidate_from_the_roll(client, login, build):
    setup = build(voters=3, status="roll_frozen", candidates={"主任": 0})
    login("community_staff")
    name = setup.persons[1].name
    html = client.get(url("candidates", setup.election.pk), {"q": name}).content.decode()
    entry = RollEntry.objects.get(election=setup.election, person=setup.persons[1])
    assert f'value="{entry.pk}"' in html
    response = client.post(
        url("candidates", setup.election.pk),
        {"post": setup.posts["主任"].pk, "entry": entry.pk, "statement": "为居民办实事"},
    )
    assert response.status_code == 302
    candidate = setup.posts["主任"].candidates.get()
    assert candidate.person == setup.persons[1] and candidate.statement == "为居民办实事"


def test_candidate_photo_must_be_an_image(client, login, build):
    from django.core.files.uploadedfile import SimpleUploadedFile

    setup = build(voters=3, status="roll_frozen", candidates={"主任": 0})
    login("community_staff")
    entry = RollEntry.objects.get(election=setup.election, person=setup.persons[0])
    fake = SimpleUploadedFile("x.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    response = client.post(
        url("candidates", setup.election.pk),
        {"post": setup.posts["主任"].pk, "entry": entry.pk, "photo": fake},
        follow=True,
    )
    assert "JPEG" in response.content.decode()
    assert not setup.posts["主任"].candidates.exists()
    png = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, content_type="image/png")
    client.post(
        url("candidates", setup.election.pk),
        {"post": setup.posts["主任"].pk, "entry": entry.pk, "photo": png},
    )
    candidate = setup.posts["主任"].candidates.get()
    photo = client.get(url("candidate_photo", setup.election.pk, candidate.pk))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    client.logout()
    # Before the candidates are published, the public does not see the photo.
    assert client.get(url("candidate_photo", setup.election.pk, candidate.pk)).status_code == 404


def test_linking_a_resident_account_on_the_roll(client, login, build, region):
    setup = build(voters=1, status="roll_published", extra_persons=[{"name": "王小明"}])
    login("community_staff")
    person = setup.election.roll.get(person__name="王小明").person
    entry = RollEntry.objects.get(election=setup.election, person=person)
    client.post(url("roll_link", setup.election.pk), {"entry": entry.pk, "username": "resident"})
    assert ResidentAccount.objects.get(user=region.user("resident")).person == person
    # A staff account is not a resident account.
    other = make_person(region.grid_a)
    client.post(url("roll_link", setup.election.pk), {"entry": entry.pk, "username": "grid_worker_a"})
    assert not ResidentAccount.objects.filter(person=other).exists()


def test_roll_page_filters_and_counts_queries(client, login, build):
    setup = build(voters=12, status="roll_published", extra_persons=[{"born": timezone.localdate()}])
    login("community_staff")
    with CaptureQueriesContext(connection) as few:
        client.get(url("roll", setup.election.pk))
    build(voters=30, status="roll_published")
    with CaptureQueriesContext(connection) as many:
        client.get(url("roll", setup.election.pk))
    assert len(many) == len(few)
    html = client.get(url("roll", setup.election.pk), {"eligible": "0"}).content.decode()
    assert "选举日未满规定年龄" in html


def test_objection_recorded_and_decided_through_the_pages(client, login, build):
    setup = build(voters=3, status="roll_published", published_on=timezone.localdate())
    entry = RollEntry.objects.get(election=setup.election, person=setup.persons[0])
    login("community_staff")
    client.post(url("objections", setup.election.pk), {"entry": entry.pk, "text": "已迁出"})
    objection = Objection.objects.get()
    client.post(
        url("objection_decide", setup.election.pk, objection.pk), {"uphold": "1", "decision": "核实属实"}
    )
    entry.refresh_from_db()
    assert not entry.eligible
    client.logout()
    login("leader")
    assert (
        client.post(url("objections", setup.election.pk), {"entry": entry.pk, "text": "x"}).status_code == 403
    )
    assert client.get(url("objections", setup.election.pk)).status_code == 200


def test_voter_objects_to_their_own_entry(client, build):
    setup = build(voters=2, status="roll_published", published_on=timezone.localdate())
    voter = setup.voters[0]
    client.force_login(voter)
    html = client.get(url("election", setup.election.pk)).content.decode()
    assert url("voter_objection", setup.election.pk) in html
    response = client.post(
        url("voter_objection", setup.election.pk), {"text": "我的户籍登记有误"}, follow=True
    )
    objection = Objection.objects.get()
    assert objection.entry.person == setup.persons[0] and objection.submitted_by == voter
    assert "已提交选举委员会" in response.content.decode()
    # A roll published long ago takes no more objections, and the form is gone.
    old = build(voters=1, status="roll_published")
    client.force_login(old.voters[0])
    html = client.get(url("election", old.election.pk)).content.decode()
    assert url("voter_objection", old.election.pk) not in html
    client.post(url("voter_objection", old.election.pk), {"text": "x"})
    assert Objection.objects.count() == 1


# --- voting ---------------------------------------------------------------------------------------


def test_voter_sees_candidates_votes_and_gets_a_tracker(client, build):
    setup = build(voters=3)
    voter = setup.voters[2]
    client.force_login(voter)
    html = client.get(url("election", setup.election.pk)).content.decode()
    assert setup.candidates["主任"][0].person.name in html and url("vote", setup.election.pk) in html
    form = client.get(url("vote", setup.election.pk))
    assert form.status_code == 200
    post = setup.posts["主任"]
    response = client.post(
        url("vote", setup.election.pk), {f"post_{post.pk}": setup.candidates["主任"][1].pk}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    ballot = Ballot.objects.get()
    assert ballot.tracker in response.content.decode()
    assert Turnout.objects.get().entry.person == setup.persons[2]
    again = client.post(url("vote", setup.election.pk), {f"post_{post.pk}": setup.candidates["主任"][0].pk})
    assert again.status_code == 302
    assert Ballot.objects.count() == 1


def test_replacement_through_the_pages_shows_the_code_once(client, build):
    setup = build(voters=3, allow_ballot_replacement=True)
    client.force_login(setup.voters[0])
    post = setup.posts["主任"]
    first = client.post(url("vote", setup.election.pk), {f"post_{post.pk}": setup.candidates["主任"][0].pk})
    html = first.content.decode()
    credential = html.split('id="credential">', 1)[1].split("<", 1)[0]
    assert credential
    form = client.get(url("vote", setup.election.pk)).content.decode()
    assert 'name="credential"' in form
    second = client.post(
        url("vote", setup.election.pk),
        {f"post_{post.pk}": setup.candidates["主任"][1].pk, "credential": credential},
    )
    assert 'id="credential"' not in second.content.decode()
    live = Ballot.objects.get(superseded=False)
    assert live.tracker in second.content.decode()
    assert live.contents[str(post.pk)] == [setup.candidates["主任"][1].pk]


def test_staff_who_is_not_a_voter_cannot_open_the_ballot(client, login, build):
    setup = build(voters=2)
    login("community_staff")
    assert client.get(url("vote", setup.election.pk)).status_code == 404


def test_too_many_choices_on_the_form_are_refused(client, build):
    setup = build(voters=4, seats={"委员": 2}, candidates={"委员": 3})
    client.force_login(setup.voters[3])
    post = setup.posts["委员"]
    picks = [c.pk for c in setup.candidates["委员"]]
    response = client.post(url("vote", setup.election.pk), {f"post_{post.pk}": picks})
    assert response.status_code == 200 and not Ballot.objects.exists()


def test_resident_list_shows_my_elections(client, build):
    setup = build(voters=2)
    client.force_login(setup.voters[0])
    html = client.get(url("elections")).content.decode()
    assert setup.election.title in html
    assert 'href="/participation/elections/"' in html  # the navigation entry


# --- polling stations -----------------------------------------------------------------------------


def test_paper_ballot_check_in_and_double_entry_through_the_pages(client, login, build, second_official):
    setup = build(voters=4)
    booth = Booth.objects.create(election=setup.election, name="第一投票站")
    login("community_staff")
    entry = RollEntry.objects.get(election=setup.election, person=setup.persons[0])
    html = client.get(url("booths", setup.election.pk), {"q": setup.persons[0].name}).content.decode()
    assert f'value="{entry.pk}"' in html
    client.post(url("booth_checkin", setup.election.pk, booth.pk), {"entry": entry.pk})
    assert Turnout.objects.get(entry=entry).channel == "booth"
    actions.do_close_voting(setup.election, actor=setup.election.created_by)
    post = setup.posts["主任"]
    c0, c1 = (c.pk for c in setup.candidates["主任"])
    sheet = {"ballots_cast": 1, f"valid_{post.pk}": 1, f"votes_{post.pk}_{c0}": 1, f"votes_{post.pk}_{c1}": 0}
    assert client.post(url("booth_count", setup.election.pk, booth.pk), sheet).status_code == 302
    client.logout()
    client.force_login(second_official)
    response = client.post(url("booth_count", setup.election.pk, booth.pk), sheet, follow=True)
    assert "已确认" in response.content.decode()
    response = client.post(url("election_step", setup.election.pk, "publish_results"), follow=True)
    setup.election.refresh_from_db()
    assert setup.election.status == ElectionStatus.PUBLISHED
    assert setup.election.board.tally["paper_ballots"] == 1


# --- public pages ---------------------------------------------------------------------------------


def test_public_pages_exist_only_once_published(client, build, staff):
    setup = build(voters=3)
    for name in ("results", "board", "board_json"):
        assert client.get(url(name, setup.election.pk)).status_code == 404


def test_board_lookup_finds_a_counted_tracker(client, build, staff):
    setup, trackers = published_setup(build, staff)
    found = client.get(url("board", setup.election.pk), {"tracker": trackers[1].upper()})
    html = found.content.decode()
    assert found.status_code == 200 and 'id="lookup-result" class="ok"' in html
    assert setup.candidates["主任"][0].person.name in html
    missing = client.get(url("board", setup.election.pk), {"tracker": "0" * 64}).content.decode()
    assert 'id="lookup-result" class="err"' in missing
    for tracker in trackers:
        assert tracker in html  # the list on the board


def test_board_lookup_ignores_the_spaces_of_a_written_down_tracker(client, build, staff):
    setup, trackers = published_setup(build, staff)
    grouped = " ".join(trackers[0][i : i + 4] for i in range(0, 64, 4))
    found = client.get(url("board", setup.election.pk), {"tracker": f" {grouped}\n"}).content.decode()
    assert 'id="lookup-result" class="ok"' in found


def test_board_json_download_verifies(client, build, staff):
    setup, _trackers = published_setup(build, staff)
    response = client.get(url("board_json", setup.election.pk))
    assert response["Content-Type"].startswith("application/json")
    document = json.loads(response.content)
    key = client.get(url("public_key")).content.decode().split("\n")
    pem = "\n".join(line for line in key if line)
    assert board.verify_document(document, pem.rsplit("\n", 1)[0]).ok
    assert board.verify_document(document, key[-2]).ok


def test_results_page_names_the_winner(client, build, staff):
    setup, _trackers = published_setup(build, staff)
    html = client.get(url("results", setup.election.pk)).content.decode()
    assert setup.candidates["主任"][0].person.name in html and "当选" in html
    # Blank ballots for a post are valid: the page says why the votes add up to less.
    assert 'id="abstention-note"' in html


def test_board_page_query_count_does_not_grow_with_ballots(client, build, staff):
    setup, _trackers = published_setup(build, staff)
    with CaptureQueriesContext(connection) as queries:
        client.get(url("board", setup.election.pk))
    assert len(queries) <= 10


def test_unfilled_seat_offers_a_runoff_that_residents_then_see(client, login, build, staff):
    setup = build(voters=6, candidates={"主任": 3})
    picks = [[0], [0], [1], [1], [2]]  # nobody above half of 5 valid ballots
    for voter, pick in zip(setup.voters, picks, strict=False):
        actions.do_cast_ballot(setup.election, actor=voter, choices=choices(setup, 主任=pick))
    actions.do_close_voting(setup.election, actor=staff)
    actions.do_publish_results(setup.election, actor=staff)
    login("community_staff")
    html = client.get(url("election", setup.election.pk)).content.decode()
    step = url("election_step", setup.election.pk, "start_runoff")
    assert step in html
    response = client.post(step)
    runoff = Election.objects.get(runoff_of=setup.election)
    assert response["Location"] == url("election", runoff.pk)
    # The two best placed (2 votes each) stand; the third (1 vote) does not.
    assert runoff.status == ElectionStatus.ROLL_FROZEN and runoff.posts.get().candidates.count() == 2
    assert step not in client.get(url("election", setup.election.pk)).content.decode()
    client.force_login(setup.voters[0])
    assert client.get(url("election", runoff.pk)).status_code == 200
