"""In a real browser: a supervisor computes October, follows a figure to the cases behind it, and sees
the trend chart drawn beside its table."""

from __future__ import annotations

import pytest

from zhili.analytics.assessment.models import AssessmentRun, Score

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_compute_rank_explain_and_trend_in_the_browser(browser_login, region, example):
    page = browser_login("supervisor")
    page.goto(page.base_url + "/assessment/")
    page.select_option("select[name=indicator_set]", str(example.grid_set.pk))
    page.fill("input[name=month]", "2026-10")
    page.click("form.panel button[type=submit]")
    page.wait_for_load_state("networkidle")
    run = AssessmentRun.objects.get()
    assert page.url.endswith(f"/assessment/runs/{run.pk}/")
    first = page.locator("#ranking tbody tr").first
    assert "Grid A" in first.inner_text() and "55.84" in first.inner_text()

    response = Score.objects.get(result__run=run, result__subject_node=region.grid_a, code="response_rate")
    page.click(f"a[href$='/scores/{response.pk}/']")
    page.wait_for_load_state("networkidle")
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    for key in ("a1", "a2", "a3"):
        assert example.cases[key].code in text

    page.goto(page.base_url + f"/assessment/sets/{example.grid_set.pk}/trend/")
    page.wait_for_function("document.querySelector('#trend-chart canvas') !== null")
    assert "55.84" in page.inner_text("#trend-table")
