from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# expect() waits 5 s by default; the machine that runs the suite may be busy.
TIMEOUT = 30_000


def test_community_staff_clicks_a_grid_on_the_map_and_sees_its_card(browser_login, region):
    page = browser_login("community_staff")
    page.goto(page.base_url + "/territory/map/")
    page.wait_for_selector("#map[data-ready='1']")
    polygons = page.locator("path.zhili-grid")
    expect(polygons).to_have_count(2, timeout=TIMEOUT)  # grids A and B of community 1, nothing else
    expect(page.locator(".zhili-grid-label", has_text="Grid B")).to_be_visible(timeout=TIMEOUT)
    page.locator(f"path.zhili-grid[data-grid-id='{region.grid_b.pk}']").click()
    # The card comes in through htmx after the click.
    card = page.locator("#grid-card .grid-card")
    expect(card.locator("h2")).to_have_text("Grid B", timeout=TIMEOUT)
    expect(card).to_contain_text("Community 1", timeout=TIMEOUT)
    expect(card).to_contain_text("grid_worker_b", timeout=TIMEOUT)


def test_map_works_on_a_phone_sized_screen(browser, live_server, region):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/accounts/login/")
        page.fill("input[name=username]", "grid_worker_a")
        page.fill("input[name=password]", "correct-horse-battery-staple")
        with page.expect_navigation():  # logged in before the next page is asked for
            page.click("form.login-box button[type=submit]")
        page.goto(live_server.url + "/territory/map/")
        page.wait_for_selector("#map[data-ready='1']")
        page.locator("path.zhili-grid").first.click()
        expect(page.locator("#grid-card .grid-card h2")).to_have_text("Grid A", timeout=TIMEOUT)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
    finally:
        context.close()
