"""The voter roll posted for the community (选民名单公布): who sees it, what it shows, objections."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from zhili.accounts.roles import Role
from zhili.core.errors import DomainError
from zhili.core.testing import make_user
from zhili.participation.elections import actions
from zhili.participation.elections.models import Objection, RollEntry

from .conftest import make_person, resident_user

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"participation:{name}", args=args)


@pytest.fixture
def posted(build, region):
    """A roll published today with three linked voters, a child, and a person with every detail."""
    setup = build(
        voters=3,
        status="roll_published",
        published_on=timezone.localdate(),
        extra_persons=[{"born": date(2015, 3, 3), "name": "小孩甲"}],
    )
    detailed = setup.persons[0]
    detailed.set_id_number("110101198001019999")
    detailed.set_mobile("13912345678")
    detailed.save()
    return setup


def test_a_resident_of_the_community_sees_names_by_grid_and_nothing_else(client, login, posted, region):
    resident = login("resident")  # not linked to the register, lives in grid A of the community
    response = client.get(url("roll", posted.election.pk))
    assert response.status_code == 200
    html = response.content.decode()
    for person in posted.persons:
        assert person.name in html
    assert region.grid_a.name in html and region.grid_b.name in html
    # Eligible voters only: the child's name is not posted; no number, birth date or address of anyone.
    assert "小孩甲" not in html
    person = posted.persons[0]
    assert person.id_number not in html and "13912345678" not in html
    assert person.birth_date.isoformat() not in html
    assert person.household.building.address not in html
    assert resident.username


def test_the_posted_roll_is_404_outside_the_community_and_before_publication(client, build, region):
    draft = build(voters=1, status="draft")
    setup = build(voters=2, status="roll_published", published_on=timezone.localdate())
    outsider = resident_user("far-away", region.grid_c)  # a resident of community 2
    client.force_login(outsider)
    assert client.get(url("roll", setup.election.pk)).status_code == 404
    assert (
        client.post(
            url("roll_objection", setup.election.pk), {"missing_name": "张三", "text": "x"}
        ).status_code
        == 404
    )
    assert not Objection.objects.exists()
    client.force_login(setup.voters[0])
    assert client.get(url("roll", draft.election.pk)).status_code == 404
    assert client.get(url("roll", 999999)).status_code == 404
    # Grid workers and other non-residents see nothing either (staff of the community get their own page).
    nobody = make_user("nobody-at-all", role=None, node=None)
    client.force_login(nobody)
    assert client.get(url("roll", setup.election.pk)).status_code == 404


def test_the_roll_stays_posted_until_voting_closes(client, build, staff):
    setup = build(voters=3)
    voter = setup.voters[0]
    client.force_login(voter)
    html = client.get(url("election", setup.election.pk)).content.decode()
    assert url("roll", setup.election.pk) in html
    page = client.get(url("roll", setup.election.pk)).content.decode()
    assert setup.persons[1].name in page and url("roll_objection", setup.election.pk) not in page
    actions.do_close_voting(setup.election, actor=staff)
    assert client.get(url("roll", setup.election.pk)).status_code == 404


def test_the_election_list_points_residents_to_the_posted_roll(client, login, posted):
    login("resident")
    html = client.get(url("elections")).content.decode()
    assert url("roll", posted.election.pk) in html


def test_a_resident_objects_to_another_entry_and_staff_see_it(client, login, posted):
    voter = posted.voters[0]
    other = RollEntry.objects.get(election=posted.election, person=posted.persons[1])
    client.force_login(voter)
    page = client.get(url("roll", posted.election.pk), {"entry": other.pk}).content.decode()
    assert 'id="objection-about"' in page and posted.persons[1].name in page
    response = client.post(
        url("roll_objection", posted.election.pk), {"entry": other.pk, "text": "已搬走多年"}, follow=True
    )
    assert response.status_code == 200
    objection = Objection.objects.get()
    assert objection.entry == other and objection.submitted_by == voter and objection.text == "已搬走多年"
    # The same objection twice while pending is refused.
    response = client.post(url("roll_objection", posted.election.pk), {"entry": other.pk, "text": "again"})
    assert response.status_code == 400 and Objection.objects.count() == 1
    client.logout()
    login("community_staff")
    html = client.get(url("objections", posted.election.pk)).content.decode()
    assert "已搬走多年" in html and posted.persons[1].name in html
    client.post(
        url("objection_decide", posted.election.pk, objection.pk), {"uphold": "1", "decision": "核实属实"}
    )
    other.refresh_from_db()
    assert not other.eligible


def test_an_unlinked_resident_names_someone_missing_and_staff_add_them(client, login, posted, region):
    resident = login("resident")
    response = client.post(
        url("roll_objection", posted.election.pk),
        {"missing_name": " 王  五 ", "text": "在本社区居住三年，名单上没有"},
        follow=True,
    )
    assert response.status_code == 200
    objection = Objection.objects.get()
    assert objection.entry is None and objection.person is None
    assert objection.missing_name == "王 五" and objection.submitted_by == resident
    assert "王 五" in client.get(url("roll", posted.election.pk)).content.decode()  # under "my objections"
    client.logout()
    login("community_staff")
    assert "王 五" in client.get(url("objections", posted.election.pk)).content.decode()
    decide = url("objection_decide", posted.election.pk, objection.pk)
    # Upholding needs the person found in the registry; an unknown number changes nothing.
    client.post(decide, {"uphold": "1", "decision": "属实"})
    client.post(decide, {"uphold": "1", "decision": "属实", "id_number": "110101199001010000"})
    objection.refresh_from_db()
    assert objection.status == "pending"
    missing = make_person(region.grid_a, name="王五")
    missing.set_id_number("110101199001011234")
    missing.save()
    client.post(decide, {"uphold": "1", "decision": "属实", "id_number": "110101199001011234"})
    objection.refresh_from_db()
    assert objection.status == "upheld" and objection.entry.person == missing and objection.entry.eligible


def test_bad_objections_are_refused_with_a_message(client, posted, build):
    voter = posted.voters[0]
    client.force_login(voter)
    empty = client.post(url("roll_objection", posted.election.pk), {"text": "有人漏登"})
    assert empty.status_code == 400 and "漏登" in empty.content.decode()
    # An entry of another election's roll is not found here.
    other = build(voters=1, status="roll_published", published_on=timezone.localdate())
    foreign = RollEntry.objects.get(election=other.election, person=posted.persons[1])
    response = client.post(url("roll_objection", posted.election.pk), {"entry": foreign.pk, "text": "x"})
    assert response.status_code == 404
    assert not Objection.objects.exists()


def test_the_action_refuses_an_objection_with_two_subjects_or_none(posted):
    entry = RollEntry.objects.filter(election=posted.election).first()
    voter = posted.voters[0]
    with pytest.raises(DomainError) as refused:
        actions.do_submit_objection(posted.election, actor=voter, text="x", entry=entry, missing_name="张三")
    assert refused.value.code == "objection_one_subject"
    with pytest.raises(DomainError) as refused:
        actions.do_submit_objection(posted.election, actor=voter, text="x", missing_name="   ")
    assert refused.value.code == "objection_subject_required"
    with pytest.raises(DomainError) as refused:
        actions.do_submit_objection(posted.election, actor=voter, text="x", missing_name="名" * 51)
    assert refused.value.code == "missing_name_too_long"


def test_a_named_person_already_eligible_cannot_be_added_twice(posted, staff):
    objection = actions.do_submit_objection(
        posted.election, actor=posted.voters[0], text="漏登", missing_name="某人"
    )
    with pytest.raises(DomainError) as refused:
        actions.do_decide_objection(
            objection, actor=staff, uphold=True, decision="x", person=posted.persons[1]
        )
    assert refused.value.code == "already_on_roll"
    decided = actions.do_decide_objection(objection, actor=staff, uphold=False, decision="已在名单上")
    assert decided.status == "rejected"


# Finding the person named by ID card number ------------------------------------------------------

UNKNOWN_NUMBER = "110101199001010000"


def _numbered(grid, number, name="王五"):
    person = make_person(grid, name=name)
    person.set_id_number(number)
    person.save()
    return person


def _number_look_ups():
    from zhili.audit.models import AuditAction, AuditEvent

    return AuditEvent.objects.filter(action=AuditAction.PERSONS_FOUND_BY_NUMBER).order_by("id")


def _answer(client, path, data):
    response = client.post(path, data, follow=True)
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def test_a_number_registered_outside_the_community_adds_nobody_and_is_answered_like_an_unknown_one(
    client, login, posted, region
):
    from zhili.residents.selectors import search_persons

    objection = actions.do_submit_objection(
        posted.election, actor=region.user("resident"), text="名单上没有", missing_name="王五"
    )
    other_street = _numbered(region.grid_d, "110101199001012222")
    other_community = _numbered(region.grid_c, "110101199001013333")
    decide = url("objection_decide", posted.election.pk, objection.pk)
    staff = login("community_staff")
    unknown = _answer(client, decide, {"uphold": "1", "decision": "属实", "id_number": UNKNOWN_NUMBER})
    assert unknown == ["本社区没有登记此身份证号的居民。"]
    for person in (other_street, other_community):
        answer = _answer(client, decide, {"uphold": "1", "decision": "属实", "id_number": person.id_number})
        assert answer == unknown
    # Staff of the whole street see the other community's people and run this election too: the
    # roll still draws only on the election's community.
    wide = make_user("street-clerk", role=Role.COMMUNITY_STAFF, node=region.street)
    client.force_login(wide)
    assert search_persons(wide, other_community.id_number)[1] == [other_community]
    answer = _answer(
        client, decide, {"uphold": "1", "decision": "属实", "id_number": other_community.id_number}
    )
    assert answer == unknown
    objection.refresh_from_db()
    assert objection.status == "pending" and objection.person is None and objection.entry is None
    assert not RollEntry.objects.filter(person__in=[other_street, other_community]).exists()
    # The staff objection form answers the same way and records nothing.
    login("community_staff")
    page = client.post(
        url("objections", posted.election.pk), {"id_number": other_street.id_number, "text": "漏登"}
    ).content.decode()
    assert "本社区没有登记此身份证号的居民。" in page
    assert other_street.id_number not in page  # the number typed is not written back
    assert Objection.objects.count() == 1
    # Every try was an audited look-up by number that found nobody.
    look_ups = list(_number_look_ups())
    assert [e.actor_id for e in look_ups] == [staff.pk] * 3 + [wide.pk] + [staff.pk]
    assert all(e.details == {"kind": "id_number", "found": 0, "person_ids": []} for e in look_ups)
    assert not other_street.log.exists() and not other_community.log.exists()


def test_the_person_of_the_community_is_found_audited_and_added(client, login, posted, region):
    objection = actions.do_submit_objection(
        posted.election, actor=region.user("resident"), text="名单上没有", missing_name="王五"
    )
    missing = _numbered(region.grid_b, "110101199001011234")
    staff = login("community_staff")
    answer = _answer(
        client,
        url("objection_decide", posted.election.pk, objection.pk),
        {"uphold": "1", "decision": "属实", "id_number": " 110101199001011234 "},
    )
    assert answer == ["处理决定已记录。"]
    objection.refresh_from_db()
    assert objection.status == "upheld" and objection.entry.person == missing and objection.entry.eligible
    event = _number_look_ups().get()
    assert event.actor_id == staff.pk
    assert event.details == {"kind": "id_number", "found": 1, "person_ids": [missing.pk]}
    assert "110101199001011234" not in str(event.details)
    assert list(missing.log.filter(kind="found").values_list("actor_id", flat=True)) == [staff.pk]
    # The staff objection form finds a person of the community by number as well.
    listed = posted.persons[0]
    client.post(url("objections", posted.election.pk), {"id_number": listed.id_number, "text": "已搬走"})
    assert Objection.objects.get(submitted_by=staff).entry.person == listed
    assert _number_look_ups().count() == 2


def test_look_ups_by_number_on_objections_count_against_the_hourly_limit(
    client, login, posted, region, settings
):
    settings.ZHILI_NUMBER_SEARCH_LIMIT = 1
    objection = actions.do_submit_objection(
        posted.election, actor=region.user("resident"), text="名单上没有", missing_name="王五"
    )
    missing = _numbered(region.grid_a, "110101199001011234")
    login("community_staff")
    page = client.post(
        url("objections", posted.election.pk), {"id_number": UNKNOWN_NUMBER, "text": "漏登"}
    ).content.decode()
    assert "本社区没有登记此身份证号的居民。" in page
    answer = _answer(
        client,
        url("objection_decide", posted.election.pk, objection.pk),
        {"uphold": "1", "decision": "属实", "id_number": missing.id_number},
    )
    assert len(answer) == 1 and "查找次数过多" in answer[0]
    objection.refresh_from_db()
    assert objection.status == "pending"
    assert not RollEntry.objects.filter(person=missing).exists()
    assert _number_look_ups().count() == 1


def test_the_actions_refuse_a_person_from_outside_the_community(posted, staff, region):
    stranger = _numbered(region.grid_d, "110101199001012222")
    objection = actions.do_submit_objection(
        posted.election, actor=posted.voters[0], text="漏登", missing_name="王五"
    )
    with pytest.raises(DomainError) as refused:
        actions.do_decide_objection(objection, actor=staff, uphold=True, decision="x", person=stranger)
    assert refused.value.code == "not_in_community"
    with pytest.raises(DomainError) as refused:
        actions.do_submit_objection(posted.election, actor=staff, text="漏登", person=stranger)
    assert refused.value.code == "not_in_community"
    assert not RollEntry.objects.filter(person=stranger).exists()


def test_the_audit_log_records_that_a_name_was_given_never_the_name(posted, region):
    from zhili.audit.models import AuditAction, AuditEvent

    objection = actions.do_submit_objection(
        posted.election, actor=region.user("resident"), text="名单上没有", missing_name=" 王  五 "
    )
    assert objection.missing_name == "王 五"
    event = AuditEvent.objects.get(action=AuditAction.OBJECTION_SUBMITTED)
    assert event.details == {"entry": None, "person": None, "missing_name": True}
    assert "王" not in json.dumps(event.details, ensure_ascii=False)
