"""The case pages: queue, case page with its actions, the resident's form and public tracking."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from zhili.cases.models import Case, Channel
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A, OUTSIDE, png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]


def test_the_queue_is_scoped(client, login, walker):
    case = walker.to(S.PENDING)
    login("dispatcher")
    page = client.get("/cases/").content.decode()
    assert case.code in page
    assert case.code in client.get("/cases/", {"q": case.code}).content.decode()
    assert case.code not in client.get("/cases/", {"status": "closed"}).content.decode()
    login("outsider")
    assert case.code not in client.get("/cases/").content.decode()


def test_the_queue_needs_a_login(client):
    assert client.get("/cases/").status_code == 302


def test_the_nav_shows_cases_to_staff(client, login):
    login("dispatcher")
    assert 'href="/cases/"' in client.get("/").content.decode()
    login("auditor")
    assert 'href="/cases/"' not in client.get("/").content.decode()


def test_case_page_404_for_outsiders_and_no_buttons_for_leaders(client, login, walker):
    case = walker.to(S.PENDING)
    login("outsider")
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/act/accept/").status_code == 404
    login("leader")
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200 and case.code in page.content.decode()
    assert f"/cases/{case.pk}/act/" not in page.content.decode()
    assert client.post(f"/cases/{case.pk}/act/accept/").status_code == 403
    assert Case.objects.get(pk=case.pk).status == S.PENDING


def test_the_dispatcher_sees_the_allowed_actions_and_takes_one(client, login, walker, region):
    case = walker.to(S.PENDING)
    login("dispatcher")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    for name in ("accept", "reject", "dispatch", "merge"):
        assert f"/cases/{case.pk}/act/{name}/" in page
    assert f"/cases/{case.pk}/act/sign/" not in page
    response = client.post(f"/cases/{case.pk}/act/dispatch/", {"dispatch-department": region.department.pk})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == S.DISPATCHED


def test_refusals_show_on_the_page_and_change_nothing(client, login, walker):
    case = walker.to(S.PENDING)
    login("dispatcher")
    plain = client.post(f"/cases/{case.pk}/act/dispatch/", {"dispatch-note": "x"})
    assert plain.status_code == 422
    htmx = client.post(
        f"/cases/{case.pk}/act/dispatch/", {"dispatch-note": "x"}, headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 200
    body = htmx.content.decode()
    assert 'id="case-panel"' in body and 'role="alert"' in body and "<html" not in body
    assert Case.objects.get(pk=case.pk).status == S.PENDING
    gone = client.post(f"/cases/{case.pk}/act/sign/", headers={"HX-Request": "true"})
    assert gone.status_code == 403  # a dispatcher never signs


def test_the_handler_resolves_with_a_photo_through_the_page(client, login, walker):
    case = walker.to(S.IN_PROGRESS)
    login("handler")
    photo = SimpleUploadedFile("IMG_0001.png", png_bytes(), content_type="image/png")
    response = client.post(
        f"/cases/{case.pk}/act/resolve/",
        {"resolve-feedback": "已清运完毕", "resolve-photos": [photo]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "已清运完毕" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.RESOLVED and case.attachments.count() == 1


def test_the_resident_rates_on_the_case_page(client, login, walker):
    case = walker.to(S.VERIFIED)
    login("resident")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/act/rate/" in page
    client.post(f"/cases/{case.pk}/act/rate/", {"rate-rating": "satisfied", "rate-comment": "好"})
    assert Case.objects.get(pk=case.pk).status == S.RATED


# The resident's form --------------------------------------------------------------------------------


def report(client, **overrides):
    data = {
        "title": "井盖缺失",
        "body": "小区东门井盖丢了",
        "lat": IN_GRID_A[0],
        "lng": IN_GRID_A[1],
        "contact_mobile": "13612345678",
    }
    data.update(overrides)
    return client.post("/cases/new/", data)


def test_anyone_can_report_and_gets_a_tracking_code(client, region):
    assert client.get("/cases/new/").status_code == 200
    response = report(client, photos=SimpleUploadedFile("a.png", png_bytes(), content_type="image/png"))
    assert response.status_code == 302, response.content.decode()[:500]
    case = Case.objects.get()
    assert response["Location"] == "/cases/submitted/" and case.code not in response["Location"]
    assert case.code in client.get("/cases/submitted/").content.decode()
    assert case.channel == Channel.H5 and case.reporter is None and case.grid == region.grid_a
    assert case.attachments.count() == 1


def test_the_form_refuses_what_it_cannot_use(client, region):
    assert report(client, lat="", lng="", address="").status_code == 422
    outside = report(client, lat=OUTSIDE[0], lng=OUTSIDE[1])
    assert outside.status_code == 422 and "辖区" in outside.content.decode()
    assert report(client, contact_mobile="").status_code == 422  # visitors must leave a number
    bad_photo = report(client, photos=SimpleUploadedFile("x.png", b"not a picture", content_type="image/png"))
    assert bad_photo.status_code == 422
    assert Case.objects.count() == 0


@override_settings(ZHILI_SUBMIT_LIMIT=2)
def test_the_form_is_rate_limited_per_client(client, region):
    assert report(client).status_code == 302
    assert report(client).status_code == 302
    assert report(client).status_code == 429
    assert Case.objects.count() == 2


# Public tracking ----------------------------------------------------------------------------------


def test_tracking_page_shows_the_public_timeline(client, walker):
    case = walker.to(S.DISPATCHED)
    page = client.post("/cases/track/", {"code": case.code, "phone4": "5678"})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="public-case"' in text and walker.region.department.name in text
    assert "13912345678" not in text and "dispatcher" not in text
    assert page["Cache-Control"] == "no-store"


def test_tracking_never_looks_up_from_the_url(client, walker):
    """The four digits must not travel in a URL (browser history, proxy and server logs)."""
    case = walker.to(S.DISPATCHED)
    page = client.get("/cases/track/", {"code": case.code, "phone4": "5678"})
    assert page.status_code == 200 and 'id="public-case"' not in page.content.decode()
    assert case.code in page.content.decode()  # the code alone fills in the form
    assert 'method="post"' in page.content.decode()


def test_tracking_page_refuses_wrong_digits_and_locks_after_ten(client, walker):
    case = walker.to(S.PENDING)
    assert client.get("/cases/track/", {"code": case.code}).status_code == 200  # the empty form
    for _ in range(10):
        assert client.post("/cases/track/", {"code": case.code, "phone4": "0000"}).status_code == 404
    assert client.post("/cases/track/", {"code": case.code, "phone4": "5678"}).status_code == 429
    assert client.post("/cases/track/", {"code": case.code, "phone4": "56"}).status_code in (422, 429)


def test_the_reporter_sees_the_answer_but_not_staff_names_or_internal_notes(client, login, walker, region):
    from zhili.cases import actions as a

    case = walker.to(S.IN_PROGRESS)
    a.do_record_contact(case, actor=region.user("handler"), note="居民情绪激动，注意沟通")
    a.do_resolve(case, actor=region.user("handler"), feedback="已更换灯泡")
    login("resident")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "已更换灯泡" in page
    assert "情绪激动" not in page and ">handler<" not in page and "· handler" not in page
    api = client.get(f"/api/v1/cases/{case.pk}").json()
    assert {e["actor"] for e in api["events"]} <= {"", "resident"}
    login("dispatcher")
    assert "情绪激动" in client.get(f"/cases/{case.pk}/").content.decode()


def test_merging_into_an_unknown_code_is_a_form_error_on_the_page(client, login, walker):
    case = walker.to(S.PENDING)
    login("dispatcher")
    htmx = client.post(f"/cases/{case.pk}/act/merge/", {"merge-into": "XXXX"}, HTTP_HX_REQUEST="true")
    # htmx swaps only 2xx answers: the refusal comes back as the panel with its message.
    assert htmx.status_code == 200 and "找不到" in htmx.content.decode()
    plain = client.post(f"/cases/{case.pk}/act/merge/", {"merge-into": "XXXX"})
    assert plain.status_code == 422 and "找不到" in plain.content.decode()
    case.refresh_from_db()
    assert case.status == S.PENDING and case.merged_into_id is None


def test_a_resident_gets_their_own_requests_not_the_workbench(client, login, walker, submit):
    mine = walker.to(S.VERIFIED)
    other = submit(title="别人的诉求")  # a hotline call, not the resident's
    login("resident")
    page = client.get("/cases/").content.decode()
    assert "我的诉求" in page and 'id="my-requests"' in page and mine.code in page
    assert "等待您评价" in page and f"/cases/{mine.pk}/" in page
    # No staff queues, filters, deadlines or export.
    for staff_only in ('id="filters"', 'id="export-link"', "超期", "承办部门"):
        assert staff_only not in page
    assert other.code not in page and "别人的诉求" not in page
    # Staff still get the workbench.
    login("dispatcher")
    assert 'id="filters"' in client.get("/cases/").content.decode()
