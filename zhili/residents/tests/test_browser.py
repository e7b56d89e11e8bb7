"""A grid worker on a phone (375×812): search, open the household, edit a member, record a visit;
community staff compare a correction with the registry."""

from __future__ import annotations

import pytest

from zhili.audit.models import AuditAction, AuditEvent
from zhili.residents.actions import do_request_correction
from zhili.residents.models import Person, Visit
from zhili.residents.tags import person_tags

from .conftest import ID_NUMBER, MOBILE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_grid_worker_edits_a_household_member_on_a_phone(page, browser_login, person):
    page.set_viewport_size({"width": 375, "height": 812})
    browser_login("grid_worker_a")
    page.click("nav.nav a[href='/residents/']")
    page.wait_for_load_state("networkidle")
    page.fill("input[name=q]", "秀英")
    page.click("form.search-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert no_sideways_scroll(page)
    page.click("ul.person-list a.address")
    page.wait_for_load_state("networkidle")
    assert "张秀英" in page.inner_text("ul.members") and "低保" in page.inner_text("ul.members")
    assert no_sideways_scroll(page)

    page.click("ul.members >> text=编辑")
    page.wait_for_load_state("networkidle")
    assert no_sideways_scroll(page)
    assert ID_NUMBER not in page.content()
    page.fill("input[name=mobile]", "139 0000 1111")
    page.select_option("select[name=residence_status]", "resident")
    page.check("input[name=t-tags] >> xpath=..//self::label[contains(., '高龄老人')]/input")
    page.click("form.person-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "修改已保存" in page.inner_text(".messages")
    assert "139****1111" in page.inner_text(".person-facts")

    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.mobile, fresh.residence_status) == ("13900001111", "resident")
    assert {t.code for t in person_tags(fresh)} == {"elderly_alone", "elderly_80", "dibao"}

    # Reveal the ID number with a reason, without leaving the page (htmx).
    page.fill("#field-id_number input[name=reason]", "核对高龄津贴材料")
    page.click("#field-id_number button[type=submit]")
    page.wait_for_selector("#field-id_number .revealed")
    assert ID_NUMBER in page.inner_text("#field-id_number")
    assert AuditEvent.objects.filter(action=AuditAction.PII_REVEALED).count() == 1

    page.click("text=记录走访")
    page.wait_for_load_state("networkidle")
    assert no_sideways_scroll(page)
    page.select_option("select[name=kind]", "care")
    page.fill("textarea[name=note]", "送去米面油，老人身体不错")
    page.click("form.visit-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "走访记录已保存" in page.inner_text(".messages")
    visit = Visit.objects.get()
    assert (visit.person_id, visit.kind) == (person.pk, "care")
    assert "送去米面油" in page.inner_text(".visit-list")


def test_staff_compare_a_correction_with_the_registry_and_reveal_only_with_a_reason(
    page, browser_login, person
):
    request = do_request_correction(person, field="mobile", value="13911112222", reason="换号了", actor=None)
    browser_login("community_staff")
    page.goto(f"{page.base_url}/residents/corrections/{request.pk}/")
    page.wait_for_load_state("networkidle")
    assert "138****5678" in page.inner_text("#field-mobile")
    assert "139****2222" in page.inner_text("dd.proposed")
    assert MOBILE not in page.content()

    page.fill("#field-mobile input[name=reason]", "核对更正申请")
    page.click("#field-mobile button[type=submit]")
    page.wait_for_selector("#field-mobile .revealed")
    assert MOBILE in page.inner_text("#field-mobile")
    assert page.url.endswith(f"/residents/corrections/{request.pk}/")  # still on the decision page
    assert AuditEvent.objects.get(action=AuditAction.PII_REVEALED).details["reason"] == "核对更正申请"
