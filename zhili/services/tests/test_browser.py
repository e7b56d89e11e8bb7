"""In a real browser on a phone-sized screen: a grid worker works through their service tasks; the
overview draws its chart."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from zhili.residents.models import Visit
from zhili.services.actions import do_generate_outreach
from zhili.services.models import OutreachTask
from zhili.services.states import TaskStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# expect() waits 5 s by default; the machine that runs the suite may be busy.
TIMEOUT = 30_000


@pytest.fixture(autouse=True)
def _views_imported():
    # Import every page module before the browser's first request: on a busy machine importing the
    # whole URLconf inside that request can take longer than the page timeout.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


def test_a_grid_worker_records_outreach_on_a_phone(browser_login, region, people, service):
    service(name="残疾人两项补贴", tag_codes=["disabled"])
    service(name="独居老人每月探访", tag_codes=["elderly_alone"], interval_days=30)
    do_generate_outreach()
    page = browser_login("grid_worker_a")
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(page.base_url + "/services/tasks/")
    links = page.locator("a.task-link")
    expect(links).to_have_count(2, timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert "赵明" not in page.content()

    links.first.click()
    page.wait_for_load_state("networkidle")
    unreachable = page.locator("button[name=outcome][value=unreachable]")
    box = unreachable.bounding_box()
    assert box is not None and box["width"] >= 300 and box["height"] >= 48  # a thumb-sized button
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    unreachable.click()  # without a note: refused, in Chinese
    page.wait_for_load_state("networkidle")
    expect(page.locator(".errorlist")).to_contain_text("请说明", timeout=TIMEOUT)
    page.fill("textarea[name=note]", "敲门无人应答，电话未接通")
    page.locator("button[name=outcome][value=unreachable]").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/services/tasks/")

    page.locator("a.task-link").first.click()
    page.wait_for_load_state("networkidle")
    page.click("button[name=outcome][value=applied]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("a.task-link")).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator("#done-tasks .past-task")).to_have_count(2, timeout=TIMEOUT)

    tasks = OutreachTask.objects.filter(grid=region.grid_a)
    assert {t.outcome for t in tasks} == {"unreachable", "applied"}
    assert all(t.status == TaskStatus.DONE for t in tasks)
    assert Visit.objects.filter(pk__in=[t.visit_id for t in tasks]).count() == 2


def test_the_overview_draws_its_chart(browser_login, region, people, service):
    service(name="独居老人每月探访", tag_codes=["elderly_alone"], interval_days=30)
    do_generate_outreach()
    page = browser_login("leader")
    page.goto(page.base_url + "/services/overview/")
    page.wait_for_selector("#overview-chart[data-ready='1'] canvas")
    assert page.locator("#overview-table tbody tr").count() == 3
