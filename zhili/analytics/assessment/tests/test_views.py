"""Pages and endpoints: scope by territory (404 outside, 403 for read-only roles), the ranking, the
cases behind a figure, the editor, the trend and the .xlsx report."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from zhili.analytics.assessment import actions, registry
from zhili.analytics.assessment.models import AssessmentRun, IndicatorSet, Score
from zhili.analytics.assessment.states import RunState
from zhili.analytics.assessment.tests.conftest import AFTER_OCTOBER, OCTOBER

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(region, example):
    return actions.do_compute_run(
        indicator_set=example.grid_set, month=OCTOBER, actor=region.user("supervisor")
    )


def score(run, grid, code):
    return Score.objects.get(result__run=run, result__subject_node=grid, code=code)


@pytest.mark.parametrize("persona", ["outsider", "grid_worker_a", "resident", "nobody", "dispatcher"])
def test_people_outside_the_assessment_get_404_everywhere(client, login, region, run, persona):
    login(persona)
    s = score(run, region.grid_a, "response_rate")
    urls = [
        reverse("assessment:index"),
        reverse("assessment:run", args=[run.pk]),
        reverse("assessment:run_export", args=[run.pk]),
        reverse("assessment:subject", args=[run.pk, s.result_id]),
        reverse("assessment:explain", args=[run.pk, s.pk]),
        reverse("assessment:trend", args=[run.indicator_set_id]),
        reverse("assessment:set_edit", args=[run.indicator_set_id]),
        f"/api/v1/assessment/runs/{run.pk}",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("assessment:run_action", args=[run.pk, "publish"])).status_code == 404
    assert client.post(f"/api/v1/assessment/runs/{run.pk}/publish").status_code == 404


def test_a_supervisor_of_another_street_gets_404(client, region, run):
    from zhili.accounts.roles import Role
    from zhili.core.testing import make_user

    other = make_user("sup_t", role=Role.SUPERVISOR, node=region.other_street)
    client.force_login(other)
    assert client.get(reverse("assessment:run", args=[run.pk])).status_code == 404
    assert client.get(f"/api/v1/assessment/runs/{run.pk}").status_code == 404
    assert client.get("/api/v1/assessment/runs").json() == []


def test_a_leader_reads_but_may_not_compute_publish_or_edit(client, login, region, example, run):
    login("leader")
    page = client.get(reverse("assessment:run", args=[run.pk]))
    assert page.status_code == 200 and "Grid A" in page.content.decode()
    assert client.post(reverse("assessment:run_action", args=[run.pk, "publish"])).status_code == 403
    assert client.post(f"/api/v1/assessment/runs/{run.pk}/publish").status_code == 403
    body = {"indicator_set": example.grid_set.pk, "month": "2026-10"}
    assert client.post("/api/v1/assessment/runs", body, content_type="application/json").status_code == 403
    assert client.get(reverse("assessment:set_edit", args=[example.grid_set.pk])).status_code == 403
    run.refresh_from_db()
    assert run.state == RunState.DRAFT


def test_community_staff_see_only_the_rows_of_their_community(client, login, region, run):
    login("community_staff")  # community 1: grids A and B
    page = client.get(reverse("assessment:run", args=[run.pk])).content.decode()
    assert "Grid A" in page and "Grid B" in page and "Grid C" not in page
    c_row = run.results.get(subject_node=region.grid_c)
    assert client.get(reverse("assessment:subject", args=[run.pk, c_row.pk])).status_code == 404
    c_score = score(run, region.grid_c, "response_rate")
    assert client.get(reverse("assessment:explain", args=[run.pk, c_score.pk])).status_code == 404
    api = client.get(f"/api/v1/assessment/runs/{run.pk}").json()
    assert sorted(r["label"] for r in api["results"]) == ["Grid A", "Grid B"]


def test_the_explanation_lists_the_cases_behind_a_figure(client, login, region, example, run):
    login("supervisor")
    s = score(run, region.grid_a, "response_rate")
    page = client.get(reverse("assessment:explain", args=[run.pk, s.pk])).content.decode()
    for key in ("a1", "a2", "a3"):
        assert example.cases[key].code in page
    assert example.cases["a4"].code not in page  # a rejected patrol report had no sign-by clock met
    assert example.cases["nov"].code not in page
    trace = client.get(f"/api/v1/assessment/runs/{run.pk}/scores/{s.pk}/trace").json()
    assert trace["numerator_ids"] == sorted([example.cases["a1"].pk, example.cases["a3"].pk])


def test_a_supervisor_computes_publishes_and_corrects_through_the_pages(client, login, region, example):
    login("supervisor")
    response = client.post(
        reverse("assessment:index"), {"indicator_set": example.grid_set.pk, "month": "2026-10"}
    )
    run = AssessmentRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("assessment:run", args=[run.pk])
    AssessmentRun.objects.filter(pk=run.pk)  # published below through the action with a fixed clock
    actions.do_publish_run(run, actor=region.user("supervisor"), now=AFTER_OCTOBER)
    client.post(reverse("assessment:run_action", args=[run.pk, "correct"]), {"reason": "复核更正"})
    v2 = AssessmentRun.objects.get(version=2)
    assert v2.reason == "复核更正" and v2.supersedes_id == run.pk
    page = client.get(reverse("assessment:run", args=[v2.pk])).content.decode()
    assert "复核更正" in page


def test_the_editor_saves_a_set_whose_weights_add_up_to_100_only(client, login, region):
    login("supervisor")
    form = {
        "name": "部门考核",
        "subject_kind": "department",
        "node": region.street.pk,
        "valid_from": "2026-01",
        "valid_to": "",
        "description": "",
        "ind-TOTAL_FORMS": "2",
        "ind-INITIAL_FORMS": "0",
        "ind-MIN_NUM_FORMS": "0",
        "ind-MAX_NUM_FORMS": "1000",
        "ind-0-code": "on_time_rate",
        "ind-0-weight": "60",
        "ind-0-rule": "linear",
        "ind-0-floor": "50",
        "ind-0-target": "100",
        "ind-0-no_data": "zero",
        "ind-0-position": "0",
        "ind-1-code": "satisfaction_rate",
        "ind-1-weight": "30",
        "ind-1-rule": "threshold",
        "ind-1-target": "90",
        "ind-1-no_data": "zero",
        "ind-1-position": "1",
    }
    response = client.post(reverse("assessment:set_new"), form)
    assert response.status_code == 200 and not IndicatorSet.objects.exists()
    assert "100" in response.content.decode()
    form["ind-1-weight"] = "40"
    form["ind-1-code"] = "patrol_reports"  # not computable for departments
    assert client.post(reverse("assessment:set_new"), form).status_code == 200
    form["ind-1-code"] = "satisfaction_rate"
    response = client.post(reverse("assessment:set_new"), form)
    saved = IndicatorSet.objects.get()
    assert response.status_code == 302
    assert [(i.code, i.weight) for i in saved.indicators.all()] == [
        ("on_time_rate", Decimal("60.00")),
        ("satisfaction_rate", Decimal("40.00")),
    ]
    assert saved.valid_from.isoformat() == "2026-01-01"
    assert client.get(reverse("assessment:set_edit", args=[saved.pk])).status_code == 200


class _Text(HTMLParser):
    """The text a reader sees: no tags, no attributes (option values hold the codes), no scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_the_editor_names_indicators_without_their_internal_codes(client, login, region, example):
    login("supervisor")
    for url in (reverse("assessment:set_new"), reverse("assessment:set_edit", args=[example.grid_set.pk])):
        response = client.get(url)
        html = response.content.decode()
        text = visible_text(html)
        for definition in registry.REGISTRY.values():
            assert str(definition.label) in text
            assert definition.code not in text, (url, definition.code)
        # The choices still submit the code; the reader picks by name.
        assert '<option value="reopen_rate">重办率</option>' in html


def test_the_trend_has_a_chart_and_a_table_of_the_same_totals(client, login, region, example, run):
    login("supervisor")
    page = client.get(reverse("assessment:trend", args=[example.grid_set.pk])).content.decode()
    assert "vendor/echarts/echarts.min.js" in page and 'id="trend-data"' in page
    assert "2026-10" in page and "55.84" in page and "40.00" in page


def test_the_xlsx_report_has_the_monthly_layout(client, login, region, example, run):
    from openpyxl import load_workbook

    actions.do_publish_run(run, actor=region.user("supervisor"), now=AFTER_OCTOBER)
    login("supervisor")
    response = client.get(reverse("assessment:run_export", args=[run.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    assert "Test street" in ws["A1"].value and "网格考核" in ws["A1"].value
    merged = {str(r) for r in ws.merged_cells.ranges}
    last = ws.cell(row=3, column=2 + 2 * 6 + 1).column_letter  # 6 indicators: the total in O
    note = ws.cell(row=3, column=2 + 2 * 6 + 2).column_letter  # then the note
    assert f"A1:{note}1" in merged and "C3:D3" in merged and "A3:A4" in merged
    assert ws[f"{note}3"].value == "备注"
    assert ws["B3"].value and ws["C4"].value and ws["D4"].value
    assert "20" in ws["C3"].value  # weight of the response rate
    # Rows in rank order, with raw values, points and totals as numbers.
    assert [ws.cell(row=r, column=2).value for r in (5, 6, 7)] == ["Grid A", "Grid B", "Grid C"]
    assert [ws.cell(row=r, column=1).value for r in (5, 6, 7)] == [1, 2, 3]
    assert ws["C5"].value == pytest.approx(66.67) and ws["D5"].value == pytest.approx(16.68)
    assert ws["C5"].number_format == "0.00"
    assert ws[f"{last}5"].value == pytest.approx(55.84) and ws[f"{last}6"].value == pytest.approx(40.0)
    assert ws["C7"].value == "无数据"  # grid C had no case to sign
    assert ws[f"{note}5"].value is None and ws[f"{note}6"].value is None
    assert ws[f"{note}7"].value.startswith("5 项无数据，计 10.00 分")  # 4 rates at 0, the reopen rate full
    assert ws["A8"].value.startswith("无数据：")  # what no data means, below the rows
    from django.utils.translation import gettext

    assert ws["A10"].value == gettext("Prepared by (signature):") and ws["A11"].value == gettext("Date:")
    assert ws.column_dimensions["B"].width >= 20


def test_the_ranking_page_reads_in_a_fixed_number_of_queries(client, login, region, example, run):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhili.core.testing import make_user
    from zhili.territory.actions import do_create_node
    from zhili.territory.models import NodeKind

    login("supervisor")
    url = reverse("assessment:run", args=[run.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(6):
        grid = do_create_node(
            kind=NodeKind.GRID, name=f"Extra {n}", code=f"S-C2-X{n}", parent=region.c2, actor=None
        )
        make_user(f"gw_x{n}", role=None, node=grid)
    actions.do_compute_run(indicator_set=example.grid_set, month=OCTOBER, actor=region.user("supervisor"))
    assert run.results.count() == 9
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_trend_reads_in_as_many_queries_for_three_months_and_more_grids_as_for_one(
    client, login, region, example, run
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhili.territory.actions import do_create_node
    from zhili.territory.models import NodeKind

    login("supervisor")
    url = reverse("assessment:trend", args=[example.grid_set.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(4):
        do_create_node(kind=NodeKind.GRID, name=f"Extra {n}", code=f"S-C2-X{n}", parent=region.c2, actor=None)
    for month in (dt.date(2026, 8, 1), dt.date(2026, 9, 1), OCTOBER):
        actions.do_compute_run(indicator_set=example.grid_set, month=month, actor=region.user("supervisor"))
    with CaptureQueriesContext(connection) as three:
        response = client.get(url)
    assert response.context["trend"]["months"] == ["2026-08", "2026-09", "2026-10"]
    assert len(response.context["trend"]["series"]) == 7
    assert len(three.captured_queries) == len(one.captured_queries)


def test_the_api_computes_publishes_and_corrects_like_the_pages(client, login, region, example):
    login("supervisor")
    body = {"indicator_set": example.grid_set.pk, "month": "2026-10"}
    created = client.post("/api/v1/assessment/runs", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["state"] == "draft"
    run_id = created.json()["id"]
    detail = client.get(f"/api/v1/assessment/runs/{run_id}").json()
    assert [(r["label"], r["total"], r["rank"]) for r in detail["results"]][:2] == [
        ("Grid A", "55.84", 1),
        ("Grid B", "40.00", 2),
    ]
    assert client.post(f"/api/v1/assessment/runs/{run_id}/publish").json()["state"] == "published"
    again = client.post(f"/api/v1/assessment/runs/{run_id}/publish")
    assert again.status_code == 409 and again.json()["code"] == "bad_state"
    refused = client.post("/api/v1/assessment/runs", body, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "already_published"
    corrected = client.post(
        f"/api/v1/assessment/runs/{run_id}/correct", {"reason": "复核"}, content_type="application/json"
    )
    assert corrected.status_code == 201 and corrected.json()["version"] == 2
    assert corrected.json()["supersedes"] == run_id
