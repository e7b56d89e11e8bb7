"""Pages: scope (outsider 404, read-only 403), the form editor, answering with server-side checks,
results with cross-tabs and the .xlsx export."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zhili.participation.surveys import actions
from zhili.participation.surveys.models import Participation, Question
from zhili.residents.models import Tag

from .conftest import good_answers, resident

pytestmark = pytest.mark.django_db


def post_answers(survey, answers):
    """The answering form's fields for ``answers`` (question id → value, as the API takes them)."""
    data = {}
    kinds = {q.pk: q for q in survey.questions.all()}
    for qid, value in answers.items():
        q = kinds[qid]
        if q.kind == "ranking":
            for place, option in enumerate(value, start=1):
                data[f"q{qid}_r{option}"] = str(place)
        elif isinstance(value, list):
            data[f"q{qid}"] = [str(v) for v in value]
        else:
            data[f"q{qid}"] = str(value)
    return data


# -- scope ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["detail", "results", "results_xlsx"])
def test_outsider_gets_404_on_staff_pages(region, build, client, name):
    survey = build()
    client.force_login(region.user("outsider"))
    assert client.get(reverse(f"surveys:{name}", args=[survey.pk])).status_code == 404


def test_read_only_roles_see_but_cannot_run(region, build, client):
    survey = build(status="draft")
    client.force_login(region.user("leader"))
    assert client.get(reverse("surveys:detail", args=[survey.pk])).status_code == 200
    assert client.post(reverse("surveys:step", args=[survey.pk, "publish"])).status_code == 403
    assert client.get(reverse("surveys:settings", args=[survey.pk])).status_code == 403
    assert client.get(reverse("surveys:new")).status_code == 403
    survey.refresh_from_db()
    assert survey.status == "draft"


def test_staff_of_another_community_cannot_see_the_survey(region, build, client):
    survey = build(node=region.c2)
    client.force_login(region.user("community_staff"))  # community 1
    assert client.get(reverse("surveys:detail", args=[survey.pk])).status_code == 404
    listing = client.get(reverse("surveys:list")).content.decode()
    assert survey.title not in listing


def test_resident_outside_the_audience_gets_404_on_the_answer_page(region, build, client):
    survey = build()
    client.force_login(resident(region.grid_c))
    assert client.get(reverse("surveys:answer", args=[survey.pk])).status_code == 404
    client.force_login(region.user("resident"))  # not linked to the register
    assert client.get(reverse("surveys:answer", args=[survey.pk])).status_code == 404


# -- the editor -------------------------------------------------------------------------------


def test_staff_write_a_survey_with_the_form_editor_and_publish_it(region, client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("surveys:new"),
        {"node": region.c1.pk, "title": "垃圾分类意见征集", "anonymous": "on", "description": ""},
    )
    assert response.status_code == 302
    pk = int(response["Location"].rstrip("/").split("/")[-1])
    add = reverse("surveys:question_add", args=[pk])
    assert (
        client.post(
            add, {"kind": "single", "text": "您是否参与分类？", "options": "是\n否\n\n", "required": "on"}
        ).status_code
        == 302
    )
    first = Question.objects.get(survey_id=pk)
    assert first.options == ["是", "否"]
    follow = client.post(
        add, {"kind": "text", "text": "为什么不参与？", "max_length": "200", "condition": f"{first.pk}:1"}
    )
    assert follow.status_code == 302
    second = Question.objects.get(survey_id=pk, kind="text")
    assert second.condition_question_id == first.pk and second.condition_values == [1]
    refused = client.post(add, {"kind": "single", "text": "只有一个选项", "options": "唯一"})
    assert refused.status_code == 200
    assert "两个" in refused.content.decode() or "two" in refused.content.decode()
    page = client.get(reverse("surveys:detail", args=[pk])).content.decode()
    assert "您是否参与分类？" in page and "为什么不参与？" in page
    assert client.post(reverse("surveys:step", args=[pk, "publish"])).status_code == 302
    assert client.get(reverse("surveys:detail", args=[pk])).context["survey"].status == "open"


# -- answering --------------------------------------------------------------------------------


def test_resident_answers_once_through_the_page(region, build, client):
    survey = build()
    user = resident(region.grid_a)
    client.force_login(user)
    mine = client.get(reverse("surveys:mine")).content.decode()
    assert survey.title in mine
    page = client.get(reverse("surveys:answer", args=[survey.pk]))
    assert page.status_code == 200
    done = client.post(
        reverse("surveys:answer", args=[survey.pk]), post_answers(survey, good_answers(survey, colour=2))
    )
    assert done.status_code == 200
    assert "感谢" in done.content.decode() or "Thank you" in done.content.decode()
    assert Participation.objects.filter(survey=survey).count() == 1
    again = client.get(reverse("surveys:answer", args=[survey.pk])).content.decode()
    assert "已" in again or "already" in again
    second = client.post(
        reverse("surveys:answer", args=[survey.pk]), post_answers(survey, good_answers(survey))
    )
    assert Participation.objects.filter(survey=survey).count() == 1
    assert second.status_code == 200


def test_the_page_refuses_an_answer_to_a_hidden_question_and_a_duplicate_place(region, build, client):
    survey = build()
    client.force_login(resident(region.grid_a))
    data = post_answers(survey, good_answers(survey, colour=0))
    data[f"q{survey.q['multiple'].pk}"] = ["0"]  # hidden unless 蓝
    data[f"q{survey.q['ranking'].pk}_r0"] = "1"
    data[f"q{survey.q['ranking'].pk}_r1"] = "1"
    response = client.post(reverse("surveys:answer", args=[survey.pk]), data)
    assert response.status_code == 422
    assert not Participation.objects.exists()
    html = response.content.decode()
    assert html.count('class="errorlist q-error"') == 2


# -- results ----------------------------------------------------------------------------------


def _answered(region, survey, n, grid):
    for i in range(n):
        actions.do_submit_response(
            survey, actor=resident(grid), answers=good_answers(survey, colour=i % 3, text=f"路灯太暗{i}")
        )


def test_results_cross_tab_folds_small_groups_of_an_anonymous_survey(region, build, client, staff):
    survey = build(anonymous=True, node=region.street)
    _answered(region, survey, 6, region.grid_a)
    _answered(region, survey, 2, region.grid_c)
    client.force_login(staff)
    assert (
        client.get(reverse("surveys:results", args=[survey.pk])).status_code == 404
    )  # street survey, c1 staff
    client.force_login(region.user("supervisor"))
    page = client.get(
        reverse("surveys:results", args=[survey.pk]), {"q": survey.q["single"].pk, "by": "community"}
    )
    assert page.status_code == 200
    table = page.context["crosstab"]
    assert [(name, n) for name, n, _cells in table.rows] == [("Community 1", 6), (table.rows[-1][0], 2)]
    assert table.folded == 2
    assert table.rows[0][2] == [2, 2, 2]
    assert page.context["result"].responses == 8
    assert "Community 2" not in page.content.decode().split('id="crosstab-table"')[1]


def test_named_survey_cross_tab_shows_every_group(region, build, client):
    survey = build(anonymous=False, node=region.street)
    _answered(region, survey, 2, region.grid_a)
    _answered(region, survey, 1, region.grid_c)
    client.force_login(region.user("supervisor"))
    page = client.get(reverse("surveys:results", args=[survey.pk]), {"q": survey.q["scale"].pk, "by": "grid"})
    rows = page.context["crosstab"].rows
    assert [(name, n) for name, n, _cells in rows] == [("Grid A", 2), ("Grid C", 1)]
    assert rows[0][2][-1] == 4.0  # mean of the scale


def test_export_holds_the_same_counts(region, build, client, staff):
    survey = build()
    _answered(region, survey, 3, region.grid_a)
    client.force_login(staff)
    response = client.get(reverse("surveys:results_xlsx", args=[survey.pk]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    summary = [row[:3] for row in book.worksheets[0].iter_rows(values_only=True)]
    assert ("红", 1, 33.3) in summary and ("蓝", 1, 33.3) in summary
    responses = list(book.worksheets[-1].iter_rows(values_only=True))
    assert len(responses) == 4  # header and three responses
    assert all("res" not in str(cell) for row in responses for cell in row)


# -- query counts -----------------------------------------------------------------------------


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_pages_do_not_query_per_survey(region, build, client, staff):
    build()
    user = resident(region.grid_a)
    client.force_login(staff)
    staff_one = _queries(client, reverse("surveys:list"))
    client.force_login(user)
    mine_one = _queries(client, reverse("surveys:mine"))
    for _ in range(3):
        build()
    client.force_login(staff)
    assert _queries(client, reverse("surveys:list")) == staff_one
    client.force_login(user)
    # Each open survey's audience check is one query (age and tags need the person's record).
    assert _queries(client, reverse("surveys:mine")) <= mine_one + 3 * 2


def test_settings_and_question_edit_pages_change_a_draft(region, build, client, staff):
    survey = build(status="draft")
    client.force_login(staff)
    tag = Tag.objects.get(code="elderly_alone")
    response = client.post(
        reverse("surveys:settings", args=[survey.pk]),
        {"title": "独居老人需求调查", "anonymous": "", "min_age": "60", "max_age": "", "tags": [tag.pk]},
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.title, survey.anonymous, survey.min_age) == ("独居老人需求调查", False, 60)
    assert list(survey.audience_tags.all()) == [tag]
    q = survey.q["scale"]
    edit = reverse("surveys:question_edit", args=[survey.pk, q.pk])
    assert client.get(edit).status_code == 200
    refused = client.post(edit, {"kind": "scale", "text": "满意度", "scale_min": "5", "scale_max": "1"})
    assert refused.status_code == 200
    assert (
        client.post(
            edit, {"kind": "scale", "text": "满意度", "scale_min": "0", "scale_max": "10"}
        ).status_code
        == 302
    )
    q.refresh_from_db()
    assert (q.text, q.scale_min, q.scale_max) == ("满意度", 0, 10)
    actions.do_publish_survey(survey, actor=staff)
    assert (
        client.post(edit, {"kind": "scale", "text": "改", "scale_min": "1", "scale_max": "5"}).status_code
        == 200
    )
    q.refresh_from_db()
    assert q.text == "满意度"


@pytest.mark.parametrize(
    ("ages", "shown"),
    [
        ({"min_age": 16}, "16 岁及以上"),
        ({"max_age": 30}, "30 岁及以下"),
        ({"min_age": 18, "max_age": 60}, "年龄 18–60 岁"),
    ],
)
def test_the_age_range_reads_in_words(region, build, client, ages, shown):
    survey = build(status="draft", **ages)
    client.force_login(region.user("leader"))
    page = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert shown in page and "∞" not in page
