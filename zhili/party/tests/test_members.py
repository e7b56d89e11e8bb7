"""Party members: registration, encrypted mobiles, who sees what, transfers and moving out, export."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import DomainError, Forbidden
from zhili.party.actions import (
    do_link_household,
    do_register_member,
    do_transfer_member,
    do_transition_member,
    do_update_member,
)
from zhili.party.models import ContactHousehold, MemberTransfer, PartyMember
from zhili.party.states import MemberStatus, MemberTransition
from zhili.residents.actions import PersonInput, do_create_person

pytestmark = pytest.mark.django_db


def test_the_mobile_is_stored_encrypted_and_never_audited(region, party):
    stored = PartyMember.objects.filter(pk=party.member_a.pk).values_list("mobile_enc", flat=True).get()
    assert stored and "13800001111" not in stored
    assert PartyMember.objects.get(pk=party.member_a.pk).mobile == "13800001111"
    do_update_member(
        party.member_a,
        actor=region.user("party_secretary"),
        name="张建华",
        gender="M",
        joined_on=date(2001, 7, 1),
        standing="full",
        mobile="13911112222",
    )
    events = AuditEvent.objects.filter(action=AuditAction.PARTY_MEMBER_CHANGED)
    assert events.last().details == {"changed": ["mobile"]}
    for event in events:
        text = str(event.details)
        assert "1380000" not in text and "1391111" not in text


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("mobile", "12345", "mobile_format"),
        ("joined_on", date(2999, 1, 1), "date_invalid"),
        ("name", "", "required"),
        ("gender", "X", "choice_invalid"),
        ("standing", "candidate", "choice_invalid"),
    ],
)
def test_registration_refusals_write_nothing(region, party, field, value, code):
    values = {"name": "王五", "gender": "M", "joined_on": date(2000, 1, 1), "standing": "full", "mobile": ""}
    values[field] = value
    before = (PartyMember.objects.count(), AuditEvent.objects.count())
    with pytest.raises(DomainError) as exc:
        do_register_member(org=party.group_a, actor=region.user("party_secretary"), **values)
    assert exc.value.code == code
    assert (PartyMember.objects.count(), AuditEvent.objects.count()) == before


def test_only_party_secretaries_register_members(region, party):
    for persona in ("community_staff", "grid_worker_a", "leader"):
        with pytest.raises(Forbidden):
            do_register_member(
                org=party.group_a,
                actor=region.user(persona),
                name="王五",
                gender="M",
                joined_on=date(2000, 1, 1),
            )
    with pytest.raises(Forbidden):
        do_register_member(
            org=party.other,
            actor=region.user("party_secretary"),
            name="王五",
            gender="M",
            joined_on=date(2000, 1, 1),
        )


def _resident(household, name):
    return do_create_person(
        household,
        PersonInput(
            name=name,
            gender="M",
            birth_date=date(1960, 1, 1),
            relation_to_head="head",
            id_type="passport",
            id_number=f"E{abs(hash(name)) % 10**8:08d}",
            mobile="",
            residence_status="registered",
            moved_in_on=date(1990, 1, 1),
        ),
        actor=None,
    )


def test_a_linked_resident_must_live_in_the_organisations_subtree(region, party):
    sec = region.user("party_secretary")
    person = _resident(party.households_a[0], "孙立")
    member = do_register_member(
        org=party.group_a, actor=sec, name="孙立", gender="M", joined_on=date(1990, 1, 1), person=person
    )
    assert member.person == person
    with pytest.raises(DomainError) as exc:
        do_register_member(
            org=party.street, actor=sec, name="孙立", gender="M", joined_on=date(1990, 1, 1), person=person
        )
    assert exc.value.code == "person_taken"
    from zhili.party.actions import do_create_org

    group_b = do_create_org(node=region.grid_b, kind="grid_group", name="B组", actor=sec)
    with pytest.raises(DomainError) as exc:
        do_register_member(
            org=group_b, actor=sec, name="孙立", gender="M", joined_on=date(1990, 1, 1), person=person
        )
    assert exc.value.code == "person_invalid"


def test_a_transfer_moves_the_member_keeps_history_and_drops_old_grid_households(region, party):
    sec = region.user("party_secretary")
    do_link_household(party.member_a, party.households_a[0], actor=sec)
    member = do_transfer_member(
        party.member_a, to_org=party.c1, actor=sec, on=date(2026, 3, 1), note="工作调动"
    )
    assert member.org == party.c1 and member.status == MemberStatus.ACTIVE
    # Grid A lies inside community 1: the household stays.
    assert ContactHousehold.objects.filter(member=member).count() == 1
    from zhili.party.actions import do_create_org

    group_c = do_create_org(node=region.grid_c, kind="grid_group", name="C组", actor=sec)
    member = do_transfer_member(member, to_org=group_c, actor=sec)
    assert not ContactHousehold.objects.filter(member=member).exists()
    history = list(MemberTransfer.objects.filter(member=member).order_by("id"))
    assert [(t.from_org, t.to_org) for t in history] == [(party.group_a, party.c1), (party.c1, group_c)]
    assert history[0].note == "工作调动" and history[0].actor == sec


def test_transfers_stay_within_what_the_secretary_manages(region, party):
    with pytest.raises(DomainError) as exc:
        do_transfer_member(party.member_a, to_org=party.other, actor=region.user("party_secretary"))
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        do_transfer_member(party.member_a, to_org=party.group_a, actor=region.user("party_secretary"))
    assert exc.value.code == "same_org"
    assert not MemberTransfer.objects.exists()
    party.member_a.refresh_from_db()
    assert party.member_a.org == party.group_a


def test_moving_out_is_a_transition_once(region, party):
    sec = region.user("party_secretary")
    do_link_household(party.member_a, party.households_a[0], actor=sec)
    member = do_transition_member(
        party.member_a,
        MemberTransition.MOVE_OUT,
        actor=sec,
        on=date(2026, 5, 1),
        destination="迁往外省某社区党支部",
    )
    assert member.status == MemberStatus.MOVED_OUT and member.moved_out_to == "迁往外省某社区党支部"
    assert not ContactHousehold.objects.filter(member=member).exists()
    transfer = MemberTransfer.objects.get(member=member)
    assert transfer.to_org is None and transfer.destination == "迁往外省某社区党支部"
    with pytest.raises(DomainError) as exc:
        do_transition_member(member, MemberTransition.MOVE_OUT, actor=sec, destination="x")
    assert exc.value.code == "transition_not_allowed"
    with pytest.raises(DomainError) as exc:
        do_transfer_member(member, to_org=party.c1, actor=sec)
    assert exc.value.code == "not_active"
    assert MemberTransfer.objects.filter(member=member).count() == 1


def test_moving_out_needs_a_destination(region, party):
    with pytest.raises(DomainError) as exc:
        do_transition_member(party.member_a, MemberTransition.MOVE_OUT, actor=region.user("party_secretary"))
    assert exc.value.code == "required"
    party.member_a.refresh_from_db()
    assert party.member_a.status == MemberStatus.ACTIVE and not MemberTransfer.objects.exists()


def test_secretaries_see_member_data_masked_staff_names_only_leaders_nothing(client, login, region, party):
    login("party_secretary")
    body = client.get("/party/members/").content.decode()
    assert "张建华" in body and "138****1111" in body and "13800001111" not in body
    assert "赵丽" not in body  # the other street
    login("community_staff")
    body = client.get("/party/members/").content.decode()
    assert "张建华" in body and "陈志强" in body and "138****1111" not in body and "预备党员" not in body
    login("grid_worker_a")
    body = client.get("/party/members/").content.decode()
    assert "张建华" in body and "陈志强" not in body
    login("grid_worker_b")
    assert "张建华" not in client.get("/party/members/").content.decode()
    login("leader")
    assert client.get("/party/members/").status_code == 403
    login("resident")
    assert client.get("/party/members/").status_code == 404


def test_member_pages_by_persona(client, login, region, party):
    url = f"/party/members/{party.member_a.pk}/"
    for persona, status in (
        ("party_secretary", 200),
        ("community_staff", 403),
        ("grid_worker_a", 403),
        ("leader", 404),
        ("outsider", 404),
        ("resident", 404),
    ):
        login(persona)
        assert client.get(url).status_code == status, persona
        assert client.get(url + "edit/").status_code == status, persona
        if persona != "party_secretary":
            transfer = {"to_org": party.c1.pk, "on": "2026-01-01"}
            assert client.post(url + "transfer/", transfer).status_code == status, persona
            move_out = {"on": "2026-01-01", "destination": "x"}
            assert client.post(url + "move-out/", move_out).status_code == status, persona
    party.member_a.refresh_from_db()
    assert party.member_a.org == party.group_a and party.member_a.status == MemberStatus.ACTIVE
    login("party_secretary")
    body = client.get(url).content.decode()
    assert 'id="member-mobile">138****1111<' in body


def test_the_member_pages_register_transfer_and_move_out(client, login, region, party):
    login("party_secretary")
    response = client.post(
        "/party/members/new/",
        {
            "org": party.group_a.pk,
            "name": "吴敏",
            "gender": "F",
            "joined_on": "2012-07-01",
            "standing": "full",
            "mobile": "139",
        },
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = client.post(
        "/party/members/new/",
        {
            "org": party.group_a.pk,
            "name": "吴敏",
            "gender": "F",
            "joined_on": "2012-07-01",
            "standing": "full",
            "mobile": "13912345678",
        },
    )
    member = PartyMember.objects.get(name="吴敏")
    assert response.status_code == 302 and member.mobile == "13912345678"
    response = client.post(
        f"/party/members/{member.pk}/transfer/", {"to_org": party.c1.pk, "on": "2026-02-01", "note": ""}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.org == party.c1
    response = client.post(f"/party/members/{member.pk}/move-out/", {"on": "2026-03-01", "destination": ""})
    assert response.status_code == 400
    response = client.post(
        f"/party/members/{member.pk}/move-out/", {"on": "2026-03-01", "destination": "某单位党支部"}
    )
    member.refresh_from_db()
    assert response.status_code == 302 and member.status == MemberStatus.MOVED_OUT
    body = client.get(f"/party/members/{member.pk}/").content.decode()
    assert "某单位党支部" in body and 'id="transfer-form"' not in body


def test_the_member_export_is_for_secretaries_masked_and_audited(client, login, region, party):
    for persona, status in (
        ("community_staff", 403),
        ("grid_worker_a", 403),
        ("leader", 403),
        ("resident", 404),
    ):
        login(persona)
        assert client.get("/party/members.xlsx").status_code == status
    assert not AuditEvent.objects.filter(action=AuditAction.PARTY_MEMBERS_EXPORTED).exists()
    login("party_secretary")
    response = client.get("/party/members.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and len(rows) == 4  # header + the street's three members
    assert any(r[5] == "138****1111" for r in rows) and not any("13800001111" in str(r) for r in rows)
    event = AuditEvent.objects.get(action=AuditAction.PARTY_MEMBERS_EXPORTED)
    assert event.details == {"rows": 3} and event.actor_id == region.user("party_secretary").pk
