"""In a real browser: a supervisor opens a warning, sees the chart, confirms it with a note (htmx)."""

from __future__ import annotations

from datetime import date

import pytest

from zhili.intelligence.models import EarlyWarning, WarningEvent
from zhili.intelligence.states import WarningKind, WarningState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_confirms_a_warning_after_reading_its_chart(browser_login, region):
    series = [{"day": f"2024-03-{d:02d}", "count": 2, "expected": 2.2} for d in range(1, 6)]
    series.append({"day": "2024-03-06", "count": 12, "expected": 2.2})
    warning = EarlyWarning.objects.create(
        kind=WarningKind.SPIKE,
        fingerprint="spike:browser",
        node=region.c1,
        day=date(2024, 3, 6),
        severity="high",
        evidence={
            "observed": 12,
            "expected": 2.2,
            "p_value": 1e-7,
            "window": 56,
            "series": series,
            "case_ids": [],
        },
    )
    page = browser_login("supervisor")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(page.base_url + "/intelligence/warnings/")
    page.click(f"a[href='/intelligence/warnings/{warning.pk}/'] >> nth=0")
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("#warning-chart canvas")  # ECharts drew it
    assert page.locator("#warning-table tbody tr").count() == 6
    page.fill("#decision-note", "已到现场核实")
    with page.expect_response(lambda r: "/confirm/" in r.url):
        page.click("#warning-decision button.confirm")
    page.wait_for_selector("#warning-decision .state-confirmed")
    warning.refresh_from_db()
    assert warning.state == WarningState.CONFIRMED
    assert WarningEvent.objects.get(warning=warning).note == "已到现场核实"
    assert page.url.endswith(f"/intelligence/warnings/{warning.pk}/")  # swapped in place, no reload
