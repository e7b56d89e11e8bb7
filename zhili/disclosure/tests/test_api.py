"""The REST twins of the pages under /api/v1/disclosure/."""

from __future__ import annotations

import pytest

from zhili.disclosure.models import Publication
from zhili.disclosure.states import PublicationStatus

from .conftest import pub_values

pytestmark = pytest.mark.django_db
API = "/api/v1/disclosure/"
S = PublicationStatus


def _create(client, region, **overrides):
    body = {**pub_values(**overrides), "node": region.c1.code}
    return client.post(API, body, content_type="application/json")


def test_anyone_lists_public_items_and_residents_see_their_own_too(client, login, region, published, draft):
    public = published(title="公开")
    private = published(title="居民可见", audience="residents")
    draft(title="草稿")
    titles = {row["title"] for row in client.get(API).json()}
    assert titles == {public.title}
    login("resident")
    titles = {row["title"] for row in client.get(API, {"community": region.c1.pk}).json()}
    assert titles == {public.title, private.title}
    row = client.get(f"{API}{public.pk}").json()
    assert row["total"] == "15500.50" and row["items"][0] == {"label": "保洁服务费", "amount": "12000.00"}


def test_the_detail_is_404_for_what_the_caller_cannot_see(client, login, region, published, draft):
    private = published(audience="residents")
    d = draft()
    assert client.get(f"{API}{private.pk}").status_code == 404
    assert client.get(f"{API}{d.pk}").status_code == 404
    assert client.get(f"{API}999999").status_code == 404
    login("outsider")
    assert client.get(f"{API}{private.pk}").status_code == 404
    login("leader")
    assert client.get(f"{API}{d.pk}").json()["status"] == "draft"


def test_staff_create_publish_correct_and_withdraw(client, login, region):
    login("community_staff")
    response = _create(client, region)
    assert response.status_code == 201
    pk = response.json()["id"]
    assert client.post(f"{API}{pk}/publish").json()["status"] == "published"
    body = {**pub_values(title="更正后"), "reason": "金额有误"}
    new = client.post(f"{API}{pk}/correct", body, content_type="application/json").json()
    assert new["replaces"] == pk and new["version"] == 2
    assert client.get(f"{API}{pk}").json()["replaced_by"] == new["id"]
    response = client.post(f"{API}{new['id']}/withdraw", {"reason": ""}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    done = client.post(
        f"{API}{new['id']}/withdraw", {"reason": "重复"}, content_type="application/json"
    ).json()
    assert done["status"] == "withdrawn"
    client.logout()
    hidden = client.get(f"{API}{new['id']}").json()
    assert (
        hidden["title"] == "更正后"
        and hidden["body"] == ""
        and hidden["items"] == []
        and hidden["reason"] == "重复"
    )


def test_a_second_publish_is_a_409_with_a_stable_code(client, login, region, published):
    p = published()
    login("community_staff")
    response = client.post(f"{API}{p.pk}/publish")
    assert response.status_code == 409 and response.json()["code"] == "transition_not_allowed"


def test_readers_among_staff_get_403_and_outsiders_404(client, login, region, draft, published):
    d, p = draft(), published(title="已发布")
    login("leader")
    assert _create(client, region).status_code == 403
    assert client.post(f"{API}{d.pk}/publish").status_code == 403
    assert (
        client.post(f"{API}{p.pk}/withdraw", {"reason": "不要"}, content_type="application/json").status_code
        == 403
    )
    login("outsider")
    assert _create(client, region).status_code == 404
    assert client.post(f"{API}{d.pk}/publish").status_code == 404
    assert client.get(f"{API}staff/").status_code == 404
    assert Publication.objects.filter(status=S.DRAFT).count() == 1


def test_writes_need_a_login(client, region, draft):
    d = draft()
    assert client.post(f"{API}{d.pk}/publish").status_code == 401
    assert _create(client, region).status_code == 401


def test_the_staff_list_has_drafts_and_filters(client, login, region, draft, published):
    draft(title="草稿甲")
    published(title="党务", kind="party", items=[])
    login("community_staff")
    rows = client.get(f"{API}staff/").json()
    assert {r["title"] for r in rows} == {"草稿甲", "党务"}
    assert [r["title"] for r in client.get(f"{API}staff/", {"kind": "party"}).json()] == ["党务"]


def test_a_bad_amount_is_a_400_naming_the_line(client, login, region):
    login("community_staff")
    response = _create(client, region, items=[{"label": "保洁", "amount": "12,000.123"}])
    assert response.status_code == 400 and response.json()["code"] == "item_amount_invalid"
    assert not Publication.objects.exists()


def test_the_list_endpoints_read_a_fixed_number_of_queries(client, login, region, published):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhili.disclosure.actions import do_correct_publication

    staff = region.user("community_staff")

    def count(url: str) -> tuple[int, list[dict]]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.json()

    def add(n: int) -> None:
        for i in range(n):
            old = published(title=f"第{i}项")
            do_correct_publication(
                old, actor=staff, reason="金额有误，已更正", **pub_values(title=f"第{i}项（更正）")
            )

    add(1)
    few_public, rows = count(API)
    assert [row["replaces"] is not None for row in rows] == [True]
    login("community_staff")
    few_staff, rows = count(f"{API}staff/")
    replaced = next(row for row in rows if row["status"] == S.CORRECTED)
    assert replaced["replaced_by"] in {row["id"] for row in rows}
    client.logout()
    add(4)
    many_public, rows = count(API)
    assert len(rows) == 5 and many_public == few_public
    login("community_staff")
    many_staff, rows = count(f"{API}staff/")
    assert len(rows) == 10 and many_staff == few_staff
    assert all(row["replaced_by"] for row in rows if row["status"] == S.CORRECTED)
