"""The product's URLs plus the bench's bare insert endpoint (``zhili.cases.bench.settings`` only)."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, path

from zhili.cases.models import IdempotencyKey
from zhili.urls import urlpatterns as product_urlpatterns


def baseline(request: HttpRequest) -> HttpResponse:
    """The yardstick: the same middleware, session and CSRF check, then one ORM insert.

    What the intake path costs beyond this is the price of validation, locating, classifying, the
    clock, dispatch, the timeline, the audit chain and the outbox.
    """
    if request.method != "POST":
        return JsonResponse({"code": "method_not_allowed"}, status=405)
    if not request.user.is_authenticated:
        return JsonResponse({"code": "unauthorized"}, status=401)
    row = IdempotencyKey.objects.create(
        owner="bench",
        key=request.headers.get("Idempotency-Key", "")[:100],
        request_hash=hashlib.sha256(request.body).hexdigest(),
    )
    return JsonResponse({"id": row.pk}, status=201)


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/baseline", baseline, name="bench_baseline"),
    path("bench/ping", ping, name="bench_ping"),
    *product_urlpatterns,
]
