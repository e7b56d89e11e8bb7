"""Small registered reads: one statement for all of them inside ``read_together``."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhili.core import stamped


@pytest.fixture
def sources(monkeypatch):
    registry: dict = {}
    monkeypatch.setattr(stamped, "_SOURCES", registry)
    stamped.register("a", lambda: "SELECT 'first'")
    stamped.register("b", lambda: "SELECT NULL")
    stamped.register("c", lambda: "SELECT 1 WHERE 1 = 0")  # no row
    return registry


@pytest.mark.django_db
def test_outside_a_block_each_read_is_its_own_statement(sources):
    with CaptureQueriesContext(connection) as ctx:
        assert stamped.read("a") == "first"
        assert stamped.read("b") == ""
        assert stamped.read("a") == "first"
    assert len(ctx) == 3


@pytest.mark.django_db
def test_inside_a_block_the_first_read_brings_them_all(sources):
    with CaptureQueriesContext(connection) as ctx, stamped.read_together():
        assert stamped.read("b") == ""
        assert stamped.read("a") == "first"
        assert stamped.read("c") == ""
        with stamped.read_together():  # nested: the same read serves
            assert stamped.read("a") == "first"
    assert len(ctx) == 1


@pytest.mark.django_db
def test_a_block_reads_again_next_time_and_late_registrations_alone(sources):
    with stamped.read_together():
        assert stamped.read("a") == "first"
        stamped.register("d", lambda: "SELECT 'late'")
        with CaptureQueriesContext(connection) as ctx:
            assert stamped.read("d") == "late"
            assert stamped.read("d") == "late"
        assert len(ctx) == 1
    sources["a"] = lambda: "SELECT 'changed'"
    with stamped.read_together():
        assert stamped.read("a") == "changed"


@pytest.mark.django_db
def test_the_product_registers_the_intake_stamps():
    import zhili.cases.rulebook
    import zhili.intelligence.classify
    import zhili.territory.locate  # noqa: F401

    assert {"cases.config", "territory.boundaries", "intelligence.classifier"} <= set(stamped._SOURCES)
    with stamped.read_together():
        assert stamped.read("intelligence.classifier") == ""  # no model trained yet
