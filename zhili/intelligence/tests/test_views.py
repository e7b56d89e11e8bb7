from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from zhili.intelligence.actions import do_refresh_hotspots
from zhili.intelligence.models import EarlyWarning, Hotspot, WarningEvent
from zhili.intelligence.states import WarningKind, WarningState
from zhili.intelligence.tests.history import add_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def warning(region):
    cases = add_cases(
        [{"node": region.grid_a, "title": f"噪音 {k}", "created_at": timezone.now()} for k in range(3)]
    )
    return EarlyWarning.objects.create(
        kind=WarningKind.SPIKE,
        fingerprint="spike:test",
        node=region.c1,
        day=date(2024, 3, 6),
        severity="high",
        evidence={
            "observed": 9,
            "expected": 2.5,
            "p_value": 1e-6,
            "window": 56,
            "series": [
                {"day": "2024-03-05", "count": 2, "expected": 2.5},
                {"day": "2024-03-06", "count": 9, "expected": 2.5},
            ],
            "case_ids": [c.pk for c in cases],
        },
    )


def test_list_filters_and_is_scoped(client, login, region, warning, django_assert_max_num_queries):
    EarlyWarning.objects.create(
        kind=WarningKind.REPEATED, fingerprint="repeated:x:1", node=region.c2, day=date(2024, 3, 7),
        severity="low", evidence={"observed": 3, "case_ids": []}, state=WarningState.DISMISSED,
    )  # fmt: skip
    login("supervisor")
    url = reverse("intelligence:warnings")
    with django_assert_max_num_queries(8):
        page = client.get(url).content.decode()
    assert len(re.findall(r'href="/intelligence/warnings/\d+/"', page)) == 4  # two rows, two links each
    page = client.get(url, {"state": "new", "severity": "high", "kind": "spike"}).content.decode()
    assert reverse("intelligence:warning", args=[warning.pk]) in page and "Community 2" not in page
    assert "Community 2" in client.get(url, {"kind": "repeated"}).content.decode()
    login("community_staff")  # community 1 only
    page = client.get(url).content.decode()
    assert "Community 1" in page and "Community 2" not in page


@pytest.mark.parametrize("persona", ["outsider", "grid_worker_a", "resident", "nobody"])
def test_pages_do_not_exist_for_other_roles(client, login, warning, persona):
    login(persona)
    assert client.get(reverse("intelligence:warnings")).status_code == 404
    assert client.get(reverse("intelligence:warning", args=[warning.pk])).status_code == 404
    assert client.get(reverse("intelligence:warning_xlsx", args=[warning.pk])).status_code == 404
    assert (
        client.post(reverse("intelligence:warning_decide", args=[warning.pk, "confirm"])).status_code == 404
    )


def test_anonymous_goes_to_login(client, warning):
    assert client.get(reverse("intelligence:warnings")).status_code == 302


def test_detail_shows_chart_table_cases_and_buttons(client, login, warning):
    login("supervisor")
    page = client.get(reverse("intelligence:warning", args=[warning.pk])).content.decode()
    assert 'id="warning-chart"' in page and "echarts.min.js" in page and 'id="warning-series"' in page
    assert "2024-03-06" in page and page.count("/cases/") >= 3
    assert reverse("intelligence:warning_decide", args=[warning.pk, "confirm"]) in page
    assert reverse("intelligence:warning_decide", args=[warning.pk, "dismiss"]) in page


def test_repeated_warning_shows_its_span_as_local_times_and_labels_with_full_width_colons(
    client, login, region
):
    warning = EarlyWarning.objects.create(
        kind=WarningKind.REPEATED, fingerprint="repeated:y:1", node=region.c1, day=date(2026, 11, 29),
        severity="medium",
        evidence={"observed": 4, "threshold": 3, "window": 30, "by": "place", "place": "朝阳北街",
                  "first": "2026-11-05T06:34+08:00", "last": "2026-11-29T05:37+00:00", "case_ids": []},
    )  # fmt: skip
    login("supervisor")
    page = client.get(reverse("intelligence:warning", args=[warning.pk])).content.decode()
    # the stored ISO text, read as times and shown in the local zone (05:37 UTC is 13:37 here)
    assert "2026-11-05 06:34 … 2026-11-29 13:37" in page
    assert "T06:34" not in page and "+08:00" not in page
    assert "状态：" in page and "状态:" not in page
    assert "同一地点：" in page and "同一地点:" not in page and "朝阳北街" in page
    # an evidence without a span (older rows) still renders
    warning.evidence = {"observed": 4, "window": 30, "by": "caller", "case_ids": []}
    warning.save()
    assert client.get(reverse("intelligence:warning", args=[warning.pk])).status_code == 200


def test_leader_reads_but_may_not_decide(client, login, warning):
    login("leader")
    page = client.get(reverse("intelligence:warning", args=[warning.pk])).content.decode()
    assert (
        "warning-chart" in page
        and reverse("intelligence:warning_decide", args=[warning.pk, "confirm"]) not in page
    )
    assert (
        client.post(reverse("intelligence:warning_decide", args=[warning.pk, "confirm"])).status_code == 403
    )
    assert EarlyWarning.objects.get(pk=warning.pk).state == WarningState.NEW


def test_confirm_through_htmx_then_a_second_decision_is_refused(client, login, warning):
    user = login("community_staff")
    url = reverse("intelligence:warning_decide", args=[warning.pk, "confirm"])
    resp = client.post(url, {"note": "现场核实属实"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and 'id="warning-decision"' in resp.content.decode()
    warning.refresh_from_db()
    assert warning.state == WarningState.CONFIRMED and warning.decided_by == user
    assert WarningEvent.objects.get(warning=warning).note == "现场核实属实"
    again = client.post(reverse("intelligence:warning_decide", args=[warning.pk, "dismiss"]))
    assert again.status_code == 409
    warning.refresh_from_db()
    assert warning.state == WarningState.CONFIRMED


def test_decision_needs_csrf(region, warning):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(region.user("supervisor"))
    assert (
        client.post(reverse("intelligence:warning_decide", args=[warning.pk, "confirm"])).status_code == 403
    )
    warning.refresh_from_db()
    assert warning.state == WarningState.NEW


def test_evidence_downloads_as_xlsx(client, login, warning):
    from io import BytesIO

    from openpyxl import load_workbook

    login("leader")
    resp = client.get(reverse("intelligence:warning_xlsx", args=[warning.pk]))
    assert resp.status_code == 200
    rows = list(load_workbook(BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert rows[1:] == [("2024-03-05", 2, 2.5), ("2024-03-06", 9, 2.5)]


def test_hotspot_page_lists_hottest_first_with_case_links(client, login, region):
    now = timezone.now()
    cases = add_cases(
        [
            {
                "node": region.grid_a,
                "title": "金桂苑3栋电梯故障",
                "body": "金桂苑小区3栋电梯坏了困人",
                "created_at": now,
            }
        ]
        * 3
        + [
            {
                "node": region.grid_c,
                "title": "东风路工地夜间施工噪音",
                "body": "东风路工地半夜施工噪音",
                "created_at": now,
            }
        ]
        * 2
    )
    do_refresh_hotspots(now=now)
    login("dispatcher")
    page = client.get(reverse("intelligence:hotspots")).content.decode()
    assert page.index("金桂苑") < page.index("东风路")
    for c in cases:
        assert reverse("cases:detail", args=[c.pk]) in page
    # the cockpit links each hotspot to its place on this page
    for spot in Hotspot.objects.all():
        assert spot.get_absolute_url().endswith(f"#{spot.anchor}") and f'id="{spot.anchor}"' in page
    login("community_staff")
    page = client.get(reverse("intelligence:hotspots")).content.decode()
    assert "金桂苑" in page and "东风路" not in page
    login("outsider")
    assert client.get(reverse("intelligence:hotspots")).status_code == 404
