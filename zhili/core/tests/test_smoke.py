from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_speaks_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"


def test_healthz_answers_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_region_personas_have_their_paths(region):
    assert region.grid_a.path.startswith(region.c1.path)
    assert region.grid_a.is_within(region.street)
    assert not region.grid_d.is_within(region.street)


def test_stylesheet_and_vendored_htmx_are_served(client):
    assert client.get("/static/zhili/zhili.css").status_code == 200
    assert client.get("/static/vendor/htmx/htmx.min.js").status_code == 200
