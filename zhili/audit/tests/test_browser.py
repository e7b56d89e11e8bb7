"""The auditor's page in a real browser: htmx filters and verification, on a live server.

These tests are transactional: their teardown flushes the append-only audit log, which is what the
test flush's maintenance hatch is for.
"""

from __future__ import annotations

import pytest

from zhili.audit.models import AuditAction, AuditEvent
from zhili.audit.tests.helpers import record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_auditor_filters_the_log_and_verifies_the_chain(browser_login, region):
    record(AuditAction.PERSON_CREATED, node=region.grid_a, details={"mark": "in-grid-a"})
    record(AuditAction.LOGIN_FAILED, details={"mark": "system-wide"})
    page = browser_login("auditor")
    page.goto(page.base_url + "/audit/events/")
    assert "in-grid-a" in page.inner_text("#results")
    assert "system-wide" in page.inner_text("#results")

    page.select_option("select[name=action]", AuditAction.LOGIN_FAILED.value)
    with page.expect_response(lambda r: "/audit/events/" in r.url and r.request.headers.get("hx-request")):
        page.click("form.filters button[type=submit]")
    page.wait_for_function("!document.querySelector('#results').innerText.includes('in-grid-a')")
    assert "system-wide" in page.inner_text("#results")
    assert "action=auth.login_failed" in page.url  # htmx pushed the filter into the address

    page.click("text=校验审计链")
    # The page polls every 2 s until the check is done; the machine that runs the suite may be busy.
    page.wait_for_selector("#verification strong.ok", timeout=30000)
    assert str(AuditEvent.objects.count()) in page.inner_text("#verification")
