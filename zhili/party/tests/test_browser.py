"""In a real browser on a phone-sized screen: a grid worker records who joined an activity and links
a household to a party member of the grid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from zhili.party.models import Attendance, ContactHousehold

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TIMEOUT = 30_000


@pytest.fixture(autouse=True)
def _views_imported():
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


def test_a_grid_worker_records_attendance_and_a_household_on_a_phone(browser_login, region, party):
    page = browser_login("grid_worker_a")
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(page.base_url + f"/party/activities/{party.held.pk}/")
    form = page.locator("#attendance-form")
    expect(form).to_be_visible(timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert form.locator("input[name=present]").count() == 2  # grid A's two members only
    form.locator(f"input[name=present][value='{party.member_a.pk}']").check()
    form.locator(f"input[name='hours-{party.member_a.pk}']").fill("2.5")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#attended-count")).to_have_text("1", timeout=TIMEOUT)
    assert Attendance.objects.get(activity=party.held).hours == Decimal("2.5")

    page.goto(page.base_url + f"/party/grids/{region.grid_a.pk}/contacts/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    card = page.locator(f".contact-card[data-member='{party.member_a.pk}']")
    card.locator("select[name=household]").select_option(str(party.households_a[1].pk))
    card.locator(".link-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(card).to_contain_text("测试路1号 102", timeout=TIMEOUT)
    assert ContactHousehold.objects.filter(member=party.member_a, household=party.households_a[1]).exists()

    page.goto(page.base_url + f"/party/hours/?year={party.held.date.year}")
    expect(page.locator("#hours-chart[data-ready='1']")).to_have_count(1, timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_resident_signs_up_and_cancels_on_a_phone(browser_login, region, party):
    from datetime import timedelta

    from django.utils import timezone

    from zhili.party.actions import do_plan_activity
    from zhili.party.models import VolunteerSignup

    activity = do_plan_activity(
        org=party.c1,
        kind="volunteer",
        title="敬老助老志愿服务",
        date=timezone.localdate() + timedelta(days=5),
        place="社区党群服务中心",
        open_to_residents=True,
        places=4,
        actor=region.user("community_staff"),
    )
    left = f"#volunteer-{activity.pk} [data-places-left]"
    page = browser_login("resident")
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(page.base_url + "/party/volunteer/")
    card = page.locator(f"#volunteer-{activity.pk}")
    expect(card).to_be_visible(timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    card.locator("button[data-sign-up]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(left)).to_have_text("3 / 4", timeout=TIMEOUT)
    assert VolunteerSignup.objects.filter(activity=activity).count() == 1
    page.locator(f"#volunteer-{activity.pk} button[data-cancel]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(left)).to_have_text("4 / 4", timeout=TIMEOUT)
    assert not VolunteerSignup.objects.filter(activity=activity).exists()
