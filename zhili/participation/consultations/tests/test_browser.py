"""In a real browser on a phone: a resident supports a proposal, follows the topic, sees late work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from zhili.core.testing import PASSWORD
from zhili.participation.consultations import actions
from zhili.participation.consultations.models import Follow, Milestone, Support

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
PHONE = {"width": 375, "height": 812}
# expect() waits 5 s by default; the machine that runs the suite may be busy.
TIMEOUT = 30_000


def _phone_login(browser, live_server, user):
    """A phone-sized browser logged in as ``user`` through the login form: (context, page)."""
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(15000)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login-box button[type=submit]")
    page.wait_for_load_state("networkidle")
    return phone, page


def test_resident_supports_a_proposal_and_follows_the_topic_on_a_phone(browser, live_server, consulting):
    topic = consulting.topic
    author, resident = consulting.residents
    first = actions.do_submit_proposal(topic, title="电梯加装在北侧", body="北侧空间大", actor=author)
    second = actions.do_submit_proposal(topic, title="按楼层分摊费用", body="一楼不出资", actor=author)
    actions.do_set_support(first, supported=True, actor=author)

    phone, page = _phone_login(browser, live_server, resident)

    page.goto(f"{live_server.url}/consultations/")
    page.click(f"text={topic.title}")
    # Proposals come most supported first. The click returns once the topic page starts loading, and
    # all_inner_texts() does not wait, so wait for the list itself.
    titles = page.locator("#proposals article .title")
    expect(titles).to_have_text(["电梯加装在北侧", "按楼层分摊费用"], timeout=TIMEOUT)

    box = page.locator(f"#support-{second.pk}")
    box.locator("button").click()
    page.wait_for_selector(f"#support-{second.pk} button[aria-pressed=true]")
    assert page.inner_text(f"#support-{second.pk} [data-count]") == "1"
    assert Support.objects.filter(proposal=second, user=resident).count() == 1

    page.click("#follow-button")
    page.wait_for_selector("#follow-button[aria-pressed=true]")
    assert "已关注" in page.inner_text("#follow-box")
    assert Follow.objects.filter(topic=topic, user=resident).exists()

    # After a reload both stay as they were, and nothing is wider than the phone.
    page.reload()
    assert page.get_attribute(f"#support-{second.pk} button", "aria-pressed") == "true"
    assert page.get_attribute("#follow-button", "aria-pressed") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Withdrawing the support is the same button.
    page.locator(f"#support-{second.pk} button").click()
    page.wait_for_selector(f"#support-{second.pk} button[aria-pressed=false]")
    assert not Support.objects.filter(proposal=second, user=resident).exists()
    phone.close()


def test_resident_sees_late_and_overdue_milestones_on_a_phone(browser, live_server, decided, staff):
    design = Milestone.objects.filter(decision=decided.decision).order_by("due_on").first()
    actions.do_update_milestone(design, percent=100, actor=staff, today=design.due_on + timedelta(days=4))
    notice = actions.do_add_milestone(
        decided.decision, title="公示方案", due_on=timezone.localdate() - timedelta(days=1), actor=staff
    )
    resident = decided.residents[0]

    phone, page = _phone_login(browser, live_server, resident)

    page.goto(f"{live_server.url}/consultations/{decided.topic.pk}/")
    expect(page.locator(f"#milestone-{design.pk} [data-late=finished]")).to_have_text(
        "逾期完成 4 天", timeout=TIMEOUT
    )
    expect(page.locator(f"#milestone-{notice.pk} [data-late=overdue]")).to_have_text("已逾期 1 天")
    expect(page.locator("#outcome .late-counts")).to_contain_text("1 个节点已逾期")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.close()
