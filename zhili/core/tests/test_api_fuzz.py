"""Fuzzing the REST API from its own OpenAPI schema: no input may produce a server error.

Schemathesis generates requests (valid and invalid) for every operation and sends them through
the real WSGI application as a logged-in dispatcher, with a valid CSRF pair so that writes reach
the domain code. Any 5xx, or a response that does not match the schema, fails the test.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from zhili.core.testing import make_region

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

CSRF_SECRET = "f" * 32


@pytest.fixture
def session_headers(db, client, settings):
    settings.ZHILI_WEBHOOK_SECRET = "fuzz-webhook-secret"  # unconfigured, the webhook answers 503 on purpose
    region = make_region()
    client.force_login(region.user("dispatcher"))
    session_cookie = client.cookies["sessionid"].value
    # The WSGI app runs in this thread inside the test transaction: keep its connection open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield {
        "Cookie": f"sessionid={session_cookie}; csrftoken={CSRF_SECRET}",
        "X-CSRFToken": CSRF_SECRET,
        "Referer": "http://testserver/",
    }
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_with_a_server_error(case, session_headers):
    response = case.call(headers=session_headers)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"
