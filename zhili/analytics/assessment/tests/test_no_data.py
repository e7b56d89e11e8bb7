"""A subject with nothing to count gets the points of the set's no-data rule; every page, the report
and the API say so next to the figure, so that a grid ranked first without a case is seen as such.

On the worked example with a set whose rates give full points without data: grid C has no case in
October, so its response and satisfaction rates have no data, earn 100 points each and rank it first.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from zhili.analytics.assessment import actions, selectors
from zhili.analytics.assessment.models import Indicator, IndicatorSet, Score, SubjectKind
from zhili.analytics.assessment.tests.conftest import OCTOBER

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_set(region):
    s = IndicatorSet.objects.create(
        name="满分规则", subject_kind=SubjectKind.GRID, node=region.street, valid_from=OCTOBER
    )
    for position, code in enumerate(("response_rate", "satisfaction_rate", "patrol_reports")):
        Indicator.objects.create(
            indicator_set=s,
            code=code,
            weight=Decimal(40) if code != "patrol_reports" else Decimal(20),
            rule="per_item" if code == "patrol_reports" else "linear",
            floor=None if code == "patrol_reports" else Decimal(60),
            target=None if code == "patrol_reports" else Decimal(100),
            points_per_item=Decimal(25) if code == "patrol_reports" else None,
            cap=Decimal(100) if code == "patrol_reports" else None,
            no_data="full",
            position=position,
        )
    return s


@pytest.fixture
def run(region, example, full_set):
    return actions.do_compute_run(indicator_set=full_set, month=OCTOBER, actor=region.user("supervisor"))


def _score(run, grid, code):
    return Score.objects.get(result__run=run, result__subject_node=grid, code=code)


def test_a_rate_without_anything_to_count_is_marked_and_a_count_never_is(region, run):
    empty = _score(run, region.grid_c, "response_rate")
    assert empty.no_data and empty.raw_value is None and empty.points == Decimal(100)
    assert not _score(run, region.grid_a, "response_rate").no_data  # 2 of 3 signed in time
    assert not _score(run, region.grid_c, "patrol_reports").no_data  # no report: 0, a figure


def test_the_grid_without_cases_ranks_first_and_the_ranking_says_why(client, login, region, run):
    grid_c = run.results.get(subject_node=region.grid_c)
    assert (grid_c.rank, grid_c.total) == (1, Decimal("80.00"))  # 2 × 40 points without data
    login("leader")
    response = client.get(reverse("assessment:run", args=[run.pk]))
    html = response.content.decode()
    rows = {row.label: row for row in response.context["rows"]}
    assert rows["Grid C"].without_data.count == 2
    assert rows["Grid C"].without_data.points == Decimal("80.00")
    assert rows["Grid A"].without_data is None and rows["Grid B"].without_data is None
    assert response.context["without_data"] == 1
    # The note above the table, the rule under each rate's heading, the tag in the cells and the
    # sum of such points next to the total.
    assert 'id="no-data-note"' in html and "下表有 1 个考核对象" in html
    assert html.count("无数据：得满分") == 2  # the two rates; the count has no such rule
    assert "2 项无数据，计 80.00 分" in html
    ranking = html[html.index('id="ranking"') :]
    grid_c_row = ranking[ranking.index("Grid C") : ranking.index("</tr>", ranking.index("Grid C"))]
    assert grid_c_row.count(">无数据</span>") == 2


def test_a_ranking_where_every_subject_had_data_has_no_note(client, login, region, example):
    s = IndicatorSet.objects.create(
        name="巡查", subject_kind=SubjectKind.GRID, node=region.street, valid_from=OCTOBER
    )
    Indicator.objects.create(
        indicator_set=s, code="patrol_reports", weight=Decimal(100), rule="per_item",
        points_per_item=Decimal(25), cap=Decimal(100), no_data="full",
    )  # fmt: skip
    run = actions.do_compute_run(indicator_set=s, month=OCTOBER, actor=region.user("supervisor"))
    login("leader")
    html = client.get(reverse("assessment:run", args=[run.pk])).content.decode()
    assert "Grid C" in html
    assert 'id="no-data-note"' not in html and "无数据" not in html


def test_the_subject_and_the_figure_pages_say_the_points_came_without_data(client, login, region, run):
    login("leader")
    grid_c = run.results.get(subject_node=region.grid_c)
    subject = client.get(reverse("assessment:subject", args=[run.pk, grid_c.pk])).content.decode()
    assert 'id="no-data-note"' in subject and "2 项无数据，计 80.00 分" in subject
    empty = _score(run, region.grid_c, "satisfaction_rate")
    figure = client.get(reverse("assessment:explain", args=[run.pk, empty.pk])).content.decode()
    assert 'id="no-data-note"' in figure and "无数据：得满分" in figure
    counted = _score(run, region.grid_a, "satisfaction_rate")
    figure = client.get(reverse("assessment:explain", args=[run.pk, counted.pk])).content.decode()
    assert 'id="no-data-note"' not in figure


def test_the_trend_marks_the_months_whose_total_came_partly_without_data(client, login, region, run):
    login("leader")
    response = client.get(reverse("assessment:trend", args=[run.indicator_set_id]))
    html = response.content.decode()
    series = {s["name"]: s for s in response.context["trend"]["series"]}
    assert series["Grid C"]["without_data"][0].points == Decimal("80.00")
    assert series["Grid A"]["without_data"] == [None]
    assert "无数据得分 80.00" in html and 'id="no-data-note"' in html


def test_the_report_names_the_indicators_without_data_beside_the_total(client, login, region, run):
    from openpyxl import load_workbook

    login("leader")
    response = client.get(reverse("assessment:run_export", args=[run.pk]))
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = {ws.cell(row=r, column=2).value: r for r in range(5, 8)}
    c = rows["Grid C"]
    # Rank, subject, (value, points) × 3, total, note.
    assert (ws.cell(row=c, column=3).value, ws.cell(row=c, column=4).value) == ("无数据", 100.0)
    assert ws.cell(row=c, column=9).value == 80.0
    assert ws.cell(row=c, column=10).value == "2 项无数据，计 80.00 分（响应率、满意率）"
    assert ws.cell(row=rows["Grid A"], column=10).value is None
    assert ws.cell(row=8, column=1).value.startswith("无数据：")


def test_the_api_gives_the_same_flags(client, login, region, run):
    login("leader")
    body = client.get(f"/api/v1/assessment/runs/{run.pk}").json()
    results = {r["label"]: r for r in body["results"]}
    assert (results["Grid C"]["no_data_count"], results["Grid C"]["no_data_points"]) == (2, "80.00")
    assert [s["no_data"] for s in results["Grid C"]["scores"]] == [True, True, False]
    assert results["Grid A"]["no_data_count"] == 0


def test_the_note_lists_the_indicators_in_the_language_of_the_page(region, run):
    from django.utils import translation

    with translation.override("en"):
        row = next(r for r in selectors.results(region.user("leader"), run) if r.label == "Grid C")
        assert row.without_data.detail == (
            "2 indicators without data: 80.00 points (Response rate, Satisfaction rate)"
        )
    with translation.override("zh-hans"):
        row = next(r for r in selectors.results(region.user("leader"), run) if r.label == "Grid C")
        assert row.without_data.detail == "2 项无数据，计 80.00 分（响应率、满意率）"
