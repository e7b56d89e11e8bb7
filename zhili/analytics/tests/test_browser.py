"""In a real browser: a leader opens the cockpit, sees the charts and the map, drills into a category
and into a grid; the big screen fits a laptop and a phone."""

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


def _screen_fits(page, width, height):
    """No sideways scrolling, the last box inside the window, the 16:9 frame kept and the charts
    filling their boxes."""
    page.wait_for_function(f"document.documentElement.clientWidth === {width}")
    # The page reacts to the new size before the next frames are drawn.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    root = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    assert root["scroll"] <= root["client"], root
    last = page.locator(".screen-box").last.bounding_box()
    assert last is not None
    assert last["x"] >= 0 and last["x"] + last["width"] <= width, last
    assert last["y"] >= 0 and last["y"] + last["height"] <= height, last
    frame = page.locator("#screen").bounding_box()
    assert frame is not None
    assert abs(frame["width"] / frame["height"] - 1920 / 1080) < 0.01, frame
    assert frame["width"] >= width - 2 or frame["height"] >= height - 2, frame  # fills one side
    for chart in ("trend", "categories", "satisfaction"):
        box = page.locator(f"[data-chart={chart}]").bounding_box()
        canvas = page.locator(f"[data-chart={chart}] canvas").first.bounding_box()
        assert box is not None and canvas is not None and box["width"] > 0
        assert abs(canvas["width"] - box["width"]) < 1 and abs(canvas["height"] - box["height"]) < 1


@pytest.mark.parametrize(
    ("first", "then"),
    [((1366, 768), (390, 844)), ((390, 844), (1366, 768))],
    ids=["laptop-then-phone", "phone-then-laptop"],
)
def test_the_big_screen_fits_a_laptop_and_a_phone_without_scrolling_sideways(
    browser_login, region, cats, first, then
):
    World(region, cats).submit(0, 0)
    page = browser_login("leader")
    page.set_viewport_size({"width": first[0], "height": first[1]})
    page.goto(page.base_url + "/analytics/screen/")
    for chart in ("trend", "categories", "satisfaction"):
        page.wait_for_selector(f"[data-chart={chart}][data-ready='1'] canvas", state="attached")
    page.wait_for_selector("#cockpit-map[data-ready='1']")
    _screen_fits(page, *first)
    # Turning the phone or resizing the window fits the frame again.
    page.set_viewport_size({"width": then[0], "height": then[1]})
    _screen_fits(page, *then)
    # The minute's refresh replaces the frame; the new one fits as well.
    page.evaluate("document.querySelector('#screen [data-chart=trend]').removeAttribute('data-ready')")
    refresh = "{target: '#screen', select: '#screen', swap: 'outerHTML'}"
    page.evaluate(f"htmx.ajax('GET', location.href, {refresh})")
    page.wait_for_selector("[data-chart=trend][data-ready='1'] canvas", state="attached")
    _screen_fits(page, *then)
