"""Pages: the board (without login, as a resident), an item with its versions and questions, the
staff list with the overdue finances, the export, and the steps through the forms."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from zhili.disclosure import actions
from zhili.disclosure.models import Publication, Question
from zhili.disclosure.selectors import last_finished_quarter
from zhili.disclosure.states import PublicationStatus

from .conftest import pub_values

pytestmark = pytest.mark.django_db
S = PublicationStatus


def _form(region, **overrides):
    data = {
        "node": region.c1.pk,
        "kind": "finance",
        "title": "第三季度财务公开",
        "body": "收支明细如下。",
        "period": "",
        "quarter": "2026-3",
        "items": "保洁服务费 12000\n绿化 养护 3500.50\n",
        "audience": "public",
    }
    data.update(overrides)
    return data


# The board ---------------------------------------------------------------------------------------


def test_the_board_shows_public_items_without_login_and_hides_residents_only_ones(client, region, published):
    public = published(title="公开的财务")
    private = published(title="仅居民可见的通知", audience="residents")
    draft_title = "还在起草"
    actions.do_draft_publication(
        actor=region.user("community_staff"), node=region.c1, **pub_values(title=draft_title)
    )
    page = client.get(f"/disclosure/board/{region.c1.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert public.title in html and private.title not in html and draft_title not in html
    # the item itself: public readable, residents-only asks for a login
    assert client.get(f"/disclosure/items/{public.pk}/").status_code == 200
    response = client.get(f"/disclosure/items/{private.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_resident_sees_the_residents_only_items_of_their_community(client, login, region, published):
    private = published(title="仅居民可见的通知", audience="residents")
    login("resident")
    html = client.get(f"/disclosure/board/{region.c1.pk}/").content.decode()
    assert private.title in html
    assert client.get(f"/disclosure/items/{private.pk}/").status_code == 200
    # the resident's own board
    assert client.get("/disclosure/board/")["Location"] == f"/disclosure/board/{region.c1.pk}/"


def test_residents_of_elsewhere_do_not_see_residents_only_items(client, login, region, published):
    private = published(title="仅居民可见的通知", audience="residents")
    login("outsider")
    assert private.title not in client.get(f"/disclosure/board/{region.c1.pk}/").content.decode()
    assert client.get(f"/disclosure/items/{private.pk}/").status_code == 404


def test_the_board_filters_by_kind_and_year(client, region, published):
    finance = published(title="财务公开一")
    party = published(title="党费收缴情况", kind="party", items=[])
    html = client.get(f"/disclosure/board/{region.c1.pk}/?kind=party").content.decode()
    assert party.title in html and finance.title not in html
    year = timezone.localdate().year
    assert finance.title in client.get(f"/disclosure/board/{region.c1.pk}/?year={year}").content.decode()
    assert (
        finance.title not in client.get(f"/disclosure/board/{region.c1.pk}/?year={year - 1}").content.decode()
    )


def test_a_board_of_a_missing_or_non_community_node_is_404(client, region):
    assert client.get(f"/disclosure/board/{region.grid_a.pk}/").status_code == 404
    assert client.get("/disclosure/board/999999/").status_code == 404


def test_the_board_query_count_does_not_grow_with_items(
    client, region, published, django_assert_max_num_queries
):
    for n in range(6):
        published(title=f"公开事项{n}")
    with django_assert_max_num_queries(6):
        response = client.get(f"/disclosure/board/{region.c1.pk}/")
    assert response.content.decode().count('class="board-item"') == 6


# One item ----------------------------------------------------------------------------------------


def test_reading_counts_but_staff_reading_does_not(client, login, region, published):
    p = published()
    client.get(f"/disclosure/items/{p.pk}/")
    client.get(f"/disclosure/items/{p.pk}/")
    login("community_staff")
    client.get(f"/disclosure/items/{p.pk}/")
    p.refresh_from_db()
    assert p.read_count == 2


def test_the_old_version_says_when_and_why_it_was_corrected_and_links_the_new(client, region, published):
    old = published()
    new = actions.do_correct_publication(
        old,
        actor=region.user("community_staff"),
        reason="金额录入错误",
        **pub_values(title="更正后的财务公开"),
    )
    html = client.get(f"/disclosure/items/{old.pk}/").content.decode()
    assert 'id="corrected-notice"' in html and "金额录入错误" in html
    assert "原因: 金额录入错误" in html and "理由" not in html  # beside 更正原因 / 撤回原因 of the forms
    assert f'href="/disclosure/items/{new.pk}/"' in html
    new_html = client.get(f"/disclosure/items/{new.pk}/").content.decode()
    assert f'href="/disclosure/items/{old.pk}/"' in new_html and "金额录入错误" in new_html
    board = client.get(f"/disclosure/board/{region.c1.pk}/").content.decode()
    assert "更正后的财务公开" in board and f"/disclosure/items/{old.pk}/" not in board
    client.force_login(region.user("community_staff"))
    listing = client.get("/disclosure/").content.decode()
    assert ">第2版<" in listing and ">v2<" not in listing


def test_a_withdrawn_item_keeps_title_and_reason_but_hides_the_body(client, region, published):
    p = published(body="这段正文不应再显示", items=[])
    actions.do_withdraw_publication(p, actor=region.user("community_staff"), reason="信息有误，重新核实")
    html = client.get(f"/disclosure/items/{p.pk}/").content.decode()
    assert p.title in html and "信息有误，重新核实" in html and "这段正文不应再显示" not in html
    assert p.title in client.get(f"/disclosure/board/{region.c1.pk}/").content.decode()


def test_drafts_are_404_to_the_public_and_visible_to_readers_among_staff(client, login, region, draft):
    p = draft()
    assert client.get(f"/disclosure/items/{p.pk}/").status_code == 302  # login asked, like any unknown id
    login("outsider")
    assert client.get(f"/disclosure/items/{p.pk}/").status_code == 404
    login("resident")
    assert client.get(f"/disclosure/items/{p.pk}/").status_code == 404
    login("leader")
    html = client.get(f"/disclosure/items/{p.pk}/").content.decode()
    assert p.title in html and 'name="publish"' not in html


def test_questions_show_without_the_askers_name_once_answered(client, login, region, published):
    p = published()
    resident = region.user("resident")
    resident.display_name = "张秀英"
    resident.save(update_fields=["display_name"])
    login("resident")
    response = client.post(f"/disclosure/items/{p.pk}/ask/", {"text": "保洁费为什么涨了？"})
    assert response.status_code == 302
    q = Question.objects.get()
    assert q.asked_by == region.user("resident")
    client.logout()
    assert "保洁费为什么涨了" not in client.get(f"/disclosure/items/{p.pk}/").content.decode()
    login("community_staff")
    assert "保洁费为什么涨了" in client.get(f"/disclosure/items/{p.pk}/").content.decode()
    client.post(f"/disclosure/questions/{q.pk}/answer/", {"answer": "因新增楼道消杀服务。"})
    client.logout()
    html = client.get(f"/disclosure/items/{p.pk}/").content.decode()
    assert "保洁费为什么涨了" in html and "因新增楼道消杀服务" in html and "张秀英" not in html


def test_asking_and_answering_refusals(client, login, region, published):
    public = published(title="公开的")
    p = published(audience="residents")
    login("outsider")
    assert client.post(f"/disclosure/items/{public.pk}/ask/", {"text": "路过问问"}).status_code == 403
    assert client.post(f"/disclosure/items/{p.pk}/ask/", {"text": "路过问问"}).status_code == 404
    login("resident")
    client.post(f"/disclosure/items/{p.pk}/ask/", {"text": "请问"})
    q = Question.objects.get()
    login("leader")
    assert client.post(f"/disclosure/questions/{q.pk}/answer/", {"answer": "好的"}).status_code == 403
    login("outsider")
    assert client.post(f"/disclosure/questions/{q.pk}/answer/", {"answer": "好的"}).status_code == 404
    q.refresh_from_db()
    assert q.answered_at is None


# Staff steps ---------------------------------------------------------------------------------------


def test_drafting_editing_and_publishing_through_the_pages(client, login, region):
    login("community_staff")
    assert client.get("/disclosure/new/").status_code == 200
    response = client.post("/disclosure/new/", _form(region))
    assert response.status_code == 302
    p = Publication.objects.get()
    assert p.items == [{"label": "保洁服务费", "fen": 1200000}, {"label": "绿化 养护", "fen": 350050}]
    assert (p.period_year, p.period_quarter) == (2026, 3)
    assert client.get(f"/disclosure/items/{p.pk}/edit/").status_code == 200
    client.post(f"/disclosure/items/{p.pk}/edit/", _form(region, title="第三季度财务收支公开"))
    client.post(f"/disclosure/items/{p.pk}/publish/")
    p.refresh_from_db()
    assert p.status == S.PUBLISHED and p.title == "第三季度财务收支公开"
    assert client.get(f"/disclosure/items/{p.pk}/edit/").status_code == 200  # the form; saving is refused
    response = client.post(f"/disclosure/items/{p.pk}/edit/", _form(region, title="偷改"))
    assert "errorlist" in response.content.decode()
    p.refresh_from_db()
    assert p.title == "第三季度财务收支公开"


def test_the_form_shows_a_bad_amount_in_chinese_terms(client, login, region):
    login("community_staff")
    response = client.post("/disclosure/new/", _form(region, items="保洁服务费 一万二"))
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Publication.objects.exists()


def test_correcting_and_withdrawing_through_the_pages(client, login, region, published):
    p = published()
    login("community_staff")
    assert client.get(f"/disclosure/items/{p.pk}/correct/").status_code == 200
    response = client.post(f"/disclosure/items/{p.pk}/correct/", _form(region, reason=""))
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = client.post(f"/disclosure/items/{p.pk}/correct/", _form(region, reason="补充绿化支出"))
    new = Publication.objects.get(replaces=p)
    assert response["Location"] == f"/disclosure/items/{new.pk}/"
    client.post(f"/disclosure/items/{new.pk}/withdraw/", {"reason": ""})
    new.refresh_from_db()
    assert new.status == S.PUBLISHED
    client.post(f"/disclosure/items/{new.pk}/withdraw/", {"reason": "重复发布"})
    new.refresh_from_db()
    assert new.status == S.WITHDRAWN


@pytest.mark.parametrize("persona", ["leader", "party_secretary", "dispatcher"])
def test_readers_among_staff_get_403_on_every_step(client, login, region, published, draft, persona):
    p, d = published(), draft(title="草稿")
    login(persona)
    assert client.get(f"/disclosure/items/{p.pk}/").status_code == 200
    assert client.get("/disclosure/new/").status_code == 403
    assert client.get(f"/disclosure/items/{d.pk}/edit/").status_code == 403
    assert client.post(f"/disclosure/items/{d.pk}/publish/").status_code == 403
    assert client.get(f"/disclosure/items/{p.pk}/correct/").status_code == 403
    assert client.post(f"/disclosure/items/{p.pk}/withdraw/", {"reason": "不行"}).status_code == 403
    d.refresh_from_db()
    p.refresh_from_db()
    assert d.status == S.DRAFT and p.status == S.PUBLISHED


@pytest.mark.parametrize("persona", ["outsider", "resident", "grid_worker_a", "handler", "nobody"])
def test_outsiders_get_404_on_staff_pages(client, login, region, draft, persona):
    d = draft()
    login(persona)
    for url in (
        "/disclosure/",
        "/disclosure/export.xlsx",
        "/disclosure/new/",
        f"/disclosure/items/{d.pk}/edit/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/disclosure/items/{d.pk}/publish/").status_code == 404
    d.refresh_from_db()
    assert d.status == S.DRAFT


def test_other_community_staff_get_404_on_drafts_and_403_on_published_items(
    client, login, region, staff_c2, published, draft
):
    p, d = published(), draft(title="草稿")
    client.force_login(staff_c2)
    assert client.get(f"/disclosure/items/{d.pk}/").status_code == 404
    assert client.get(f"/disclosure/items/{p.pk}/correct/").status_code == 403


# The staff list --------------------------------------------------------------------------------------


def test_the_staff_list_shows_drafts_and_the_communities_late_with_finances(
    client, login, region, staff_c2, draft
):
    year, quarter = last_finished_quarter()
    p = draft(period_year=year, period_quarter=quarter)
    actions.do_publish_publication(p, actor=region.user("community_staff"))
    draft(title="还在起草的党务公开", kind="party")
    login("leader")
    html = client.get("/disclosure/").content.decode()
    assert "还在起草的党务公开" in html
    late = html.split('id="late"')[1].split("</section>")[0]
    assert region.c2.name in late and region.c1.name not in late


def test_the_staff_list_query_count_does_not_grow(
    client, login, region, draft, django_assert_max_num_queries
):
    for n in range(8):
        draft(title=f"草稿{n}")
    login("community_staff")
    with django_assert_max_num_queries(12):
        response = client.get("/disclosure/")
    assert response.status_code == 200 and response.content.decode().count("/disclosure/items/") == 8


def test_the_export_is_an_xlsx_of_the_staff_list(client, login, region, published):
    from openpyxl import load_workbook

    p = published()
    login("leader")
    response = client.get("/disclosure/export.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == p.title and rows[1][-1] == 15500.5


def test_a_visitor_finds_every_communitys_board_from_the_home_page(
    client, region, django_assert_max_num_queries
):
    home = client.get("/").content.decode()
    assert "/disclosure/boards/" in home
    with django_assert_max_num_queries(3):
        page = client.get("/disclosure/boards/")
    html = page.content.decode()
    assert page.status_code == 200 and region.street.name in html
    for community in (region.c1, region.c2):
        assert f"/disclosure/board/{community.pk}/" in html and community.name in html
    assert f"/disclosure/board/{region.grid_a.pk}/" not in html


def test_the_new_item_form_chooses_the_only_community_a_staff_member_publishes_for(client, login, region):
    login("community_staff")  # community 1 only
    html = client.get("/disclosure/new/").content.decode()
    assert f'<option value="{region.c1.pk}" selected>' in html and "---------" not in html
