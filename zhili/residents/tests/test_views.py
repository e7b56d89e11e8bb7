"""Registry pages by persona: scope (404), read-only (403), masking, reveal, edits, visits."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.idnumber import make_id_number
from zhili.residents.actions import do_create_person
from zhili.residents.models import HouseholdInfo, LogKind, Person, PersonLog, Tag, Visit
from zhili.residents.tags import person_tags

from .conftest import ID_NUMBER, MOBILE, make_input

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"residents:{name}", args=args)


# Search ---------------------------------------------------------------------------------------


def test_grid_worker_finds_by_name_and_by_exact_numbers(client, login, person):
    login("grid_worker_a")
    for q in ("秀英", ID_NUMBER, "110105 19491231 002x", MOBILE, "+86 138-1234-5678"):
        page = client.post(url("search"), {"q": q}).content.decode()
        assert url("person", person.pk) in page, q
        assert ID_NUMBER not in page and MOBILE not in page


def test_a_partial_number_finds_nothing(client, login, person):
    login("grid_worker_a")
    page = client.post(url("search"), {"q": "11010519491231"}).content.decode()
    assert url("person", person.pk) not in page


def test_a_number_in_a_link_is_not_searched(client, login, person):
    login("grid_worker_a")
    for q in (ID_NUMBER, MOBILE):
        response = client.get(url("search"), {"q": q}, follow=True)
        assert response.redirect_chain == [(url("search"), 302)]
        page = response.content.decode()
        assert 'class="person-name"' not in page and q not in page


def test_the_search_page_audits_a_look_up_by_number_and_stops_past_the_limit(client, login, person, settings):
    from zhili.audit.models import AuditAction, AuditEvent

    settings.ZHILI_NUMBER_SEARCH_LIMIT = 1
    login("grid_worker_a")
    page = client.post(url("search"), {"q": ID_NUMBER}).content.decode()
    assert url("person", person.pk) in page and ID_NUMBER not in page
    assert AuditEvent.objects.filter(action=AuditAction.PERSONS_FOUND_BY_NUMBER).count() == 1
    page = client.post(url("search"), {"q": ID_NUMBER}).content.decode()
    assert url("person", person.pk) not in page and ID_NUMBER not in page
    assert "查找次数过多" in page
    assert AuditEvent.objects.filter(action=AuditAction.PERSONS_FOUND_BY_NUMBER).count() == 1
    assert url("person", person.pk) in client.post(url("search"), {"q": "秀英"}).content.decode()


def test_a_cut_short_result_says_so(client, login, person, household, monkeypatch):
    from zhili.residents import selectors

    do_create_person(
        household,
        make_input(name="张秀兰", id_number=make_id_number("110105", date(1949, 12, 31), 4), mobile=""),
        actor=None,
    )
    monkeypatch.setattr(selectors, "SEARCH_LIMIT", 1)
    login("grid_worker_a")
    page = client.post(url("search"), {"q": "张秀"}).content.decode()
    assert "仅显示前 1 名" in page
    assert "仅显示前" not in client.post(url("search"), {"q": "秀英"}).content.decode()


def test_grids_come_in_tree_order_not_text_order():
    from zhili.residents.selectors import tree_order
    from zhili.territory.models import Node

    nodes = [Node(path=path) for path in ("/1/2/10/", "/1/2/4/", "/1/2/", "/1/3/")]
    assert [n.path for n in sorted(nodes, key=tree_order)] == ["/1/2/", "/1/2/4/", "/1/2/10/", "/1/3/"]


@pytest.mark.parametrize("persona", ["grid_worker_b", "outsider"])
def test_search_stays_within_the_grid(client, login, person, persona):
    login(persona)
    for q in ("秀英", ID_NUMBER):
        assert url("person", person.pk) not in client.post(url("search"), {"q": q}).content.decode()


def test_search_by_id_number_finds_nothing_for_roles_that_may_not_see_it(client, login, person):
    login("handler")
    assert url("person", person.pk) not in client.post(url("search"), {"q": ID_NUMBER}).content.decode()
    assert url("person", person.pk) in client.get(url("search"), {"q": "秀英"}).content.decode()


def test_search_sends_others_where_they_belong(client, login):
    login("admin")
    assert client.get(url("search"))["Location"] == url("tags")
    login("party_secretary")
    assert client.get(url("search"))["Location"] == url("statistics")
    login("resident")
    assert client.get(url("search"))["Location"] == url("me")
    login("nobody")
    assert client.get(url("search")).status_code == 404
    login("auditor")
    assert client.get(url("search")).status_code == 404


# Person page ----------------------------------------------------------------------------------


def test_person_page_is_masked_and_its_opening_is_audited(client, login, person):
    worker = login("grid_worker_a")
    response = client.get(url("person", person.pk))
    page = response.content.decode()
    assert response["Cache-Control"] == "no-store, private"
    assert "110105********002X" in page and "138****5678" in page
    assert ID_NUMBER not in page and MOBILE not in page
    assert "低保" in page and "独居老人" in page
    title = page.split("<title>")[1].split("</title>")[0]
    assert "张秀英" not in title  # tabs and browser history keep titles
    event = AuditEvent.objects.get(action=AuditAction.PERSON_VIEWED)
    assert event.actor_id == worker.pk and event.target_id == str(person.pk)
    assert "id_number" in event.details["fields"]
    assert PersonLog.objects.filter(person=person, kind=LogKind.VIEWED, actor=worker).exists()


def test_handler_sees_no_id_number_and_no_mobile_at_all(client, login, person):
    login("handler")
    page = client.get(url("person", person.pk)).content.decode()
    assert "张*英" in page
    assert "110105" not in page and "5678" not in page and "证件号码" not in page
    assert "低保" not in page


def test_leader_sees_masked_values_and_no_reveal(client, login, person):
    login("leader")
    page = client.get(url("person", person.pk)).content.decode()
    assert "张*英" in page and "110105********002X" in page
    assert "reveal" not in page


@pytest.mark.parametrize("persona", ["outsider", "grid_worker_b", "admin", "auditor", "resident", "nobody"])
def test_person_page_is_404_outside_scope(client, login, person, persona):
    login(persona)
    assert client.get(url("person", person.pk)).status_code == 404
    assert (
        client.post(url("person_reveal", person.pk), {"field": "id_number", "reason": "核对信息"}).status_code
        == 404
    )
    assert client.get(url("person_edit", person.pk)).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.PERSON_VIEWED).exists()


def test_reveal_with_a_reason_shows_the_value_and_is_audited(client, login, person):
    login("grid_worker_a")
    response = client.post(
        url("person_reveal", person.pk),
        {"field": "id_number", "reason": "核对低保申请"},
        HTTP_HX_REQUEST="true",
    )
    assert ID_NUMBER in response.content.decode()
    assert response["Cache-Control"] == "no-store, private"
    event = AuditEvent.objects.get(action=AuditAction.PII_REVEALED)
    assert event.details == {"person_id": person.pk, "field": "id_number", "reason": "核对低保申请"}


def test_reveal_without_a_reason_shows_nothing(client, login, person):
    login("grid_worker_a")
    page = client.post(url("person_reveal", person.pk), {"field": "mobile", "reason": ""}).content.decode()
    assert MOBILE not in page
    assert not AuditEvent.objects.filter(action=AuditAction.PII_REVEALED).exists()


@pytest.mark.parametrize("persona", ["leader", "dispatcher", "handler"])
def test_reveal_is_403_for_roles_that_see_but_may_not_reveal(client, login, person, persona):
    login(persona)
    response = client.post(url("person_reveal", person.pk), {"field": "mobile", "reason": "需要联系本人"})
    assert response.status_code == 403
    assert MOBILE not in response.content.decode()


def test_change_history_on_the_person_page(client, login, person):
    login("grid_worker_a")
    client.post(
        url("person_edit", person.pk),
        {
            "name": "张秀英",
            "gender": "F",
            "birth_date": "1949-12-31",
            "id_type": "resident_id",
            "relation_to_head": "head",
            "residence_status": "resident",
            "moved_in_on": "1985-06-01",
            "t-tags": [t.pk for t in person_tags(person)],
        },
    )
    page = client.get(url("person", person.pk)).content.decode()
    history = page[page.index("history") :]
    assert "居住状态" in history and "grid_worker_a" in history and "修改" in history


# Editing --------------------------------------------------------------------------------------


def edit_data(person, **overrides):
    data = {
        "name": person.name,
        "gender": person.gender,
        "birth_date": person.birth_date.isoformat(),
        "id_type": person.id_type,
        "id_number": "",
        "mobile": "",
        "relation_to_head": person.relation_to_head,
        "residence_status": person.residence_status,
        "moved_in_on": person.moved_in_on.isoformat() if person.moved_in_on else "",
        "moved_out_on": "",
        "t-tags": [t.pk for t in person_tags(person)],
    }
    data.update(overrides)
    return data


def test_edit_form_never_shows_full_numbers_and_keeps_them_when_left_empty(client, login, person):
    login("grid_worker_a")
    page = client.get(url("person_edit", person.pk)).content.decode()
    assert ID_NUMBER not in page and MOBILE not in page and "138****5678" in page
    response = client.post(url("person_edit", person.pk), edit_data(person, name="张秀英 "))
    assert response.status_code == 302
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.id_number, fresh.mobile) == (ID_NUMBER, MOBILE)


def test_edit_changes_mobile_and_tags_in_one_go(client, login, person):
    login("grid_worker_a")
    elderly_80 = Tag.objects.get(code="elderly_80")
    tags = [t.pk for t in person_tags(person)] + [elderly_80.pk]
    response = client.post(
        url("person_edit", person.pk), edit_data(person, mobile="139 0000 1111", **{"t-tags": tags})
    )
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).mobile == "13900001111"
    assert "elderly_80" in {t.code for t in person_tags(person)}
    assert (
        AuditEvent.objects.filter(
            action__in=[AuditAction.PERSON_UPDATED, AuditAction.PERSON_TAGS_CHANGED]
        ).count()
        == 2
    )


def test_edit_shows_the_domain_refusal_on_the_field(client, login, person):
    login("grid_worker_a")
    page = client.post(
        url("person_edit", person.pk), edit_data(person, birth_date="1950-01-01")
    ).content.decode()
    assert "出生日期与证件号码不符" in page
    assert Person.objects.get(pk=person.pk).birth_date == date(1949, 12, 31)


@pytest.mark.parametrize("persona", ["leader", "dispatcher", "handler", "supervisor"])
def test_read_only_roles_get_403_on_edit_pages(client, login, person, household, persona):
    login(persona)
    assert client.get(url("person_edit", person.pk)).status_code == 403
    assert client.post(url("person_edit", person.pk), edit_data(person, name="改名")).status_code == 403
    assert client.get(url("person_new", household.pk)).status_code == 403
    assert client.get(url("visit_new", household.pk)).status_code == 403
    assert client.get(url("household_info", household.pk)).status_code == 403
    assert Person.objects.get(pk=person.pk).name == "张秀英"


# Households and visits ------------------------------------------------------------------------


def test_household_page_lists_members_with_tags_and_visits(client, login, household, person):
    do_create_person(
        household,
        make_input(
            name="王建国",
            gender="M",
            birth_date=date(1975, 3, 2),
            relation_to_head="child",
            id_number=make_id_number("110105", date(1975, 3, 2), 13),
            mobile="",
            moved_in_on=None,
        ),
        actor=None,
    )
    login("grid_worker_a")
    page = client.get(url("household", household.pk)).content.decode()
    assert "张秀英" in page and "王建国" in page and "低保" in page
    assert reverse("territory:household", args=[household.pk]) in page


@pytest.mark.parametrize("persona", ["outsider", "grid_worker_b", "admin", "nobody"])
def test_household_pages_are_404_outside_scope(client, login, household, persona):
    login(persona)
    for name in ("household", "household_info", "visit_new", "person_new"):
        assert client.get(url(name, household.pk)).status_code == 404, name


def test_grid_worker_records_a_visit(client, login, household, person):
    login("grid_worker_a")
    response = client.post(
        url("visit_new", household.pk),
        {"visited_at": "2025-03-01T10:30", "kind": "care", "person": person.pk, "note": "身体状况良好"},
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.person, visit.kind, visit.note) == (person, "care", "身体状况良好")
    assert "身体状况良好" in client.get(url("household", household.pk)).content.decode()


def test_grid_worker_adds_a_member_and_edits_house_information(client, login, household):
    login("grid_worker_a")
    born = date(2010, 7, 8)
    response = client.post(
        url("person_new", household.pk),
        {
            "name": "王小明",
            "gender": "M",
            "birth_date": born.isoformat(),
            "id_type": "resident_id",
            "id_number": make_id_number("110105", born, 15),
            "mobile": "",
            "relation_to_head": "child",
            "residence_status": "registered",
            "moved_in_on": "",
        },
    )
    assert response.status_code == 302
    assert Person.objects.get().name == "王小明"
    response = client.post(
        url("household_info", household.pk),
        {"floor": "3", "area": "86.5", "use": "residential", "tenure": "owner", "note": ""},
    )
    assert response.status_code == 302
    assert HouseholdInfo.objects.get(household=household).floor == 3


# Statistics and tags --------------------------------------------------------------------------


def test_leader_statistics_show_counts_only(client, login, person):
    login("leader")
    page = client.get(url("statistics")).content.decode()
    assert "Grid A" in page and "张" not in page
    assert "独居老人" in page and "低保" not in page


def test_statistics_are_404_for_roles_without_them(client, login):
    for persona in ("grid_worker_a", "handler", "admin", "outsider"):
        login(persona)
        assert client.get(url("statistics")).status_code == 404, persona


def test_administrator_edits_a_tag_but_sees_no_persons(client, login, person):
    login("admin")
    assert client.get(url("person", person.pk)).status_code == 404
    tag = Tag.objects.get(code="veteran")
    response = client.post(
        url("tag_edit", tag.pk), {"name": "退役军人", "visible_roles": ["grid_worker"], "active": "on"}
    )
    assert response.status_code == 302
    assert Tag.objects.get(pk=tag.pk).visible_roles == ["grid_worker"]
    response = client.post(
        url("tag_new"), {"code": "pregnant", "name": "孕产妇", "sensitive": "on", "active": "on"}
    )
    assert "必须列明" in response.content.decode()


def test_tags_pages_are_404_for_others(client, login):
    login("community_staff")
    assert client.get(url("tags")).status_code == 404
    assert client.get(url("tag_new")).status_code == 404


def test_administrator_reaches_the_tags_page_from_the_menu(client, login, seeded_tags):
    """Only the administrator manages tags, and the menu takes them there."""
    login("admin")
    home = client.get(reverse("core:home")).content.decode()
    assert f'href="{url("tags")}"' in home
    for persona in ("community_staff", "grid_worker_a", "leader", "auditor", "resident"):
        login(persona)
        assert f'href="{url("tags")}"' not in client.get(reverse("core:home")).content.decode(), persona


def test_tags_page_names_the_visible_roles_in_chinese(client, login, seeded_tags):
    login("admin")
    page = client.get(url("tags")).content.decode()
    assert "网格员、社区工作人员" in page
    assert "grid_worker" not in page and "community_staff" not in page
