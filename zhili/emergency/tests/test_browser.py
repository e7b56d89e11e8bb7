"""In a real browser on a phone-sized screen: a grid worker checks a household and asks for help."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from zhili.cases.models import Case
from zhili.emergency.actions import do_mobilise, do_transition_alert
from zhili.emergency.models import CheckTask
from zhili.emergency.states import AlertTransition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# expect() waits 5 s by default; the machine that runs the suite may be busy.
TIMEOUT = 30_000


@pytest.fixture(autouse=True)
def _views_imported():
    # Import every page module before the browser's first request: on a busy machine importing the
    # whole URLconf inside that request can take longer than the page timeout.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


def test_a_grid_worker_completes_check_tasks_on_a_phone(browser_login, region, approved, people):
    alert = do_transition_alert(approved(), AlertTransition.SEND, actor=region.user("dispatcher"))
    do_mobilise(alert, actor=region.user("dispatcher"), tag_codes=["elderly_alone", "disabled"])
    page = browser_login("grid_worker_a")
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(page.base_url + "/emergency/tasks/")
    links = page.locator("a.task-link")
    assert links.count() == 2  # grid A's two households; grid B's are not shown
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # First household: needs help, with a note → an emergency case.
    links.first.click()
    page.wait_for_load_state("networkidle")
    help_button = page.locator("button[name=outcome][value=needs_help]")
    box = help_button.bounding_box()
    assert box is not None and box["width"] >= 300 and box["height"] >= 48  # a thumb-sized button
    page.fill("textarea[name=note]", "一楼进水，老人需要转移")
    help_button.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/emergency/tasks/")

    # Second household: safe.
    page.locator("a.task-link:has(.outcome-open)").first.click()
    page.wait_for_load_state("networkidle")
    page.click("button[name=outcome][value=safe]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".outcome-open").count() == 0

    tasks = {t.household_id: t for t in CheckTask.objects.filter(alert=alert, grid=region.grid_a)}
    assert {t.outcome for t in tasks.values()} == {"needs_help", "safe"}
    helped = next(t for t in tasks.values() if t.outcome == "needs_help")
    case = Case.objects.get(pk=helped.case_id)
    assert case.urgency == "emergency" and case.body == "一楼进水，老人需要转移"


def test_past_checks_fit_a_phone_after_the_alert_expired(browser_login, region, approved, people):
    from zhili.emergency.actions import do_expire_alerts, do_record_check

    alert = do_transition_alert(approved(), AlertTransition.SEND, actor=region.user("dispatcher"))
    do_mobilise(alert, actor=region.user("dispatcher"), tag_codes=["elderly_alone", "disabled"])
    task = CheckTask.objects.filter(alert=alert, grid=region.grid_a).first()
    assert task is not None
    do_record_check(task, actor=region.user("grid_worker_a"), outcome="needs_help", note="一楼进水" * 30)
    do_expire_alerts(now=alert.expires)
    page = browser_login("grid_worker_a")
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(page.base_url + "/emergency/tasks/")
    expect(page.locator("#past-tasks .past-task")).to_have_count(2, timeout=TIMEOUT)
    assert page.locator("a.task-link").count() == 0
    expect(page.locator("#past-tasks .outcome-needs_help")).to_be_visible(timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_dispatcher_draws_the_area_on_the_map_and_the_board_draws_its_chart(
    browser_login, region, approved, people
):
    from zhili.emergency.models import Alert
    from zhili.territory.geometry import parse_boundary

    page = browser_login("dispatcher")
    page.goto(page.base_url + "/emergency/alerts/new/")
    page.select_option("select[name=node]", str(region.street.pk))
    page.fill("input[name=event]", "暴雨")
    page.fill("input[name=headline]", "暴雨橙色预警")
    page.wait_for_selector("#area-map[data-ready='1']")
    page.locator("#area-map").scroll_into_view_if_needed()
    box = page.locator("#area-map").bounding_box()
    for fx, fy in ((0.35, 0.4), (0.5, 0.4), (0.5, 0.6), (0.35, 0.6)):
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    # area.js writes the polygon into the hidden field as the corners are clicked.
    polygon = page.locator("input[name=polygon]")
    expect(polygon).to_have_value(re.compile(r'^\{"type":"Polygon"'), timeout=TIMEOUT)
    page.click("#alert-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    alert = Alert.objects.get(headline="暴雨橙色预警")
    shape = parse_boundary(alert.polygon)
    assert len(alert.polygon["coordinates"][0]) == 5 and shape.area > 0
    page.wait_for_selector("#area-map[data-ready='1']")

    sent = approved()
    do_transition_alert(sent, AlertTransition.SEND, actor=region.user("dispatcher"))
    do_mobilise(sent, actor=region.user("dispatcher"), tag_codes=["elderly_alone"])
    page.goto(f"{page.base_url}/emergency/alerts/{sent.pk}/board/")
    page.wait_for_selector("#board-chart[data-ready='1'] canvas")
    assert page.locator("#board-table tbody tr").count() == 2
