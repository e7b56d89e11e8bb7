from __future__ import annotations

import math

import pytest

from zhili.core.testing import PASSWORD, Region, make_region
from zhili.emergency import selectors as emergency_selectors


@pytest.fixture(autouse=True)
def _emergency_cache_per_test(monkeypatch):
    """The emergency periods are cached per process for a few seconds. In a test the cache starts
    empty and then holds for the whole test, however slow the machine: no test sees another's
    switch, and a statement count cannot gain a read because a first request outlasted the
    seconds (a switch through the actions still forgets the cache at once)."""
    emergency_selectors.forget_active_emergencies()
    monkeypatch.setattr(emergency_selectors, "CACHE_SECONDS", math.inf)
    yield
    emergency_selectors.forget_active_emergencies()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: rate-limit counts are kept per user id and per client
    address, which tests share, and must not carry over from one test to the next."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def region(db) -> Region:
    return make_region()


@pytest.fixture
def login(client, region):
    """``login("grid_worker_a")`` logs the test client in as that persona and returns the user."""

    def _login(persona: str):
        user = region.user(persona)
        client.force_login(user)
        return user

    return _login


@pytest.fixture
def password() -> str:
    return PASSWORD


BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright. Missing chromium skips locally, fails in CI."""
    import os
    import shutil

    if not shutil.which(CHROMIUM):
        if os.environ.get("ZHILI_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing but browser tests must run here")
        pytest.skip(f"{CHROMIUM} not installed")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
    # body are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def browser_login(page, region):
    """Log in through the real login form as a persona; returns the page."""

    def _login(persona: str):
        page.goto(page.base_url + "/accounts/login/")
        page.fill("input[name=username]", persona)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.login-box button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    return _login
