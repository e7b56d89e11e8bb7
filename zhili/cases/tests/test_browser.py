"""In a real browser: resident reports → dispatcher dispatches → handler resolves → supervisor verifies →
resident rates."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from zhili.cases.models import Case
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# expect() waits 5 s by default; the machine that runs the suite may be busy.
TIMEOUT = 30_000


def act(page, case, name, fields=None, selects=None):
    """Open the action's fold on the case page, fill it in and send it (htmx swaps the panel)."""
    form = page.locator(f"form[action$='/cases/{case.pk}/act/{name}/']")
    page.locator("details", has=form).locator("summary").click()
    for field, value in (fields or {}).items():
        form.locator(f"[name='{name}-{field}']").fill(value)
    for field, value in (selects or {}).items():
        form.locator(f"select[name='{name}-{field}']").select_option(value)
    sent = form.element_handle()
    with page.expect_response(lambda r: f"/act/{name}/" in r.url):
        form.locator("button[type=submit]").click()
    # The response is in, but htmx swaps the panel a moment later ("networkidle" has long fired on
    # this page and does not wait for it): wait until the form that was sent has been swapped out.
    page.wait_for_function("form => !form.isConnected", arg=sent)


def switch_to(page, browser_login, persona):
    """Log out (the login page sends logged-in users away) and log in as someone else."""
    with page.expect_navigation():
        page.click("header form[action$='/accounts/logout/'] button")
    return browser_login(persona)


def test_a_request_goes_round_the_loop_in_the_browser(browser_login, region, cats):
    page = browser_login("resident")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(page.base_url + "/cases/new/")
    page.fill("[name=title]", "小区路灯不亮")
    page.fill("[name=body]", "3号楼旁的路灯坏了两周。")
    # The phone is in grid A and lets the page read its position.
    page.context.grant_permissions(["geolocation"], origin=page.base_url)
    page.context.set_geolocation({"latitude": IN_GRID_A[0], "longitude": IN_GRID_A[1]})
    page.click("#locate-me")
    page.wait_for_function("document.getElementById('id_lat').value !== ''")
    page.click("form.panel button[type=submit]")
    page.wait_for_load_state("networkidle")
    code = page.inner_text("#tracking-code").strip()
    case = Case.objects.get(code=code)
    assert case.status == S.PENDING and case.reporter == region.user("resident")

    page = switch_to(page, browser_login, "dispatcher")
    page.goto(f"{page.base_url}/cases/{case.pk}/")
    act(page, case, "dispatch", selects={"department": str(region.department.pk)})
    assert Case.objects.get(pk=case.pk).status == S.DISPATCHED
    expect(page.locator("#case-panel")).to_contain_text(region.department.name, timeout=TIMEOUT)

    page = switch_to(page, browser_login, "handler")
    page.goto(f"{page.base_url}/cases/{case.pk}/")
    act(page, case, "sign")
    act(page, case, "start")
    act(page, case, "resolve", fields={"feedback": "已更换灯泡，恢复照明"})
    assert Case.objects.get(pk=case.pk).status == S.RESOLVED

    page = switch_to(page, browser_login, "supervisor")
    page.goto(f"{page.base_url}/cases/{case.pk}/")
    act(page, case, "verify", fields={"note": "夜间现场查看已亮"})
    assert Case.objects.get(pk=case.pk).status == S.VERIFIED

    page = switch_to(page, browser_login, "resident")
    page.goto(f"{page.base_url}/cases/{case.pk}/")
    act(page, case, "rate", fields={"comment": "很及时"}, selects={"rating": "satisfied"})
    case.refresh_from_db()
    assert case.status == S.RATED
    assert list(case.events.values_list("kind", flat=True)) == [
        "submit", "dispatch", "sign", "start", "resolve", "verify", "rate",
    ]  # fmt: skip
    expect(page.locator("#case-panel")).to_contain_text("很及时", timeout=TIMEOUT)
