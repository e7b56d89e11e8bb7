"""The demo's open survey, on a small demo region."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from zhili.accounts.models import User
from zhili.demo.actions import do_load_demo_region
from zhili.participation.demo import load_demo_election
from zhili.participation.surveys import selectors
from zhili.participation.surveys.demo import COMMENTS, PAST_TITLE, load_demo
from zhili.participation.surveys.models import Participation, Response, Survey

pytestmark = pytest.mark.django_db


def test_demo_survey_is_open_answered_and_waits_for_the_demo_resident(client):
    do_load_demo_region(5, scale=0.05)
    load_demo_election(5)
    survey = load_demo(5)
    assert load_demo(5) == survey and Survey.objects.count() == 2  # safe to run twice
    assert survey.status == "open" and survey.anonymous
    responses = Participation.objects.filter(survey=survey).count()
    assert responses == Response.objects.filter(survey=survey).count() > 50
    result = selectors.results(survey)
    by_kind = {item.question.kind: item for item in result.questions}
    assert sum(n for _label, n, _p in by_kind["single"].options) == responses
    assert by_kind["text"].groups and by_kind["text"].groups[0].size > 1
    assert Response.objects.filter(survey=survey, person__isnull=False).count() == 0

    client.force_login(User.objects.get(username="jumin"))
    mine = client.get(reverse("surveys:mine")).content.decode()
    assert survey.title in mine
    assert client.get(reverse("surveys:answer", args=[survey.pk])).status_code == 200


def test_demo_has_last_years_survey_with_results_published_to_the_demo_resident(client):
    do_load_demo_region(5, scale=0.05)
    load_demo_election(5)
    load_demo(5)
    past = Survey.objects.get(title=PAST_TITLE)
    assert past.status == "closed" and past.results_published_at is not None
    assert past.closed_at < past.results_published_at < timezone.now()
    assert Participation.objects.filter(survey=past).count() > 50

    client.force_login(User.objects.get(username="jumin"))
    url = reverse("surveys:public_results", args=[past.pk])
    mine = client.get(reverse("surveys:mine")).content.decode()
    assert url in mine
    html = client.get(url).content.decode()
    assert "您目前最关心的问题是" in html
    assert not any(comment in html for comment in COMMENTS)
