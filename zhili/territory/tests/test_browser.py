from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_community_staff_clicks_a_grid_on_the_map_and_sees_its_card(browser_login, region):
    page = browser_login("community_staff")
    page.goto(page.base_url + "/territory/map/")
    page.wait_for_selector("#map[data-ready='1']")
    polygons = page.locator("path.zhili-grid")
    assert polygons.count() == 2  # grids A and B of community 1, nothing else
    assert page.locator(".zhili-grid-label", has_text="Grid B").is_visible()
    page.locator(f"path.zhili-grid[data-grid-id='{region.grid_b.pk}']").click()
    card = page.locator("#grid-card .grid-card")
    card.wait_for()
    assert card.locator("h2").inner_text() == "Grid B"
    assert "Community 1" in card.inner_text()
    assert "grid_worker_b" in card.inner_text()


def test_map_works_on_a_phone_sized_screen(browser, live_server, region):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/accounts/login/")
        page.fill("input[name=username]", "grid_worker_a")
        page.fill("input[name=password]", "correct-horse-battery-staple")
        page.click("form.login-box button[type=submit]")
        page.goto(live_server.url + "/territory/map/")
        page.wait_for_selector("#map[data-ready='1']")
        page.locator("path.zhili-grid").first.click()
        page.locator("#grid-card .grid-card h2").wait_for()
        assert page.locator("#grid-card .grid-card h2").inner_text() == "Grid A"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
    finally:
        context.close()
