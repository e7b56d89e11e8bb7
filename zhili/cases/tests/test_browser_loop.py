"""In a real browser, the whole loop through the new pages: a resident with no account reports from
a phone (375 px) with a pin on the map → the dispatcher dispatches it from the workbench queue → the
handler signs and feeds back → the supervisor verifies → the resident rates on the tracking page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from zhili.cases.models import Case
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A, OUTSIDE
from zhili.cases.tests.test_browser import TIMEOUT, act, switch_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def asked_with_pin(response):
    """The similar-cases answer to the request sent with the pin (not to one sent before it)."""
    sent = response.request.post_data or ""
    return "/cases/new/similar/" in response.url and f"lat={IN_GRID_A[0]}" in sent


def test_resident_to_rating_through_the_workbench_and_tracking_page(page, browser_login, region, cats):
    # The resident, on a phone, without an account.
    page.set_viewport_size({"width": 375, "height": 740})
    page.context.grant_permissions(["geolocation"], origin=page.base_url)
    page.context.set_geolocation({"latitude": IN_GRID_A[0], "longitude": IN_GRID_A[1]})
    page.goto(page.base_url + "/cases/new/")
    page.wait_for_selector("#pin-map[data-ready='1']")
    page.fill("[name=title]", "小区路灯不亮")
    page.fill("[name=body]", "3号楼旁的路灯坏了两周。")
    # The pin asks the server for similar open cases (htmx): wait for that answer.
    with page.expect_response(asked_with_pin) as similar:
        page.click("#locate-me")
    similar.value.finished()
    page.wait_for_function("document.getElementById('id_lat').value !== ''")
    assert page.get_attribute("#pin-map", "data-pinned") == "1"
    page.fill("[name=contact_mobile]", "13612345678")
    # Nothing like it is open yet: the page says nothing and lets the resident send. htmx drops
    # its request class only after the answer is swapped in, so the count below is the answer's.
    expect(page.locator("#similar.htmx-request")).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator("#similar .support-button")).to_have_count(0, timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click("#send-report")
    page.wait_for_load_state("networkidle")
    code = page.inner_text("#tracking-code").strip()
    case = Case.objects.get(code=code)
    assert case.status == S.PENDING and case.reporter is None and case.grid == region.grid_a

    # The dispatcher ticks it in the queue and sends it to the department.
    page.set_viewport_size({"width": 1280, "height": 800})
    page = browser_login("dispatcher")
    page.goto(page.base_url + "/cases/?queue=dispatch")
    row = page.locator(f"tr[data-code='{code}']")
    row.locator("input[name=ids]").check()
    page.select_option("#bulk-department", str(region.department.pk))
    with page.expect_response(lambda r: "/cases/bulk-dispatch/" in r.url):
        page.click("#bulk-dispatch")
    page.wait_for_selector("#bulk-summary")
    assert code in page.inner_text("#bulk-summary")
    assert Case.objects.get(pk=case.pk).status == S.DISPATCHED

    # The handler signs, starts and feeds back on the case page.
    page = switch_to(page, browser_login, "handler")
    page.goto(page.base_url + "/cases/?queue=mine")
    page.click(f"tr[data-code='{code}'] a")
    act(page, case, "sign")
    act(page, case, "start")
    act(page, case, "resolve", fields={"feedback": "已更换灯泡，恢复照明"})
    assert Case.objects.get(pk=case.pk).status == S.RESOLVED

    # The supervisor finds it in the verification queue and verifies.
    page = switch_to(page, browser_login, "supervisor")
    page.goto(page.base_url + "/cases/?queue=verify")
    page.click(f"tr[data-code='{code}'] a")
    act(page, case, "verify", fields={"note": "夜间现场查看已亮"})
    assert Case.objects.get(pk=case.pk).status == S.VERIFIED

    # The resident, on the phone again and logged out, rates on the tracking page.
    with page.expect_navigation():
        page.click("header form[action$='/accounts/logout/'] button")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{page.base_url}/cases/track/?code={code}")
    page.fill("[name=phone4]", "5678")
    with page.expect_navigation():
        page.click("#track-form button[type=submit]")
    assert "5678" not in page.url
    page.check("#rate-form input[value=satisfied]")
    page.fill("#rate-form [name=comment]", "很及时")
    with page.expect_navigation():
        page.click("#rate-submit")
    assert page.locator("#rated").is_visible()
    case.refresh_from_db()
    assert case.status == S.RATED
    assert case.evaluations.get().comment == "很及时"
    assert list(case.events.values_list("kind", flat=True)) == [
        "submit", "dispatch", "sign", "start", "resolve", "verify", "rate",
    ]  # fmt: skip


def test_patrol_report_in_three_taps_on_a_phone(page, browser_login, region, cats):
    page.set_viewport_size({"width": 375, "height": 740})
    page.context.grant_permissions(["geolocation"], origin=page.base_url)
    page.context.set_geolocation({"latitude": IN_GRID_A[0], "longitude": IN_GRID_A[1]})
    page = browser_login("grid_worker_a")
    page.goto(page.base_url + "/cases/field/")
    page.click("#patrol-start")  # tap 1
    page.wait_for_selector("#locate-status[data-located='1']")
    page.click(f"text={cats.garbage.name}")  # tap 2
    expect(page.locator("#id_title")).to_have_value(cats.garbage.name, timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    with page.expect_navigation():
        page.click("#patrol-submit")  # tap 3
    case = Case.objects.get()
    assert case.channel == "patrol" and case.grid == region.grid_a and case.category == cats.garbage
    assert case.code in page.inner_text("main")


def test_a_second_resident_adds_their_voice_on_the_map_form(page, region, cats):
    from zhili.cases.models import CaseSupport
    from zhili.cases.tests.walk import Walker

    first = Walker(region, cats).new()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(page.base_url + "/cases/new/")
    page.wait_for_selector("#pin-map[data-ready='1']")
    page.fill("[name=title]", "路灯不亮")
    page.fill("[name=body]", "小区门口路灯坏了")
    page.fill("[name=contact_mobile]", "13700001111")
    # A tap on the map, in the middle of grid A, sets the pin and asks for similar open cases.
    page.click("#pin-map path[data-grid='Grid A']")
    page.wait_for_function("document.getElementById('id_lat').value !== ''")
    lat, lng = float(page.input_value("#id_lat")), float(page.input_value("#id_lng"))
    assert 39.900 < lat < 39.910 and 116.300 < lng < 116.310
    page.wait_for_selector("#similar .support-button")
    page.click("#similar .support-button")
    page.wait_for_selector(".support-done")
    support = CaseSupport.objects.get()
    assert support.case == first and support.contact_mobile_bidx
    assert Case.objects.count() == 1
    # Counted once: the button is done, and a refusal (forced here) is said in the row, not dropped.
    expect(page.locator("#similar .support-button")).to_be_disabled(timeout=TIMEOUT)
    page.evaluate("document.querySelector('#similar .support-button').disabled = false")
    page.click("#similar .support-button")
    expect(page.locator("#similar .support-result [role=alert]")).to_have_count(1, timeout=TIMEOUT)
    assert CaseSupport.objects.count() == 1
    # The phone is far outside the street: the page says so at once and keeps the grids in view.
    page.context.grant_permissions(["geolocation"], origin=page.base_url)
    page.context.set_geolocation({"latitude": OUTSIDE[0], "longitude": OUTSIDE[1]})
    page.click("#locate-me")
    expect(page.locator("#pin-map[data-outside]")).to_have_count(1, timeout=TIMEOUT)
    expect(page.locator("#locate-status")).not_to_have_text("", timeout=TIMEOUT)


def test_an_operator_logs_a_call_with_the_keyboard_alone(page, browser_login, region, cats):
    from zhili.cases.tests.walk import Walker

    earlier = Walker(region, cats).new()  # the caller's earlier request, still open
    page = browser_login("dispatcher")
    page.goto(page.base_url + "/cases/hotline/")
    # The number field has the focus: the operator types as the caller speaks, Tab to go on.
    page.keyboard.type("139 1234 5678")
    page.keyboard.press("Tab")
    expect(page.locator("#caller-cases")).to_contain_text(earlier.code, timeout=TIMEOUT)
    page.keyboard.type("李先生")
    page.keyboard.press("Tab")
    page.keyboard.type("夜间施工噪音")
    page.keyboard.press("Tab")
    page.keyboard.type("工地每晚施工到十二点，影响休息。")
    page.keyboard.press("Tab")
    page.keyboard.type("Community 1")
    page.select_option("#id_area", str(region.c1.pk))
    page.focus("#id_body")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    case = Case.objects.exclude(pk=earlier.pk).get()
    assert case.channel == "hotline" and case.title == "夜间施工噪音"
    expect(page.locator("#hotline-logged")).to_contain_text(case.code)
    expect(page.locator("#hotline-today")).to_contain_text("夜间施工噪音")
    assert page.evaluate("document.activeElement.id") == "id_caller_phone"  # ready for the next call
