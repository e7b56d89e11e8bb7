"""The API twins of the answering page: list my open surveys, read one, answer it once."""

from __future__ import annotations

import json

import pytest

from zhili.participation.surveys.models import Participation

from .conftest import good_answers, resident

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_a_resident_lists_reads_and_answers_once(region, build, client):
    survey = build()
    other = build(node=region.c2)
    client.force_login(resident(region.grid_b))
    mine = client.get("/api/v1/surveys/mine").json()
    assert [(s["id"], s["answered"], s["accepting"]) for s in mine] == [(survey.pk, False, True)]
    detail = client.get(f"/api/v1/surveys/{survey.pk}").json()
    assert [q["kind"] for q in detail["questions"]] == ["single", "multiple", "ranking", "scale", "text"]
    assert detail["questions"][1]["condition"] == {"question": survey.q["single"].pk, "values": [2]}
    assert client.get(f"/api/v1/surveys/{other.pk}").status_code == 404

    answers = {str(k): v for k, v in good_answers(survey, colour=2).items()}
    created = post(client, f"/api/v1/surveys/{survey.pk}/responses", {"answers": answers})
    assert created.status_code == 201, created.content
    assert created.json() == {"survey": survey.pk, "anonymous": True}
    again = post(client, f"/api/v1/surveys/{survey.pk}/responses", {"answers": answers})
    assert again.status_code == 409
    assert again.json()["code"] == "already_answered"
    assert client.get("/api/v1/surveys/mine").json()[0]["answered"] is True
    assert Participation.objects.filter(survey=survey).count() == 1


def test_invalid_answers_come_back_question_by_question(region, build, client):
    survey = build()
    client.force_login(resident(region.grid_a))
    answers = {str(k): v for k, v in good_answers(survey).items()}
    answers[str(survey.q["scale"].pk)] = 9
    answers[str(survey.q["ranking"].pk)] = [0, 1]
    response = post(client, f"/api/v1/surveys/{survey.pk}/responses", {"answers": answers})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_answers"
    assert {(e["question"], e["code"]) for e in body["errors"]} == {
        (survey.q["scale"].pk, "out_of_scale"),
        (survey.q["ranking"].pk, "rank_all"),
    }
    assert not Participation.objects.exists()


def test_staff_and_outsiders_have_no_survey_to_answer(region, build, client):
    survey = build()
    client.force_login(region.user("community_staff"))
    assert client.get("/api/v1/surveys/mine").json() == []
    response = post(client, f"/api/v1/surveys/{survey.pk}/responses", {"answers": {}})
    assert response.status_code == 404
