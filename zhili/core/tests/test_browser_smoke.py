from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_member_logs_in_through_the_form_and_sees_the_home_page(browser_login):
    page = browser_login("grid_worker_a")
    assert page.url.endswith("/")
    assert "grid_worker_a" in page.inner_text("header")
