"""Plain statements sent through ``prepared.cursor()``: same connection, transaction and logging as
Django's cursors; on PostgreSQL the server keeps them prepared after a few runs, and only them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from zhili.core import prepared
from zhili.territory.models import Node, NodeKind

ROOT = Path(__file__).resolve().parents[3]
ON_POSTGRESQL = connection.vendor == "postgresql"


def _node(code: str) -> Node:
    return Node.objects.create(kind=NodeKind.STREET, name=f"街道{code}", code=code)


def _name_of(pk: int) -> str | None:
    with prepared.cursor() as cursor:
        cursor.execute(f"SELECT name FROM {Node._meta.db_table} WHERE id = %s", [pk])
        row = cursor.fetchone()
    return None if row is None else str(row[0])


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [str(statement) for (statement,) in cursor.fetchall()]


@pytest.mark.django_db
def test_it_reads_what_the_orm_wrote_in_the_same_transaction_and_is_logged_as_django_s_cursors():
    with transaction.atomic():
        node = _node("P1")
        with CaptureQueriesContext(connection) as ctx:
            assert _name_of(node.pk) == "街道P1"
            assert _name_of(node.pk + 1000) is None
        assert [q["sql"].startswith("SELECT name FROM") for q in ctx.captured_queries] == [True, True]


@pytest.mark.django_db
def test_a_failing_statement_raises_django_s_error_and_leaves_nothing_of_its_transaction():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        node = _node("P2")
        with prepared.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Node._meta.db_table} (kind, name, code, path, depth, created_at)"
                " SELECT kind, name, code, path, depth, created_at FROM "
                f"{Node._meta.db_table} WHERE id = %s",
                [node.pk],
            )  # the same code twice
    assert not Node.objects.filter(code="P2").exists()


@pytest.mark.django_db
@pytest.mark.skipif(not ON_POSTGRESQL, reason="prepared statements are PostgreSQL's")
def test_postgresql_prepares_a_plain_statement_after_a_few_runs_and_never_the_orm_s():
    nodes = [_node(f"Q{i}") for i in range(8)]
    for node in nodes:
        assert _name_of(node.pk) == node.name
        assert Node.objects.filter(pk=node.pk).values_list("name", flat=True).get() == node.name
    statements = _prepared_statements()
    ours = [s for s in statements if s.startswith("SELECT name FROM") and "$1" in s]
    assert len(ours) == 1, statements
    assert not [s for s in statements if '"territory_node"."name"' in s], statements


@pytest.mark.django_db
@pytest.mark.skipif(not ON_POSTGRESQL, reason="prepared statements are PostgreSQL's")
def test_a_threshold_of_none_prepares_nothing(monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    node = _node("R1")
    for _ in range(8):
        with prepared.cursor() as cursor:
            cursor.execute(f"SELECT code FROM {Node._meta.db_table} WHERE id = %s", [node.pk])
            assert cursor.fetchone() == ("R1",)
    assert not [s for s in _prepared_statements() if s.startswith("SELECT code FROM")]


@pytest.mark.parametrize(("value", "expected"), [(None, "5"), ("0", "None"), ("20", "20")])
def test_the_threshold_comes_from_the_environment(value, expected):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHILI_", "DJANGO_"))}
    env.update({"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "ZHILI_DEBUG": "1"})
    if value is not None:
        env["ZHILI_DB_PREPARE_THRESHOLD"] = value
    done = subprocess.run(
        [sys.executable, "-c", "from zhili.settings import base; "
         "print(base.DATABASES['default']['OPTIONS']['prepare_threshold'])"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == expected
