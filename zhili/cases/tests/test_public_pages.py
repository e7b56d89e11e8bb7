"""The resident's public pages as a phone user meets them: the thank-you page survives a reload, a
second tap on +1 is not a second voice, digits typed in full width still find the request, and the
answers sit where a phone shows them."""

from __future__ import annotations

import re

import pytest

from zhili.cases import actions as a
from zhili.cases.models import Case, CaseSupport
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]


REPORT = {
    "title": "井盖缺失",
    "body": "小区东门井盖丢了",
    "lat": IN_GRID_A[0],
    "lng": IN_GRID_A[1],
    "contact_mobile": "13612345678",
}


def test_reloading_the_thank_you_page_does_not_send_the_request_again(client, region, cats):
    sent = client.post("/cases/new/", REPORT)
    assert sent.status_code == 302 and sent["Location"] == "/cases/submitted/"
    case = Case.objects.get()
    for _ in range(2):  # the page itself, then a reload
        page = client.get("/cases/submitted/")
        assert page.status_code == 200 and case.code in page.content.decode()
        assert page["Cache-Control"] == "no-store"
    assert Case.objects.count() == 1
    # Another browser has sent nothing: it is sent to the form, and sees no one's code.
    from django.test import Client

    other = Client().get("/cases/submitted/")
    assert other.status_code == 302 and other["Location"] == "/cases/new/"


def test_a_plus_one_needs_a_number_and_a_second_browser_does_not_count_it_again(client, walker):
    from django.test import Client

    case = walker.to(S.PENDING)
    listing = client.post(
        "/cases/new/similar/", {"title": "路灯不亮", "body": "坏了", "lat": IN_GRID_A[0], "lng": IN_GRID_A[1]}
    ).content.decode()
    assert 'hx-target="next .support-result"' in listing and 'class="support-result"' in listing
    token = re.search(r'"token": "([^"]+)"', listing).group(1).encode().decode("unicode_escape")
    nameless = client.post("/cases/new/support/", {"token": token})
    assert nameless.status_code == 422 and "手机号" in nameless.content.decode()
    assert not CaseSupport.objects.exists()
    assert (
        client.post("/cases/new/support/", {"token": token, "contact_mobile": "13700001111"}).status_code
        == 200
    )
    again = client.post("/cases/new/support/", {"token": token, "contact_mobile": "13700001111"})
    assert again.status_code == 422 and 'role="alert"' in again.content.decode()
    # Another browser, the same number: still one voice. Another number: a second one.
    other = Client()
    assert (
        other.post("/cases/new/support/", {"token": token, "contact_mobile": "137 0000 1111"}).status_code
        == 422
    )
    assert other.post("/cases/new/support/", {"token": token}).status_code == 422
    assert (
        other.post("/cases/new/support/", {"token": token, "contact_mobile": "13700002222"}).status_code
        == 200
    )
    assert CaseSupport.objects.filter(case=case).count() == 2


def test_the_report_form_shows_refused_plus_ones_and_the_out_of_area_pin(client, region, cats):
    page = client.get("/cases/new/").content.decode()
    # htmx swaps no 4xx answer by itself: the page lets the refusals of +1 through.
    assert "htmx:beforeSwap" in page and "[409, 422, 429]" in page
    assert "data-outside" in page
    assert 'inputmode="tel"' in page and 'autocomplete="tel"' in page
    assert 'class="check"' in page  # the anonymous box beside its label
    # The category list says "not sure" rather than dashes, and shows which category is inside which.
    assert "不清楚" in page and "---------" not in page and ">· Garbage<" in page


def test_the_report_form_asks_for_the_photos_again_after_an_error(client, region, cats):
    page = client.post("/cases/new/", {**REPORT, "title": ""})
    assert page.status_code == 422 and 'id="photos-again"' in page.content.decode()
    assert 'id="photos-again"' not in client.get("/cases/new/").content.decode()


@pytest.mark.parametrize("digits", ["５６７８", "５6７8", " 5678 "])
def test_full_width_digits_find_the_request(client, walker, digits):
    case = walker.to(S.DISPATCHED)
    page = client.post("/cases/track/", {"code": case.code.lower(), "phone4": digits})
    assert page.status_code == 200 and 'id="public-case"' in page.content.decode()


def test_letters_in_the_digits_are_a_form_error_not_a_failed_guess(client, walker):
    case = walker.to(S.DISPATCHED)
    for _ in range(12):
        page = client.post("/cases/track/", {"code": case.code, "phone4": "56a8"})
        assert page.status_code == 422 and "后四位数字" in page.content.decode()
    # No lock-out: the right digits still work.
    assert client.post("/cases/track/", {"code": case.code, "phone4": "5678"}).status_code == 200
    assert 'inputmode="numeric"' in client.get("/cases/track/").content.decode()


def test_the_rating_answer_comes_before_the_look_up_form(client, walker):
    case = walker.to(S.VERIFIED)
    page = client.post("/cases/track/", {"code": case.code, "phone4": "5678"}).content.decode()
    assert page.index('id="public-case"') < page.index('id="rate-form"') < page.index('id="track-form"')
    # Each choice is a label around its radio (a big tap target), not a bare 13 px circle.
    assert re.search(r'<label for="id_rating_0"><input type="radio"', page)
    rated = client.post(
        "/cases/track/rate/", {"code": case.code, "phone4": "5678", "rating": "satisfied"}
    ).content.decode()
    assert rated.index('id="rated"') < rated.index('id="public-case"') < rated.index('id="track-form"')


def test_the_tracking_page_shows_the_handling_result_with_numbers_masked(client, walker):
    case = walker.to(S.IN_PROGRESS)
    handler, supervisor = walker.u("handler"), walker.u("supervisor")
    before = client.post("/cases/track/", {"code": case.code, "phone4": "5678"}).content.decode()
    assert 'id="public-result"' not in before
    a.do_resolve(case, actor=handler, feedback="第一次答复")
    a.do_send_back(case, actor=supervisor, reason="现场仍有垃圾")
    sent_back = client.post("/cases/track/", {"code": case.code, "phone4": "5678"}).content.decode()
    # A result the supervisor sent back is not the answer any more, and the reason stays internal.
    assert "第一次答复" not in sent_back and "现场仍有垃圾" not in sent_back
    reply = "已清运。如有问题请联系王师傅13812345678，身份证110105199001011234"
    a.do_resolve(case, actor=handler, feedback=reply)
    page = client.post("/cases/track/", {"code": case.code, "phone4": "5678"}).content.decode()
    assert 'id="public-result"' in page and "办理结果" in page
    assert "已清运" in page and "138****5678" in page and "110105********1234" in page
    assert "13812345678" not in page and "110105199001011234" not in page and "第一次答复" not in page


def test_the_report_form_asks_for_a_mobile_not_a_landline(client, region, cats):
    for landline in ("010-12345678", "12345678", "0101234567"):
        page = client.post("/cases/new/", {**REPORT, "contact_mobile": landline})
        assert page.status_code == 422 and "11位手机号" in page.content.decode()
    assert Case.objects.count() == 0
    # Full-width digits and a +86 prefix are the same mobile.
    sent = client.post("/cases/new/", {**REPORT, "contact_mobile": "+86 １３６１２３４５６７８"})
    assert sent.status_code == 302 and Case.objects.count() == 1
