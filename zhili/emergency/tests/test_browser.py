"""In a real browser on a phone-sized screen: a grid worker checks a household and asks for help."""

from __future__ import annotations

import pytest

from zhili.cases.models import Case
from zhili.emergency.actions import do_mobilise, do_transition_alert
from zhili.emergency.models import CheckTask
from zhili.emergency.states import AlertTransition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
