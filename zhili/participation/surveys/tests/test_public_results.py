"""Published results: the official publishes a closed survey's results; residents of the area read
figures (never written answers, never small groups); everyone else gets 404."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from zhili.participation.surveys import actions

from .conftest import good_answers, resident

pytestmark = pytest.mark.django_db


def _answered(survey, n, grid, *, colour=None):
    for i in range(n):
        actions.do_submit_response(
            survey,
            actor=resident(grid),
            answers=good_answers(survey, colour=i % 3 if colour is None else colour, text=f"路灯太暗{i}"),
        )


def _closed(build, staff, region, *, publish=True, **values):
    survey = build(**values)
    _answered(survey, 3, region.grid_a)
    actions.do_close_survey(survey, actor=staff)
    if publish:
        actions.do_publish_survey_results(survey, actor=staff)
    survey.refresh_from_db()
    return survey


def test_the_official_publishes_results_from_the_results_page(region, build, client, staff):
    survey = _closed(build, staff, region, publish=False)
    url = reverse("surveys:results", args=[survey.pk])
    publish = reverse("surveys:publish_results", args=[survey.pk])
    client.force_login(region.user("leader"))  # reads, may not publish
    assert 'id="publish-results"' not in client.get(url).content.decode()
    assert client.post(publish).status_code == 403
    client.force_login(region.user("outsider"))
    assert client.post(publish).status_code == 404
    client.force_login(staff)
    html = client.get(url).content.decode()
    assert 'id="publish-results"' in html and 'id="published-note"' not in html
    response = client.post(publish)
    assert response.status_code == 302 and response.url == url
    survey.refresh_from_db()
    assert survey.results_published_at is not None
    html = client.get(url).content.decode()
    assert 'id="publish-results"' not in html
    assert reverse("surveys:public_results", args=[survey.pk]) in html


def test_an_open_survey_has_no_publish_button_and_cannot_be_published(region, build, client, staff):
    survey = build()
    client.force_login(staff)
    assert (
        'id="publish-results"'
        not in client.get(reverse("surveys:results", args=[survey.pk])).content.decode()
    )
    client.post(reverse("surveys:publish_results", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.results_published_at is None


def test_residents_of_the_area_find_published_results_on_their_list(region, build, client, staff):
    survey = _closed(build, staff, region, min_age=16)  # the area, not only the audience, may read
    url = reverse("surveys:public_results", args=[survey.pk])
    for grid in (region.grid_a, region.grid_b):
        client.force_login(resident(grid, born=date(2015, 1, 1)))  # a child: not in the audience
        mine = client.get(reverse("surveys:mine")).content.decode()
        assert 'id="published-results"' in mine and url in mine
        assert client.get(url).status_code == 200
    client.force_login(staff)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("who", ["other_area", "moved_out", "unlinked", "outsider_staff"])
def test_everyone_else_gets_404(region, build, client, staff, who):
    survey = _closed(build, staff, region)
    users = {
        "other_area": lambda: resident(region.grid_c),
        "moved_out": lambda: resident(region.grid_a, moved_out=date(2020, 1, 1)),
        "unlinked": lambda: region.user("resident"),
        "outsider_staff": lambda: region.user("outsider"),
    }
    client.force_login(users[who]())
    assert client.get(reverse("surveys:public_results", args=[survey.pk])).status_code == 404
    assert (
        reverse("surveys:public_results", args=[survey.pk])
        not in client.get(reverse("surveys:mine")).content.decode()
    )


def test_unpublished_results_are_404_to_residents(region, build, client, staff):
    closed = _closed(build, staff, region, publish=False)
    still_open = build()
    client.force_login(resident(region.grid_a))
    for survey in (closed, still_open):
        assert client.get(reverse("surveys:public_results", args=[survey.pk])).status_code == 404
    assert 'id="published-results"' not in client.get(reverse("surveys:mine")).content.decode()


def test_the_resident_page_shows_figures_and_never_written_answers(region, build, client, staff):
    survey = _closed(build, staff, region)
    client.force_login(staff)
    assert "路灯太暗" in client.get(reverse("surveys:results", args=[survey.pk])).content.decode()
    client.force_login(resident(region.grid_b))
    page = client.get(reverse("surveys:public_results", args=[survey.pk]))
    html = page.content.decode()
    assert "路灯太暗" not in html
    assert all(not item.texts and not item.groups for item in page.context["result"].questions)
    assert not page.context["result"].by_day
    by_kind = {item.question.kind: item for item in page.context["result"].questions}
    assert by_kind["single"].options == [("红", 1, 33.3), ("绿", 1, 33.3), ("蓝", 1, 33.3)]
    assert (4, 3, 100.0) in by_kind["scale"].point_rows  # every answer gave 4
    # ranking [2, 0, 1]: 安全 first every time
    assert by_kind["ranking"].ranking_rows[0][0] == "安全" and by_kind["ranking"].ranking_rows[0][2:4] == (
        3,
        100.0,
    )
    assert f'data-chart="{survey.q["single"].pk}"' in html and "survey-charts" in html
    assert f'id="result-{survey.q["text"].pk}"' in html  # the question is listed, its answers are not


def test_the_resident_cross_tab_never_shows_a_small_group(region, build, client, staff):
    # A named survey: the official's cross-tab shows every grid; the residents' one folds.
    survey = build(anonymous=False)
    _answered(survey, 6, region.grid_a, colour=0)
    _answered(survey, 2, region.grid_b, colour=1)
    actions.do_close_survey(survey, actor=staff)
    actions.do_publish_survey_results(survey, actor=staff)
    q = survey.q["single"].pk
    client.force_login(staff)
    official = client.get(reverse("surveys:results", args=[survey.pk]), {"q": q, "by": "grid"})
    assert [(name, n) for name, n, _c in official.context["crosstab"].rows] == [("Grid A", 6), ("Grid B", 2)]
    client.force_login(resident(region.grid_a))
    page = client.get(reverse("surveys:public_results", args=[survey.pk]), {"q": q})
    table = page.context["crosstab"]
    assert table.by == "grid"
    # Grid B alone would be 2 people; folded with Grid A's 6 the row holds everyone.
    assert [(n, cells) for _name, n, cells in table.rows] == [(8, [6, 2, 0])]
    assert "Grid B" not in page.content.decode().split('id="crosstab-table"')[1]


def test_groups_of_enough_respondents_are_shown_on_the_resident_page(region, build, client, staff):
    survey = build()
    _answered(survey, 5, region.grid_a, colour=0)
    _answered(survey, 5, region.grid_b, colour=2)
    actions.do_close_survey(survey, actor=staff)
    actions.do_publish_survey_results(survey, actor=staff)
    client.force_login(resident(region.grid_a))
    page = client.get(reverse("surveys:public_results", args=[survey.pk]), {"q": survey.q["single"].pk})
    rows = page.context["crosstab"].rows
    assert [(name, n, cells) for name, n, cells in rows] == [
        ("Grid A", 5, [5, 0, 0]),
        ("Grid B", 5, [0, 0, 5]),
    ]
