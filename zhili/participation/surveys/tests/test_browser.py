"""In a real browser: a resident answers a survey on a phone (375×667), the conditional question
appears only after the answer that calls for it; an official sees the live results with charts
and closes the survey."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from zhili.core.testing import PASSWORD
from zhili.participation.surveys.models import Answer, Participation

from .conftest import resident

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
PHONE = {"width": 375, "height": 667}


def log_in(page, base_url, username):
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login-box button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_resident_answers_on_a_phone_and_the_official_sees_results(page, browser, region, build, staff):
    desk = page
    base = page.base_url
    # Generous: the machine that runs the suite may be busy; nothing here measures time.
    page.set_default_timeout(60000)
    survey = build()
    q = survey.q
    user = resident(region.grid_a)

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(60000)
    log_in(page, base, user.username)
    page.goto(f"{base}/surveys/mine/")
    page.click(f"text={survey.title}")
    page.wait_for_selector("#survey-form")
    follow_up = page.locator(f"#q{q['multiple'].pk}")
    # expect() waits for answer.js to react to a click; a bare is_hidden() would race it.
    expect(follow_up).to_be_hidden(timeout=30000)
    page.click(f"#q{q['single'].pk} label.choice:has-text('绿')")
    expect(follow_up).to_be_hidden(timeout=30000)
    page.click(f"#q{q['single'].pk} label.choice:has-text('蓝')")
    expect(follow_up).to_be_visible(timeout=30000)
    page.click(f"#q{q['multiple'].pk} label.choice:has-text('天空')")
    page.click(f"#q{q['multiple'].pk} label.choice:has-text('安静')")
    for option, place in (("停车", "3"), ("绿化", "1"), ("安全", "2")):
        page.select_option(f"#q{q['ranking'].pk} select[aria-label='{option}']", place)
    page.click(f"#q{q['scale'].pk} label.point:has-text('5')")
    page.fill(f"#q{q['text'].pk} textarea", "希望多种树")
    # Nothing on the answering page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("#submit-survey")
    page.wait_for_selector("#thanks")
    assert "感谢" in page.inner_text("#thanks")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    [participation] = Participation.objects.filter(survey=survey)
    assert participation.user_id == user.pk
    stored = {a.question_id: a for a in Answer.objects.filter(response__survey=survey)}
    assert stored[q["single"].pk].choices == [2]
    assert stored[q["multiple"].pk].choices == [0, 2]
    assert stored[q["ranking"].pk].choices == [1, 2, 0]
    assert stored[q["scale"].pk].number == 5

    # Back on the list, the survey is marked as answered and cannot be answered again.
    page.goto(f"{base}/surveys/mine/")
    assert "已填写" in page.inner_text("#my-surveys")
    page.goto(f"{base}/surveys/{survey.pk}/answer/")
    assert "每位居民只能填写一次" in page.inner_text("#thanks")
    phone.close()

    office = desk  # the desktop-sized page of the fixture
    log_in(office, base, staff.username)
    office.goto(f"{base}/surveys/{survey.pk}/")
    office.click("#results-link")
    office.wait_for_selector(f"[data-chart='{q['single'].pk}'] canvas")
    assert office.inner_text("#response-count") == "1"
    office.goto(f"{base}/surveys/{survey.pk}/")
    office.click("#close")
    office.wait_for_load_state("networkidle")
    assert office.inner_text("#status") == "已结束"


def test_official_publishes_results_and_a_resident_reads_them_on_a_phone(page, browser, region, build, staff):
    from zhili.participation.surveys import actions

    from .conftest import good_answers

    base = page.base_url
    page.set_default_timeout(60000)
    survey = build()
    for i in range(6):
        actions.do_submit_response(
            survey,
            actor=resident(region.grid_a),
            answers=good_answers(survey, colour=i % 3, text="路灯太暗了"),
        )
    actions.do_close_survey(survey, actor=staff)

    # The official publishes from the results page, confirming the dialog.
    log_in(page, base, staff.username)
    page.goto(f"{base}/surveys/{survey.pk}/results/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#publish-results button")
    page.wait_for_selector("#published-note")

    user = resident(region.grid_b)
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.set_default_timeout(60000)
    log_in(mobile, base, user.username)
    mobile.goto(f"{base}/surveys/mine/")
    mobile.click(f"#published-results >> text={survey.title}")
    mobile.wait_for_selector(f"[data-chart='{survey.q['single'].pk}'] canvas")
    mobile.wait_for_selector(f"[data-chart='{survey.q['scale'].pk}'] canvas")
    assert mobile.inner_text("#response-count") == "6"
    assert "路灯太暗了" not in mobile.content()
    # Charts, tables and the cross-tab all fit the phone: no sideways scrolling of the page.
    assert mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.close()
