"""In a real browser on a phone-sized screen: the public board without login, a finance item with
its total and correction notice; then a resident asks a question on their board."""

from __future__ import annotations

import pytest

from zhili.disclosure import actions
from zhili.disclosure.models import Question

from .conftest import pub_values

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TIMEOUT = 30_000


@pytest.fixture(autouse=True)
def _views_imported():
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


def test_the_board_on_a_phone_and_a_residents_question(page, browser_login, region, published):
    from playwright.sync_api import expect

    old = published()
    new = actions.do_correct_publication(
        old,
        actor=region.user("community_staff"),
        reason="绿化养护金额录入有误",
        **pub_values(
            items=[{"label": "保洁服务费", "amount": "12000"}, {"label": "绿化养护", "amount": "3050.5"}]
        ),
    )
    published(title="仅居民可见的意见征集结果", audience="residents", kind="community", items=[])
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(page.base_url + f"/disclosure/board/{region.c1.pk}/")
    items = page.locator("li.board-item")
    expect(items).to_have_count(1, timeout=TIMEOUT)  # residents-only item hidden without login
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    items.first.locator("a.item-link").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/disclosure/items/{new.pk}/")
    expect(page.locator("#total")).to_have_text("15050.50", timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("link", name="查看更正前的版本").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#corrected-notice")).to_contain_text("绿化养护金额录入有误", timeout=TIMEOUT)

    browser_login("resident")
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(page.base_url + "/disclosure/board/")
    expect(page.locator("li.board-item")).to_have_count(2, timeout=TIMEOUT)
    page.locator("a.item-link", has_text="财务").first.click()
    page.wait_for_load_state("networkidle")
    page.fill("#ask-form textarea[name=text]", "保洁服务费是按月支付的吗？")
    page.click("#ask-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".messages")).to_be_visible(timeout=TIMEOUT)
    assert Question.objects.get().publication_id == new.pk
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
