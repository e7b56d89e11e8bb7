"""Defects found in review: mobiles in forms, export audit nodes, the secretary's login, probing the
registry through the resident link, double submits, names in URLs, transfers and wording."""

from __future__ import annotations

import re
import threading
import time
from datetime import date

import pytest
from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.test import Client
from django.utils.translation import gettext, override, pgettext

from zhili.accounts.models import Membership
from zhili.accounts.roles import Role
from zhili.audit.models import AuditAction, AuditEvent
from zhili.audit.policies import visible_events
from zhili.core.errors import DomainError
from zhili.core.testing import make_user
from zhili.party import actions
from zhili.party.forms import OrgForm
from zhili.party.models import Attendance, MemberTransfer, PartyMember, PartyOrg
from zhili.residents.actions import PersonInput, do_create_person
from zhili.territory.actions import do_create_building, do_create_household

pytestmark = pytest.mark.django_db


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


def _member_post(**extra):
    return {"name": "张建华", "gender": "M", "joined_on": "2001-07-01", "standing": "full", **extra}


# 1. The edit form never sends the mobile ---------------------------------------------------------


def test_the_edit_form_never_holds_the_mobile_and_empty_keeps_it(client, login, region, party):
    login("party_secretary")
    url = f"/party/members/{party.member_a.pk}/edit/"
    body = client.get(url).content.decode()
    assert "13800001111" not in body and 'placeholder="138****1111"' in body
    assert 'name="clear_mobile"' in body
    assert client.post(url, _member_post(mobile="")).status_code == 302
    party.member_a.refresh_from_db()
    assert party.member_a.mobile == "13800001111"
    changes = AuditEvent.objects.filter(action=AuditAction.PARTY_MEMBER_CHANGED)
    assert changes.last().details == {"changed": []}
    assert client.post(url, _member_post(mobile="13911112222")).status_code == 302
    party.member_a.refresh_from_db()
    assert party.member_a.mobile == "13911112222"
    assert client.post(url, _member_post(mobile="", clear_mobile="on")).status_code == 302
    party.member_a.refresh_from_db()
    assert party.member_a.mobile == ""
    assert changes.last().details == {"changed": ["mobile"]}
    # Registering has nothing to remove.
    assert 'name="clear_mobile"' not in client.get("/party/members/new/").content.decode()


# 2. The export audit row stands at the exporter's nodes -------------------------------------------


def test_an_export_over_several_subtrees_is_audited_at_each(client, region, party):
    sec = make_user("sec_c1_c2", role=Role.PARTY_SECRETARY, node=region.c1)
    Membership.objects.create(user=sec, role=Role.PARTY_SECRETARY, node=region.c2)
    auditor_c1 = make_user("auditor_c1", role=Role.AUDITOR, node=region.c1)
    client.force_login(sec)
    assert client.get("/party/members.xlsx").status_code == 200
    events = AuditEvent.objects.filter(action=AuditAction.PARTY_MEMBERS_EXPORTED).order_by("node_path")
    assert [(e.node_id, e.details) for e in events] == [
        (region.c1.pk, {"rows": 3}),
        (region.c2.pk, {"rows": 0}),
    ]
    seen = visible_events(auditor_c1).filter(action=AuditAction.PARTY_MEMBERS_EXPORTED)
    assert [e.node_id for e in seen] == [region.c1.pk]


# 3. The secretary's login: staff of the territory only, one membership --------------------------


def test_residents_and_memberships_elsewhere_are_not_secretary_logins(region, party):
    sec = region.user("party_secretary")
    # Active elsewhere, inactive here: two memberships that must not add up to one.
    drifter = make_user("drifter", role=Role.GRID_WORKER, node=region.grid_d)
    Membership.objects.create(user=drifter, role=Role.GRID_WORKER, node=region.grid_a, active=False)
    offered = set(OrgForm(user=sec, editing=True).fields["secretary_user"].queryset)
    assert region.user("grid_worker_a") in offered and region.user("community_staff") in offered
    assert region.user("resident") not in offered and drifter not in offered
    for user in (region.user("resident"), drifter):
        with pytest.raises(DomainError) as exc:
            actions.do_update_org(
                party.group_a, kind="grid_group", name="A组", actor=sec, secretary_user=user
            )
        assert exc.value.code == "secretary_out_of_scope"
    party.group_a.refresh_from_db()
    assert party.group_a.secretary_user is None


# 4. Linking a resident does not probe the registry ----------------------------------------------


def test_a_resident_elsewhere_and_a_missing_one_give_the_same_error(client, login, region, party):
    far = do_create_household(
        do_create_building(region.grid_d, "9", "外街9号", 39.905, 116.405, actor=None), "901", actor=None
    )
    elsewhere = _resident(far, "周远")
    login("party_secretary")
    url = f"/party/members/{party.member_a.pk}/edit/"
    bodies = []
    for person_id in (elsewhere.pk, elsewhere.pk + 1000):
        response = client.post(url, _member_post(person_id=person_id))
        assert response.status_code == 200
        body = response.content.decode()
        form = body[body.index('id="member-form"') :].replace(f'value="{person_id}"', "")
        bodies.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", form))
    assert bodies[0] == bodies[1] and "请填写本党组织辖区内居民的档案编号。" in bodies[0]
    party.member_a.refresh_from_db()
    assert party.member_a.person is None


def test_a_resident_linked_out_of_sight_is_refused_as_invalid(region, party):
    sec = region.user("party_secretary")
    person = _resident(party.households_a[0], "孙立")
    # Linked (before a move, say) to a member of the other street, whom this secretary cannot see.
    PartyMember.objects.filter(pk=party.member_other.pk).update(person=person)
    with pytest.raises(DomainError) as exc:
        actions.do_register_member(
            org=party.group_a, actor=sec, name="孙立", gender="M", joined_on=date(1990, 1, 1), person=person
        )
    assert exc.value.code == "person_invalid"
    # Linked to a member this secretary sees: said as such.
    PartyMember.objects.filter(pk=party.member_other.pk).update(person=None)
    PartyMember.objects.filter(pk=party.member_a2.pk).update(person=person)
    with pytest.raises(DomainError) as exc:
        actions.do_register_member(
            org=party.group_a, actor=sec, name="孙立", gender="M", joined_on=date(1990, 1, 1), person=person
        )
    assert exc.value.code == "person_taken"


# 5. Double submits ------------------------------------------------------------------------------


def test_an_organisation_created_meanwhile_is_refused_not_a_server_error(region, monkeypatch):
    sec = region.user("party_secretary")
    actions.do_create_org(node=region.c1, kind="branch", name="一", actor=sec)
    real_exists = QuerySet.exists

    def racing_exists(self):  # the other request committed after our check
        return False if self.model is PartyOrg else real_exists(self)

    monkeypatch.setattr(QuerySet, "exists", racing_exists)
    with pytest.raises(DomainError) as exc:
        actions.do_create_org(node=region.c1, kind="branch", name="二", actor=sec)
    monkeypatch.undo()
    assert exc.value.code == "org_exists" and PartyOrg.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_of_missing_groups_creates_each_once(region, party):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite in memory has one connection; the row lock wait is PostgreSQL's")
    sec = region.user("party_secretary")
    first_done, release = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                outcomes["first"] = len(actions.do_create_missing_grid_groups(region.c1, actor=sec))
                first_done.set()
                release.wait(10)  # still uncommitted while the second request runs
        except Exception as exc:  # reported by the assertion below
            outcomes["first"] = repr(exc)
        finally:
            first_done.set()
            connections.close_all()

    def second() -> None:
        first_done.wait(10)
        try:
            outcomes["second"] = len(actions.do_create_missing_grid_groups(region.c1, actor=sec))
        except Exception as exc:
            outcomes["second"] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_done.wait(10)
    time.sleep(0.5)  # the second request is now waiting for the first
    release.set()
    for thread in threads:
        thread.join()
    assert outcomes == {"first": 1, "second": 0}
    assert PartyOrg.objects.filter(node=region.grid_b).count() == 1


# 6. Names stay out of URLs ----------------------------------------------------------------------


def test_the_name_search_posts_and_a_name_in_a_link_is_not_searched(client, login, region, party):
    login("party_secretary")
    body = client.get("/party/members/?q=张建华").content.decode()
    assert "张建华" in body and "刘芳" in body  # not filtered
    assert 'method="post"' in body and "csrfmiddlewaretoken" in body
    response = client.post("/party/members/", {"q": "张建", "status": "active"})
    body = response.content.decode()
    assert "张建华" in body and "刘芳" not in body and "no-store" in response["Cache-Control"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(region.user("party_secretary"))
    assert strict.post("/party/members/", {"q": "张建"}).status_code == 403


# 7. A transfer unlinks a resident who lives outside the new organisation -------------------------


def test_a_transfer_unlinks_a_resident_living_outside_the_new_organisation(client, login, region, party):
    sec = region.user("party_secretary")
    person = _resident(party.households_a[0], "孙立")
    member = actions.do_register_member(
        org=party.group_a, actor=sec, name="孙立", gender="M", joined_on=date(1990, 1, 1), person=person
    )
    member = actions.do_transfer_member(member, to_org=party.c1, actor=sec)  # grid A lies in community 1
    assert member.person == person
    group_c = actions.do_create_org(node=region.grid_c, kind="grid_group", name="C组", actor=sec)
    login("party_secretary")
    response = client.post(
        f"/party/members/{member.pk}/transfer/", {"to_org": group_c.pk, "on": "2026-02-01"}, follow=True
    )
    member.refresh_from_db()
    assert member.org == group_c and member.person is None
    assert "已解除与居民档案的关联" in response.content.decode()
    last = MemberTransfer.objects.filter(member=member).latest("id")
    assert "已解除与居民档案的关联" in last.note
    event = AuditEvent.objects.filter(action=AuditAction.PARTY_MEMBER_CHANGED).last()
    assert event.details["person_unlinked"] is True


# 8. Wording -------------------------------------------------------------------------------------


def test_the_chinese_wording(client, login, region, party):
    with override("zh-hans"):
        assert gettext("Only a member on the register keeps in touch with households.") == (
            "只有在册党员才能结对联系住户。"
        )
        assert gettext("Plan an activity") == "安排活动"
        assert gettext("Activity planned.") == "活动已安排。"
        assert pgettext("contact household", "Remove") == "解除联系"
        assert str(Attendance._meta.verbose_name) == "参加情况" == pgettext("party activity", "Attendance")
    actions.do_link_household(party.member_a, party.households_a[0], actor=region.user("grid_worker_a"))
    login("grid_worker_a")
    assert "解除联系" in client.get(f"/party/grids/{region.grid_a.pk}/contacts/").content.decode()
