"""The product's URLs plus the bench's bare insert endpoint (``zhili.cases.bench.settings`` only)."""

from __future__ import annotations

import hashlib

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, path

from zhili.cases.models import IdempotencyKey
from zhili.urls import urlpatterns as product_urlpatterns


def _refused(request: HttpRequest) -> HttpResponse | None:
    """What both bench endpoints answer to anything but a logged-in POST."""
    if request.method != "POST":
        return JsonResponse({"code": "method_not_allowed"}, status=405)
    if not request.user.is_authenticated:
        return JsonResponse({"code": "unauthorized"}, status=401)
    return None


def baseline(request: HttpRequest) -> HttpResponse:
    """The yardstick: the same middleware, session and CSRF check, then one ORM insert.

    What the intake path costs beyond this is the price of validation, locating, classifying, the
    clock, dispatch, the timeline, the audit chain and the outbox.
    """
    if (refused := _refused(request)) is not None:
        return refused
    row = IdempotencyKey.objects.create(
        owner="bench",
        key=request.headers.get("Idempotency-Key", "")[:100],
        request_hash=hashlib.sha256(request.body).hexdigest(),
    )
    return JsonResponse({"id": row.pk}, status=201)


# What every submit must write besides the Idempotency-Key, whatever the implementation: the case,
# its timeline event, its audit row and at least one outbox row.
FLOOR_EXTRA_ROWS = 4
_FLOOR_INSERT = (
    'INSERT INTO "cases_idempotencykey" ("owner", "key", "request_hash", "status_code", "response",'
    ' "created_at") VALUES (%s, %s, %s, 0, %s, CURRENT_TIMESTAMP)'
)


def floor(request: HttpRequest) -> HttpResponse:
    """The least a submit can cost: the baseline, plus in the same transaction the four other rows
    every submit writes, each a bare single-row INSERT in plain SQL.

    Nothing else: no validation, locating, classifying, clock, dispatch, encryption, hash chain or
    stored response. Its rate over the baseline's is the ratio an implementation of the whole path
    would reach if everything but its writes cost nothing.
    """
    if (refused := _refused(request)) is not None:
        return refused
    key = request.headers.get("Idempotency-Key", "")[:90]
    with transaction.atomic():
        row = IdempotencyKey.objects.create(
            owner="bench", key=key, request_hash=hashlib.sha256(request.body).hexdigest()
        )
        with connection.cursor() as cursor:
            for index in range(FLOOR_EXTRA_ROWS):
                cursor.execute(_FLOOR_INSERT, ["bench-floor", f"{key}/{index}", "", "{}"])
    return JsonResponse({"id": row.pk}, status=201)


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/baseline", baseline, name="bench_baseline"),
    path("bench/floor", floor, name="bench_floor"),
    path("bench/ping", ping, name="bench_ping"),
    *product_urlpatterns,
]
