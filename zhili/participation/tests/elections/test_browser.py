"""In a real browser: a resident votes on a phone and keeps the tracker; an official closes the
election and publishes the results; the tracker is found on the public board."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from zhili.core.testing import PASSWORD
from zhili.participation.elections import actions

from .conftest import choices

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
PHONE = {"width": 375, "height": 812}
# expect() waits 5 s by default; the machine that runs the suite may be busy.
TIMEOUT = 30_000


def log_in(page, base_url, username):
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login-box button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_resident_votes_on_a_phone_and_the_tracker_is_on_the_board(browser, live_server, build, staff):
    setup = build(voters=3)
    election = setup.election
    actions.do_cast_ballot(election, actor=setup.voters[1], choices=choices(setup, 主任=[0]))
    voter = setup.voters[0]
    chosen = setup.candidates["主任"][1]

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(60000)
    log_in(page, live_server.url, voter.username)
    page.goto(f"{live_server.url}/participation/elections/")
    page.click(f"text={election.title}")
    page.click("#vote-link")
    # The click returns once the ballot page starts loading; content() would read it half-parsed.
    expect(page.locator("h1")).to_contain_text("我的选票", timeout=TIMEOUT)
    page.click(f"label.choice:has-text('{chosen.person.name}')")
    with page.expect_navigation():
        page.click("#cast")
    tracker = page.inner_text("#tracker").strip()
    assert len(tracker) == 64
    # Nothing on the receipt is wider than the phone (measured once its stylesheets have loaded).
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.close()

    desktop = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    office = desktop.new_page()
    office.set_default_timeout(60000)
    log_in(office, live_server.url, staff.username)
    office.goto(f"{live_server.url}/participation/elections/{election.pk}/")
    office.click("#close-voting")
    office.wait_for_load_state("networkidle")
    assert "投票已结束" in office.content()
    office.click("#publish-results")
    office.wait_for_load_state("networkidle")
    assert office.inner_text("#status") == "结果已公布"
    assert chosen.person.name in office.inner_text("#results")
    desktop.close()

    public = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
    board = public.new_page()
    board.goto(f"{live_server.url}/participation/elections/{election.pk}/board/")
    board.fill("#tracker-input", tracker)
    board.click("form.filters button[type=submit]")
    board.wait_for_load_state("networkidle")
    result = board.locator("#lookup-result")
    assert "ok" in (result.get_attribute("class") or "")
    assert chosen.person.name in result.inner_text()
    public.close()


def test_resident_reads_the_posted_roll_on_a_phone_and_objects_to_a_name(browser, live_server, build):
    from django.utils import timezone

    from zhili.participation.elections.models import Objection

    setup = build(voters=12, status="roll_published", published_on=timezone.localdate())
    voter = setup.voters[0]
    named = setup.persons[5]
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(60000)
    log_in(page, live_server.url, voter.username)
    page.goto(f"{live_server.url}/participation/elections/{setup.election.pk}/")
    page.click("#posted-roll-link")
    expect(page.locator("#posted-roll")).to_contain_text(named.name, timeout=TIMEOUT)
    # Names by grid fit the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with page.expect_navigation():
        page.click(f"#posted-roll a:text-is('{named.name}')")
    expect(page.locator("#objection-about")).to_contain_text(named.name, timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.fill("#objection textarea", "此人已迁往外地")
    with page.expect_navigation():
        page.click("#send-objection")
    expect(page.locator("body")).to_contain_text("已提交选举委员会", timeout=TIMEOUT)
    phone.close()
    objection = Objection.objects.get()
    assert objection.entry.person == named and objection.submitted_by == voter
