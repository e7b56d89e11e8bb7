"""/api/v1/cases/: intake with Idempotency-Key, scope, transitions, the signed webhook, public tracking."""

from __future__ import annotations

import base64
import json
import time

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from zhili.cases.intake import sign
from zhili.cases.models import Case, IdempotencyKey
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A, OUTSIDE, png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]

API = "/api/v1/cases"


def payload(**overrides):
    body = {
        "title": "路面塌陷",
        "body": "学校门口路面塌陷，有安全隐患。",
        "lat": IN_GRID_A[0],
        "lng": IN_GRID_A[1],
        "category": "ENV-GARB-PILE",
        "channel": "hotline",
        "contact_name": "李四",
        "contact_mobile": "13600001234",
    }
    body.update(overrides)
    return body


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", headers=headers)


# Intake -------------------------------------------------------------------------------------------


def test_submit_creates_a_case_and_answers_201_with_its_timeline(client, login, cats):
    login("dispatcher")
    response = post(client, f"{API}/", payload())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and len(body["code"]) == 10
    assert body["contact"] == {"name": "李*", "mobile": "136****1234"}
    assert [e["kind"] for e in body["events"]] == ["submit"]
    assert "accept" in body["allowed_transitions"]


def test_the_same_key_and_body_give_the_same_response_and_one_case(client, login, cats):
    login("dispatcher")
    first = post(client, f"{API}/", payload(), **{"Idempotency-Key": "k-1"})
    again = post(client, f"{API}/", payload(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(client, login, cats):
    login("dispatcher")
    post(client, f"{API}/", payload(), **{"Idempotency-Key": "k-2"})
    response = post(client, f"{API}/", payload(title="另一件事"), **{"Idempotency-Key": "k-2"})
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_a_failed_request_does_not_use_up_its_key(client, login, cats):
    login("dispatcher")
    bad = post(client, f"{API}/", payload(lat=OUTSIDE[0], lng=OUTSIDE[1]), **{"Idempotency-Key": "k-3"})
    assert bad.status_code == 422 and bad.json()["code"] == "outside_territory"
    assert not IdempotencyKey.objects.exists()
    assert post(client, f"{API}/", payload(), **{"Idempotency-Key": "k-3"}).status_code == 201


def test_keys_of_different_users_do_not_collide(client, login, region, cats):
    login("dispatcher")
    post(client, f"{API}/", payload(), **{"Idempotency-Key": "shared"})
    login("community_staff")
    assert post(client, f"{API}/", payload(title="x"), **{"Idempotency-Key": "shared"}).status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"title": ""}, 422, "title_required"),
        ({"title": None}, 422, "validation_error"),
        ({"lat": "north"}, 422, "validation_error"),
        ({"lat": OUTSIDE[0], "lng": OUTSIDE[1]}, 422, "outside_territory"),
        ({"category": "NOPE"}, 422, "category_invalid"),
        ({"channel": "webhook"}, 422, "channel_invalid"),
        ({"channel": "patrol"}, 403, "forbidden"),
        ({"photos": ["%%%"]}, 422, "upload_not_image"),
        ({"photos": [base64.b64encode(b"MZ\x90\x00 an exe").decode()]}, 422, "upload_not_image"),
        ({"contact_mobile": "12"}, 422, "mobile_invalid"),
    ],
)
def test_bad_submissions_get_stable_codes_and_save_nothing(client, login, cats, data, status, code):
    login("dispatcher")
    response = post(client, f"{API}/", payload(**data))
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert Case.objects.count() == 0


def test_photos_arrive_as_base64_and_are_stored_clean(client, login, cats):
    login("dispatcher")
    response = post(client, f"{API}/", payload(photos=[base64.b64encode(png_bytes()).decode()]))
    assert response.status_code == 201
    assert response.json()["events"][0]["attachments"]


def test_a_photo_listed_in_the_timeline_can_be_fetched_by_those_who_see_the_case(client, login, cats):
    login("dispatcher")
    created = post(client, f"{API}/", payload(photos=[base64.b64encode(png_bytes()).decode()])).json()
    (photo_id,) = created["events"][0]["attachments"]
    url = f"{API}/{created['id']}/attachments/{photo_id}"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert client.get(f"{API}/{created['id']}/attachments/{photo_id + 1}").json()["code"] == "not_found"
    login("outsider")
    assert client.get(url).status_code == 404


def test_intake_needs_a_login(client, cats):
    assert post(client, f"{API}/", payload()).status_code == 401


# Reading ------------------------------------------------------------------------------------------


def test_lists_are_scoped_and_outsiders_see_nothing(client, login, walker):
    case = walker.to(S.PENDING)
    login("dispatcher")
    assert [row["code"] for row in client.get(f"{API}/").json()["items"]] == [case.code]
    login("outsider")
    assert client.get(f"{API}/").json() == {"count": 0, "items": []}
    assert client.get(f"{API}/{case.pk}").status_code == 404


def test_list_filters_by_code_status_and_phone(client, login, walker):
    one, two = walker.to(S.PENDING), walker.to(S.ACCEPTED)
    login("dispatcher")
    assert [r["code"] for r in client.get(f"{API}/", {"q": one.code.lower()}).json()["items"]] == [one.code]
    assert [r["code"] for r in client.get(f"{API}/", {"status": "accepted"}).json()["items"]] == [two.code]
    by_phone = client.get(f"{API}/", {"phone": "139 1234 5678"}).json()
    assert by_phone["count"] == 2
    assert client.get(f"{API}/", {"phone": "13000000000"}).json()["count"] == 0


def test_the_list_takes_the_same_number_of_queries_for_more_cases(client, login, walker):
    login("dispatcher")
    walker.to(S.DISPATCHED)
    client.get(f"{API}/")  # warm the session and membership caches
    with CaptureQueriesContext(connection) as few:
        client.get(f"{API}/")
    for _ in range(5):
        walker.to(S.DISPATCHED)
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"{API}/").json()["count"] == 6
    assert len(many) == len(few)


def test_anonymous_reports_hide_the_contact_from_staff(client, login, cats):
    login("dispatcher")
    body = post(client, f"{API}/", payload(anonymous=True)).json()
    assert body["contact"] == {"name": "", "mobile": ""}


# Transitions --------------------------------------------------------------------------------------


def test_transitions_by_name_with_404_403_and_409(client, login, walker, region):
    case = walker.to(S.DISPATCHED)
    url = f"{API}/{case.pk}/transitions"
    login("outsider")
    assert post(client, f"{url}/sign", {}).status_code == 404
    login("leader")
    assert client.get(f"{API}/{case.pk}").status_code == 200
    refused = post(client, f"{url}/sign", {})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    login("handler")
    signed = post(client, f"{url}/sign", {"note": "已签收"})
    assert signed.status_code == 200 and signed.json()["status"] == "signed"
    again = post(client, f"{url}/sign", {})
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    assert post(client, f"{url}/fly", {}).json()["code"] == "unknown_transition"
    assert post(client, f"{url}/rate_default", {}).status_code == 404


def test_dispatch_return_and_extension_through_the_api(client, login, walker, region):
    case = walker.to(S.PENDING)
    url = f"{API}/{case.pk}/transitions"
    login("dispatcher")
    body = post(client, f"{url}/dispatch", {"department": region.department.pk}).json()
    assert body["department"]["name"] == region.department.name
    assert (
        post(client, f"{url}/dispatch", {"department": region.department.pk}).status_code == 409
    )  # dispatched
    login("handler")
    response = post(client, f"{url}/return", {"reason": ""})
    assert response.status_code == 422 and response.json()["code"] == "reason_required"
    post(client, f"{url}/sign", {})
    assert post(client, f"{url}/request_extension", {"reason": "x"}).json()["code"] == "until_required"
    until = "2099-01-01T10:00:00+08:00"
    extended = post(client, f"{url}/request_extension", {"reason": "需要协调", "until": until})
    assert extended.json()["status"] == "extension_pending"


def test_the_resident_rates_and_staff_merge_by_code(client, login, walker, region):
    case = walker.to(S.VERIFIED)
    login("resident")
    rated = post(client, f"{API}/{case.pk}/transitions/rate", {"rating": "satisfied", "comment": "很快"})
    assert rated.json()["status"] == "rated"
    main, dup = walker.to(S.PENDING), walker.to(S.PENDING)
    login("dispatcher")
    merged = post(client, f"{API}/{dup.pk}/transitions/merge", {"into": main.code.lower()})
    assert merged.json()["status"] == "merged" and merged.json()["merged_into"] == main.code


def test_contact_is_recorded_through_the_api(client, login, walker):
    case = walker.to(S.SIGNED)
    login("handler")
    body = post(client, f"{API}/{case.pk}/contact", {"note": "已电话联系"}).json()
    assert body["events"][-1]["kind"] == "contact"


# Webhook ------------------------------------------------------------------------------------------

SECRET = "s3cret-shared-with-12345"


def signed_post(client, data, *, secret=SECRET, timestamp=None, **headers):
    raw = json.dumps(data, ensure_ascii=False).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        f"{API}/webhook",
        raw,
        content_type="application/json",
        headers={"X-Zhili-Timestamp": ts, "X-Zhili-Signature": sign(secret, ts, raw), **headers},
    )


@override_settings(ZHILI_WEBHOOK_SECRET=SECRET)
def test_a_signed_webhook_creates_one_case_even_when_replayed(client, region, cats):
    data = {
        "title": "12345转办",
        "body": "噪音扰民",
        "lat": IN_GRID_A[0],
        "lng": IN_GRID_A[1],
        "category": "ENV-GARB-PILE",
        "external_ref": "12345-2025-001",
    }
    raw = json.dumps(data, ensure_ascii=False).encode()
    ts = str(int(time.time()))
    headers = {"X-Zhili-Timestamp": ts, "X-Zhili-Signature": sign(SECRET, ts, raw)}
    answers = [
        client.post(f"{API}/webhook", raw, content_type="application/json", headers=headers) for _ in range(3)
    ]
    assert [r.status_code for r in answers] == [201, 201, 201], answers[0].content
    assert answers[0].json() == answers[2].json() and answers[2].headers["Idempotent-Replayed"] == "true"
    case = Case.objects.get()  # a replay inside the time window created nothing
    assert case.channel == "webhook" and case.reporter is None and case.external_ref == "12345-2025-001"
    assert case.status == S.PENDING and case.category_source == "system" and case.category_confidence == 1.0


@override_settings(ZHILI_WEBHOOK_SECRET=SECRET)
def test_bad_signatures_and_old_timestamps_are_refused(client, region, cats):
    data = {"title": "t", "body": "b", "lat": IN_GRID_A[0], "lng": IN_GRID_A[1]}
    wrong = signed_post(client, data, secret="guess")
    assert wrong.status_code == 401 and wrong.json()["code"] == "signature_invalid"
    old = signed_post(client, data, timestamp=int(time.time()) - 3600)
    assert old.status_code == 401 and old.json()["code"] == "signature_expired"
    unsigned = client.post(f"{API}/webhook", json.dumps(data), content_type="application/json")
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "signature_missing"
    # A valid signature over a different body (body swapped in transit).
    raw = json.dumps(data).encode()
    ts = str(int(time.time()))
    swapped = client.post(
        f"{API}/webhook",
        json.dumps({**data, "title": "evil"}),
        content_type="application/json",
        headers={"X-Zhili-Timestamp": ts, "X-Zhili-Signature": sign(SECRET, ts, raw)},
    )
    assert swapped.status_code == 401
    assert Case.objects.count() == 0


def test_the_webhook_is_off_without_a_secret(client, region):
    response = signed_post(client, {"title": "t", "body": "b"})
    assert response.status_code == 503 and response.json()["code"] == "webhook_disabled"


# Public tracking ----------------------------------------------------------------------------------


def _track(client, code: str, phone4: str, **extra):
    body = {"code": code, "phone4": phone4}
    return client.post(f"{API}/track", body, content_type="application/json", **extra)


def test_tracking_is_a_post_so_the_digits_stay_out_of_urls(client, walker):
    case = walker.to(S.PENDING)
    assert client.get(f"{API}/track", {"code": case.code, "phone4": "5678"}).status_code == 405
    assert _track(client, case.code, "5678").status_code == 200


def test_tracking_shows_a_redacted_timeline(client, walker):
    case = walker.to(S.RESOLVED)
    response = _track(client, case.code.lower(), "5678")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "resolved"
    assert [e["status"] for e in body["timeline"]] == [
        "pending",
        "dispatched",
        "signed",
        "in_progress",
        "resolved",
    ]
    assert body["timeline"][1]["handled_by"] == walker.region.department.name
    # The handling result is the answer the resident is owed; names, numbers and other notes are not.
    assert body["result"] == "已清运"
    text = json.dumps(body, ensure_ascii=False)
    for secret in ("13912345678", "handler", "dispatcher", "小区门口"):
        assert secret not in text


def test_tracking_answers_404_for_a_wrong_code_or_phone(client, walker):
    case = walker.to(S.PENDING)
    assert _track(client, case.code, "0000").status_code == 404
    assert _track(client, "ZZZZZZZZZZ", "5678").status_code == 404


def test_tracking_reads_full_width_digits_and_refuses_other_ones(client, walker):
    case = walker.to(S.PENDING)
    assert _track(client, case.code, "５６７８").status_code == 200  # a Chinese keyboard's full width
    assert _track(client, case.code, "٥٦٧٨").status_code == 404  # Arabic-Indic digits: no match, no error


@override_settings(ZHILI_TRACK_FAILURE_LIMIT=10)
def test_tracking_is_locked_after_ten_failures_per_client(client, walker):
    case = walker.to(S.PENDING)
    for digits in range(10):
        assert _track(client, case.code, f"{digits:04d}").status_code == 404
    locked = _track(client, case.code, "5678")
    assert locked.status_code == 429 and locked.json()["code"] == "too_many_attempts"
    # Another client address is not affected.
    other = _track(client, case.code, "5678", REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 200


def test_the_openapi_schema_lists_the_case_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/cases/",
        "/api/v1/cases/webhook",
        "/api/v1/cases/track",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/transitions/{name}",
    ):
        assert path in paths, path


def test_merging_into_an_unknown_code_says_so_and_changes_nothing(client, login, walker):
    dup = walker.to(S.PENDING)
    login("dispatcher")
    for code in ("XXXX", "ZZZZZZZZZZ"):
        refused = post(client, f"{API}/{dup.pk}/transitions/merge", {"into": code})
        assert refused.status_code == 422 and refused.json()["code"] == "main_case_not_found"
    dup.refresh_from_db()
    assert dup.status == S.PENDING and dup.merged_into_id is None
