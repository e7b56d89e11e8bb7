"""The random tracking code of a new case may already be taken: the submit is tried again with a
new code, and gives up (saving nothing) only when it keeps failing or fails on something else."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError

from zhili.audit.verify import verify_chain
from zhili.cases import actions
from zhili.cases.actions import submit
from zhili.cases.models import Case, CaseEvent, Channel, IdempotencyKey
from zhili.cases.tests.conftest import IN_GRID_A

API = "/api/v1/cases/"


def body(title="路面塌陷"):
    return json.dumps(
        {
            "title": title,
            "body": "学校门口路面塌陷，有安全隐患。",
            "lat": IN_GRID_A[0],
            "lng": IN_GRID_A[1],
            "category": "ENV-GARB-PILE",
            "channel": "hotline",
        }
    )


def codes(monkeypatch, *given):
    """random_code() hands out ``given`` first, then codes of its own; returns the list of calls."""
    calls: list[str] = []
    queue = list(given)
    real = submit.random_code

    def fake():
        code = queue.pop(0) if queue else real()
        calls.append(code)
        return code

    monkeypatch.setattr(submit, "random_code", fake)
    return calls


@pytest.mark.django_db
def test_a_taken_code_is_replaced_and_the_api_answers_201(client, login, cats, monkeypatch):
    login("dispatcher")
    first = client.post(API, body("第一件"), content_type="application/json")
    taken = first.json()["code"]
    calls = codes(monkeypatch, taken)
    response = client.post(API, body(), content_type="application/json", headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 201, response.content
    assert response.json()["code"] != taken and len(calls) == 2
    assert Case.objects.count() == 2
    assert CaseEvent.objects.filter(case__code=response.json()["code"]).count() == 1
    # The failed try left nothing: one key row, holding the answer that was sent.
    [key] = IdempotencyKey.objects.all()
    assert key.status_code == 201 and key.response["code"] == response.json()["code"]
    assert verify_chain().ok
    again = client.post(API, body(), content_type="application/json", headers={"Idempotency-Key": "k-1"})
    assert again.json() == response.json() and Case.objects.count() == 2


@pytest.mark.django_db
def test_a_code_taken_every_time_gives_up_and_saves_nothing(client, login, cats, monkeypatch):
    login("dispatcher")
    taken = client.post(API, body("第一件"), content_type="application/json").json()["code"]
    calls = codes(monkeypatch, *[taken] * 10)
    with pytest.raises(actions.CodeClash):
        client.post(API, body(), content_type="application/json", headers={"Idempotency-Key": "k-2"})
    assert len(calls) == submit.CODE_ATTEMPTS
    assert Case.objects.count() == 1 and not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_another_integrity_error_is_not_retried(client, login, cats, monkeypatch):
    login("dispatcher")
    calls = codes(monkeypatch)

    def broken_insert(rows):
        raise IntegrityError("some other constraint")

    monkeypatch.setattr(submit.rows, "insert_new", broken_insert)
    with pytest.raises(actions.CodeClash):
        client.post(API, body(), content_type="application/json", headers={"Idempotency-Key": "k-3"})
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_action_retries_by_itself(region, cats, monkeypatch):
    """The resident form, the hotline and patrol pages call the action outside a transaction."""
    user = region.user("dispatcher")
    common = {
        "actor": user,
        "channel": Channel.HOTLINE,
        "body": "路灯不亮",
        "lat": IN_GRID_A[0],
        "lng": IN_GRID_A[1],
    }
    taken = actions.do_submit_case(title="第一件", **common).code
    calls = codes(monkeypatch, taken)
    case = actions.do_submit_case(title="第二件", **common)
    assert case.code != taken and len(calls) == 2
    assert Case.objects.count() == 2
    assert verify_chain().ok
