"""/api/v1/residents/: hidden fields are left out, masked ones masked, reveals audited, scope holds."""

from __future__ import annotations

import json

import pytest

from zhili.audit.models import AuditAction, AuditEvent
from zhili.participation.elections.models import ResidentAccount
from zhili.residents.models import CorrectionRequest, Person, Visit

from .conftest import ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db
BASE = "/api/v1/residents"


def test_grid_worker_gets_masked_values_and_revealable_fields(client, login, person):
    login("grid_worker_a")
    data = client.get(f"{BASE}/persons/{person.pk}").json()
    assert data["id_number"] == "110105********002X" and data["mobile"] == "138****5678"
    assert data["revealable"] == ["id_number", "mobile"]
    assert {t["code"] for t in data["tags"]} == {"elderly_alone", "dibao"}
    assert AuditEvent.objects.filter(action=AuditAction.PERSON_VIEWED).count() == 1


def test_handler_answer_has_no_id_number_key_at_all(client, login, person):
    login("handler")
    data = client.get(f"{BASE}/persons/{person.pk}").json()
    assert "id_number" not in data and "mobile" not in data and "tags" not in data
    assert data["name"] == "张*英"


@pytest.mark.parametrize("persona", ["outsider", "admin", "auditor", "grid_worker_b", "nobody"])
def test_outside_scope_is_404(client, login, person, persona):
    login(persona)
    assert client.get(f"{BASE}/persons/{person.pk}").status_code == 404
    assert (
        client.post(
            f"{BASE}/persons/{person.pk}/reveal",
            {"field": "mobile", "reason": "联系本人"},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_anonymous_is_401(client, person):
    assert client.get(f"{BASE}/persons/{person.pk}").status_code == 401


def test_reveal_through_the_api(client, login, person):
    login("community_staff")
    response = client.post(
        f"{BASE}/persons/{person.pk}/reveal",
        {"field": "id_number", "reason": "办理高龄津贴"},
        content_type="application/json",
    )
    assert response.json() == {"field": "id_number", "value": ID_NUMBER}
    response = client.post(
        f"{BASE}/persons/{person.pk}/reveal",
        {"field": "id_number", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    assert AuditEvent.objects.filter(action=AuditAction.PII_REVEALED).count() == 1


def test_leader_may_not_reveal_or_edit(client, login, person):
    login("leader")
    assert (
        client.post(
            f"{BASE}/persons/{person.pk}/reveal",
            {"field": "mobile", "reason": "联系本人"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"{BASE}/persons/{person.pk}", {"name": "改名"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert Person.objects.get(pk=person.pk).name == "张秀英"


def test_search_and_patch(client, login, person):
    login("grid_worker_a")
    found = client.post(f"{BASE}/persons/search", {"q": MOBILE}, content_type="application/json").json()
    assert found["kind"] == "mobile" and [r["id"] for r in found["results"]] == [person.pk]
    response = client.patch(
        f"{BASE}/persons/{person.pk}", {"mobile": "13900002222"}, content_type="application/json"
    )
    assert response.json() == {"changed": ["mobile"]}
    response = client.patch(f"{BASE}/persons/{person.pk}", {"gender": "M"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "gender_mismatch"


def test_household_and_visit(client, login, household, person):
    login("grid_worker_a")
    data = client.get(f"{BASE}/households/{household.pk}").json()
    assert [m["id"] for m in data["members"]] == [person.pk]
    response = client.post(
        f"{BASE}/households/{household.pk}/visits",
        {
            "visited_at": "2025-01-02T10:00:00+08:00",
            "kind": "care",
            "note": "送米面油",
            "person_id": person.pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 201 and Visit.objects.get().note == "送米面油"
    login("leader")
    assert (
        client.post(
            f"{BASE}/households/{household.pk}/visits",
            {"visited_at": "2025-01-02T10:00:00+08:00"},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_resident_own_data_and_correction(client, login, region, person):
    login("resident")
    assert client.get(f"{BASE}/me").status_code == 404
    ResidentAccount.objects.create(user=region.user("resident"), person=person)
    assert client.get(f"{BASE}/me").json()["person"]["id_number"] == ID_NUMBER
    response = client.post(
        f"{BASE}/me/corrections", {"field": "name", "value": "张秀兰"}, content_type="application/json"
    )
    assert response.status_code == 201 and CorrectionRequest.objects.get().field == "name"
    assert "张秀兰" not in json.dumps(
        list(AuditEvent.objects.values_list("details", flat=True)), ensure_ascii=False
    )


# Look-ups by number -------------------------------------------------------------------------------


def test_a_number_in_the_search_url_is_refused_and_nothing_is_looked_up(client, login, person):
    login("grid_worker_a")
    for q in (ID_NUMBER, MOBILE):
        response = client.get(f"{BASE}/persons", {"q": q})
        assert response.status_code == 400 and response.json()["code"] == "number_in_url"
    assert not AuditEvent.objects.filter(action=AuditAction.PERSONS_FOUND_BY_NUMBER).exists()
    assert [r["id"] for r in client.get(f"{BASE}/persons", {"q": "秀英"}).json()["results"]] == [person.pk]


def test_a_look_up_by_number_is_audited_with_the_person_found_and_never_the_number(client, login, person):
    user = login("grid_worker_a")
    found = client.post(f"{BASE}/persons/search", {"q": ID_NUMBER}, content_type="application/json").json()
    assert found["kind"] == "id_number" and [r["id"] for r in found["results"]] == [person.pk]
    event = AuditEvent.objects.get(action=AuditAction.PERSONS_FOUND_BY_NUMBER)
    assert event.actor_id == user.pk and event.node_id == person.household.building.grid_id
    assert event.details == {"kind": "id_number", "found": 1, "person_ids": [person.pk]}
    assert ID_NUMBER not in json.dumps(event.details) and ID_NUMBER[-4:] not in json.dumps(event.details)
    found_log = person.log.filter(kind="found").values_list("actor_id", "fields")
    assert list(found_log) == [(user.pk, ["id_number"])]
    # A number that matches nobody is a look-up too.
    missing = client.post(f"{BASE}/persons/search", {"q": "13800000000"}, content_type="application/json")
    assert missing.json()["results"] == []
    assert AuditEvent.objects.filter(action=AuditAction.PERSONS_FOUND_BY_NUMBER).count() == 2
    # A name search is not a look-up by number.
    client.post(f"{BASE}/persons/search", {"q": "秀英"}, content_type="application/json")
    assert AuditEvent.objects.filter(action=AuditAction.PERSONS_FOUND_BY_NUMBER).count() == 2


def test_look_ups_by_number_are_limited_per_user_and_hour(client, login, person, settings):
    settings.ZHILI_NUMBER_SEARCH_LIMIT = 2
    login("grid_worker_a")

    def look_up(q):
        return client.post(f"{BASE}/persons/search", {"q": q}, content_type="application/json")

    assert look_up(MOBILE).status_code == 200
    assert look_up(ID_NUMBER).status_code == 200
    refused = look_up(ID_NUMBER)
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_number_searches"
    assert "results" not in refused.json()
    assert AuditEvent.objects.filter(action=AuditAction.PERSONS_FOUND_BY_NUMBER).count() == 2
    assert look_up("秀英").status_code == 200  # names still work
    login("community_staff")  # another user has their own count
    assert look_up(ID_NUMBER).status_code == 200
