"""In a real browser: a leader opens the cockpit, sees the charts and the map, drills into a category
and into a grid."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from zhili.analytics.tests.test_rollups import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# expect() waits 5 s by default; the machine that runs the suite may be busy.
TIMEOUT = 30_000


def test_a_leader_opens_the_cockpit_and_drills_into_a_grid(browser_login, region, cats):
    w = World(region, cats)
    w.submit(0, 0)  # grid A, garbage
    w.submit(0, 0)
    w.submit(1, 1)  # grid C, street lights
    page = browser_login("leader")
    page.goto(page.base_url + "/analytics/")
    assert page.locator("#cockpit-node").inner_text() == region.street.name
    assert page.locator("[data-kpi=received]").inner_text() == "3"
    # ECharts drew the charts (a canvas each) and Leaflet drew the three grids.
    for chart in ("trend", "categories", "departments", "satisfaction", "grids"):
        page.wait_for_selector(f"[data-chart={chart}][data-ready='1'] canvas", state="attached")
    page.wait_for_selector("#cockpit-map[data-ready='1']")
    assert page.locator("#cockpit-map path[data-grid-id]").count() == 3

    # The table view of the trend, and back.
    trend = page.locator("#tile-trend")
    trend.locator("[data-toggle-table]").click()
    expect(trend.locator(".tile-table")).to_be_visible(timeout=TIMEOUT)
    expect(trend.locator("[data-chart=trend]")).to_be_hidden(timeout=TIMEOUT)

    # Categories: one level down (htmx swaps the tile in place).
    categories = page.locator("#tile-categories")
    categories.locator("[data-toggle-table]").click()
    with page.expect_response(lambda r: "/analytics/categories/" in r.url):
        categories.locator(".tile-table a", has_text="Environment").click()
    page.wait_for_selector("#tile-categories nav.crumbs >> text=Environment")
    assert "Garbage" in page.locator("#tile-categories").inner_text()

    # A click on grid A on the map opens grid A's cockpit.
    with page.expect_navigation():
        page.locator(f"#cockpit-map path[data-grid-id='{region.grid_a.pk}']").click()
    assert page.locator("#cockpit-node").inner_text() == region.grid_a.name
    assert page.locator("[data-kpi=received]").inner_text() == "2"


def test_a_period_without_cases_says_so_and_the_table_switch_can_be_seen(browser_login, region, cats):
    page = browser_login("leader")
    page.goto(page.base_url + "/analytics/?period=custom&start=2020-01-01&end=2020-01-31")
    # Every chart without figures carries the text instead of bare axes.
    for chart in ("trend", "categories", "departments", "satisfaction", "grids"):
        page.wait_for_selector(f"[data-chart={chart}][data-ready='1'][data-empty='1']", state="attached")
    # The switch to the table view is drawn in the link colour, not white on the white tile.
    colour = page.locator("#tile-trend [data-toggle-table]").evaluate("el => getComputedStyle(el).color")
    assert colour != "rgb(255, 255, 255)"
