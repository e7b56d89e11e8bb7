"""Cockpit pages, exports, the big screen and the JSON tiles: scope, content and refusals."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zhili.analytics.tests.test_rollups import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(region, cats):
    w = World(region, cats)
    w.submit(0, 0)  # grid A, garbage
    w.submit(1, 1)  # grid C, street lights
    w.submit(0, 0)
    w.act(0, 1)  # the first one rejected: closed today
    return w


def test_leader_sees_the_street_cockpit_with_figures_and_charts(client, login, region, world):
    login("leader")
    response = client.get(reverse("analytics:cockpit"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["node"] == region.street
    kpis = response.context["kpis"]
    assert (kpis["received"], kpis["closed"], kpis["open"]) == (3, 1, 2)
    for chart in ("trend", "categories", "grids", "departments", "satisfaction"):
        assert f'data-chart="{chart}"' in html
    assert 'id="cockpit-map-data"' in html
    features = response.context["map"]["features"]
    assert {f["properties"]["name"]: f["properties"]["received"] for f in features} == {
        "Grid A": 2,
        "Grid B": 0,
        "Grid C": 1,
    }


def test_a_grid_cockpit_is_reached_from_the_grid_table(client, login, region, world):
    login("leader")
    response = client.get(reverse("analytics:cockpit"), {"node": region.grid_a.pk, "period": "7"})
    assert response.status_code == 200
    assert response.context["kpis"]["received"] == 2
    links = [link for _row, link in response.context["tables"]["grids"].lines]
    assert links == [None]  # the grid itself: nowhere further to drill


def test_categories_drill_down_one_level_at_a_time(client, login, region, cats, world):
    login("leader")
    top = client.get(reverse("analytics:cockpit")).context["category_rows"]
    assert {r["name"]: r["received"] for r in top} == {"Environment": 2, "Roads": 1}
    env = next(r for r in top if r["name"] == "Environment")
    response = client.get(env["drill_url"], HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [r["name"] for r in response.context["category_rows"]] == ["Garbage"]
    assert 'id="tile-categories"' in response.content.decode()


def test_outsider_gets_404_for_a_node_outside_their_area_and_others_403(client, login, region, world):
    login("community_staff")  # community 1 only
    assert client.get(reverse("analytics:cockpit"), {"node": region.c2.pk}).status_code == 404
    assert client.get(reverse("analytics:cockpit"), {"node": region.street.pk}).status_code == 404
    assert client.get(reverse("analytics:cockpit"), {"node": region.grid_a.pk}).status_code == 200
    login("outsider")
    assert client.get(reverse("analytics:cockpit"), {"node": region.street.pk}).status_code in (403, 404)
    login("resident")
    assert client.get(reverse("analytics:cockpit")).status_code == 403
    assert client.get(reverse("analytics:screen")).status_code == 403


def test_every_tile_exports_a_workbook_with_its_table(client, login, region, world):
    login("supervisor")
    for name in ("kpis", "trend", "categories", "grids", "departments", "satisfaction"):
        response = client.get(reverse("analytics:export", args=[name]), {"node": region.street.pk})
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.max_row >= 3, name  # title, header, at least one row
    grids = load_workbook(
        io.BytesIO(
            client.get(reverse("analytics:export", args=["grids"]), {"node": region.street.pk}).content
        )
    ).active
    received = {row[0]: row[2] for row in grids.iter_rows(min_row=3, values_only=True)}
    assert received == {"Grid A": 2, "Grid B": 0, "Grid C": 1}
    assert client.get(reverse("analytics:export", args=["nothing"])).status_code == 404


def test_big_screen_polls_itself_every_minute(client, login, region, world):
    login("leader")
    response = client.get(reverse("analytics:screen"), {"period": "30"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 60s"' in html
    assert f"node={region.street.pk}" in response.context["refresh_url"]
    assert 'class="screen"' in html


def test_api_tiles_are_scoped_like_the_pages(client, login, region, world):
    login("leader")
    response = client.get("/api/v1/analytics/tiles/kpis", {"node": region.c1.pk, "period": "7"})
    assert response.status_code == 200
    assert response.json()["data"]["received"] == 2
    everything = client.get(
        "/api/v1/analytics/cockpit", {"period": "custom", "start": "2020-01-01", "end": "2020-01-31"}
    )
    assert everything.json()["data"]["kpis"]["received"] == 0
    assert client.get("/api/v1/analytics/tiles/nothing").status_code == 404
    bad = client.get("/api/v1/analytics/tiles/kpis", {"period": "custom", "start": "x", "end": "y"})
    assert bad.status_code == 422
    login("community_staff")
    assert client.get("/api/v1/analytics/tiles/kpis", {"node": region.c2.pk}).status_code == 404
    login("resident")
    assert client.get("/api/v1/analytics/tiles/kpis").status_code == 403


def test_big_screen_shows_a_grid_rate_like_the_cockpit_does(client, login, region, world, monkeypatch):
    from zhili.analytics import tiles

    grids = tiles.grids

    def with_a_rating(node, period, **kwargs):
        rows = grids(node, period, **kwargs)
        rows[0]["satisfaction_rate"] = 0.8667
        return rows

    monkeypatch.setattr(tiles, "grids", with_a_rating)
    login("leader")
    html = client.get(reverse("analytics:screen")).content.decode()
    assert "<td>86.7%</td>" in html  # one decimal, as in the key figures; not rounded to 87%


def test_area_choices_are_indented_from_the_top_of_the_users_area(client, login, region, world):
    login("leader")
    choices = client.get(reverse("analytics:cockpit")).context["node_choices"]
    indents = {node.pk: indent for node, indent in choices}
    assert indents[region.street.pk] == ""
    assert indents[region.c1.pk] == "· "
    login("community_staff")
    choices = client.get(reverse("analytics:cockpit")).context["node_choices"]
    assert [(node.pk, indent) for node, indent in choices] == [(region.c1.pk, "")]


def test_charts_carry_their_no_data_texts(client, login, region, world):
    login("leader")
    labels = client.get(reverse("analytics:cockpit")).context["charts"]["labels"]
    assert labels["no_data"] and labels["no_ratings"]


def test_open_warnings_name_their_place_not_an_id(client, login, region, world):
    from datetime import date

    from zhili.intelligence.models import EarlyWarning, WarningKind

    EarlyWarning.objects.create(
        kind=WarningKind.SPIKE,
        fingerprint="spike:cockpit",
        node=region.c1,
        day=date(2026, 11, 30),
        severity="high",
    )
    login("leader")
    for url in (reverse("analytics:cockpit"), reverse("analytics:screen")):
        page = client.get(url).content.decode()
        assert f"{region.c1.name} · 2026-11-30" in page, url
        assert f"2026-11-30 {region.c1.pk}" not in page


def _more_grids(region, cats, count: int) -> None:
    """``count`` more grids under the street's two communities, each with a boundary and a case."""
    from zhili.cases import actions as case_actions
    from zhili.cases.models import Channel
    from zhili.core.testing import square
    from zhili.territory.actions import do_create_node, do_draw_boundary
    from zhili.territory.models import NodeKind

    for n in range(count):
        community = region.c1 if n % 2 else region.c2
        grid = do_create_node(
            kind=NodeKind.GRID, name=f"Extra {n}", code=f"{community.code}-X{n}", parent=community, actor=None
        )
        west = 116.340 + 0.01 * n
        do_draw_boundary(grid, square(west, 39.900, west + 0.01, 39.910), actor=None)
        case_actions.do_submit_case(
            actor=region.user("dispatcher"), channel=Channel.HOTLINE, title="路灯不亮", body="路灯坏了。",
            node=grid, category=cats.light, contact_mobile="13912345678",
        )  # fmt: skip


def _queries(client, url, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)  # folds what the journal holds: the counts below are of reads only
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("page", ["analytics:cockpit", "analytics:screen"])
def test_the_cockpit_and_the_screen_read_in_as_many_queries_for_nine_grids_as_for_three(
    client, login, region, cats, world, page
):
    login("leader")
    url = reverse(page)
    few = _queries(client, url, {"period": "30"})
    _more_grids(region, cats, 6)
    many = _queries(client, url, {"period": "30"})
    response = client.get(url, {"period": "30"})
    assert len(response.context["charts"]["grids"]) == 9  # the new grids are on the page …
    assert len(response.context["map"]["features"]) == 9
    assert len(many) == len(few)  # … and cost no query each


@pytest.mark.parametrize("page", ["analytics:cockpit", "analytics:screen"])
def test_a_cockpit_page_checks_the_journal_once_and_reads_the_days_once(client, login, region, world, page):
    login("leader")
    sql = _queries(client, reverse(page), {"period": "30"})
    journal = [q for q in sql if "analytics_rollupchange" in q]
    day_rows = [q for q in sql if '"analytics_nodeday"."day" AS "day"' in q]  # trend and satisfaction
    categories = [q for q in sql if 'FROM "cases_category"' in q]
    assert len(journal) == 1, journal
    assert len(day_rows) == 1, day_rows
    assert len(categories) == 1, categories


def test_the_page_shows_the_figures_of_each_tile_read_alone(client, login, region, cats, world):
    from zhili.analytics import tiles

    login("leader")
    context = client.get(reverse("analytics:cockpit"), {"period": "30", "cat": cats.env.pk}).context
    period = context["period"]
    assert context["kpis"] == tiles.kpis(region.street, period)
    assert context["charts"]["trend"] == tiles.trend(region.street, period)
    assert context["charts"]["satisfaction"] == tiles.satisfaction(region.street, period)
    assert context["charts"]["grids"] == tiles.grids(region.street, period)
    assert context["charts"]["departments"] == tiles.departments(region.street, period)
    rows = tiles.categories(region.street, period, parent=cats.env.pk)
    assert [(r["id"], r["received"]) for r in context["category_rows"]] == [
        (r["id"], r["received"]) for r in rows
    ]
    assert context["category_rows"]


def test_cockpit_lists_hotspots_and_open_warnings_as_links(client, login, region, world):
    from datetime import date, timedelta

    from django.utils import timezone

    from zhili.intelligence.models import EarlyWarning, Hotspot, HotspotSnapshot

    now = timezone.now()
    snapshot = HotspotSnapshot.objects.create(created_at=now, since=now - timedelta(days=30), n_cases=4)
    spot = Hotspot.objects.create(
        snapshot=snapshot, node=region.grid_a, label="金桂苑小区：电梯、故障", place="金桂苑小区",
        keywords=["电梯", "故障"], size=4, reporters=3, heat=4.5, first_seen=now, last_seen=now,
        case_ids=world.cases[:2],
    )  # fmt: skip
    warning = EarlyWarning.objects.create(
        kind="spike", fingerprint="spike:cockpit", node=region.c1, day=date(2024, 3, 6),
        severity="high", evidence={"case_ids": []},
    )  # fmt: skip
    login("leader")
    html = client.get(reverse("analytics:cockpit")).content.decode()
    panel = html[html.index('id="tile-signals"') :]
    assert "<li></li>" not in panel
    hotspot_link = f'<a href="{reverse("intelligence:hotspots")}#hotspot-{spot.pk}">'
    assert f"{hotspot_link}金桂苑小区：电梯、故障 · 4 件诉求</a>" in panel
    warning_link = f'<a href="{reverse("intelligence:warning", args=[warning.pk])}">'
    assert f"{warning_link}{warning.summary}</a>" in panel
    # the big screen shows the same words (no links: nobody clicks a wall)
    screen = client.get(reverse("analytics:screen")).content.decode()
    assert "金桂苑小区：电梯、故障 · 4 件诉求" in screen and warning.summary in screen
