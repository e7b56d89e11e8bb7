"""In a real browser: the dispatcher corrects the category while dispatching, and the handler, on a
phone, records the first contact with the resident from the case page (both swap the panel)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from zhili.cases import actions as a
from zhili.cases.models import Case, Channel
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A
from zhili.cases.tests.test_browser import TIMEOUT, act, switch_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dispatcher_corrects_the_category_and_the_handler_records_the_contact(
    browser_login, region, cats
):
    case = a.do_submit_case(
        actor=region.user("resident"),
        channel=Channel.H5,
        title="路灯不亮",
        body="小区门口路灯坏了一周。",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        category=cats.pile,  # the resident's guess, wrong
        contact_mobile="13912345678",
    )
    page = browser_login("dispatcher")
    page.goto(f"{page.base_url}/cases/{case.pk}/")
    act(
        page,
        case,
        "dispatch",
        selects={"department": str(region.department.pk), "category": str(cats.light.pk)},
    )
    expect(page.locator("#case-panel .timeline")).to_contain_text(
        "分类更正：Piled-up garbage → Street lights", timeout=TIMEOUT
    )
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == S.DISPATCHED and stored.category == cats.light
    assert stored.category_source == "dispatcher"

    page = switch_to(page, browser_login, "handler")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{page.base_url}/cases/{case.pk}/")
    act(page, case, "sign")
    expect(page.locator("#contact-due")).to_be_visible(timeout=TIMEOUT)
    page.locator("#record-contact summary").click()
    page.fill("#contact-note", "已电话联系居民")
    with page.expect_response(lambda r: "/contacted/" in r.url):
        page.locator("#record-contact button[type=submit]").click()
    expect(page.locator("#contact-due")).to_contain_text("已联系", timeout=TIMEOUT)
    expect(page.locator("#case-panel .timeline")).to_contain_text("已电话联系居民", timeout=TIMEOUT)
    assert Case.objects.get(pk=case.pk).contacted_at is not None
    # The page still fits the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
