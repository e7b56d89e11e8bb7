"""`zhili bench intake` in short mode: gunicorn on PostgreSQL, both endpoints, no errors, a sound chain.

It needs PostgreSQL on 127.0.0.1:5432 (its own throwaway database, whatever database the suite runs
on); without it the test skips, except in CI where it must run.
"""

from __future__ import annotations

import json
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhili.participation.management.commands.bench import BENCHMARKS

SERVER = "postgres://postgres@127.0.0.1:5432"


def _postgres_answers() -> bool:
    import psycopg

    try:
        psycopg.connect(f"{SERVER}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


@pytest.fixture
def postgres() -> str:
    if not _postgres_answers():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL does not answer on 127.0.0.1:5432 but CI needs the intake bench")
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    return f"{SERVER}/zhili_bench_intake_test_{os.getpid()}"


def _database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", connect_timeout=3) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def test_short_run_submits_over_http_without_errors_and_drops_its_database(postgres, capsys):
    call_command(
        "bench", "intake", "--short", "--workers", "2", "--warmup", "40", "--database-url", postgres, "--json"
    )
    figures = json.loads(capsys.readouterr().out)
    for key in ("rps", "p50_ms", "p99_ms", "baseline_rps", "baseline_p50_ms", "baseline_p99_ms", "ratio"):
        assert figures[key] > 0, key
    for key in ("floor_rps", "floor_p50_ms", "floor_p99_ms", "floor_ratio"):
        assert figures[key] > 0, key
    assert figures["floor_ratio"] == pytest.approx(figures["floor_rps"] / figures["baseline_rps"], abs=0.002)
    assert figures["p50_ms"] <= figures["p99_ms"]
    assert figures["requests"] == 300 and figures["concurrency"] == 8 and figures["rounds"] == 2
    assert "latencies" not in json.dumps(figures)
    assert figures["errors"] == 0, figures["error_statuses"]
    # Every submit (warm-up and measured) made exactly one case, and the chain holds all of them.
    assert figures["cases_created"] == 340
    assert 0 < figures["cases_dispatched"] < figures["cases_created"]  # both intake paths ran
    assert figures["audit_chain_ok"] is True
    assert figures["audit_events"] >= figures["cases_created"]
    assert figures["notifications"] >= figures["cases_created"]
    assert figures["ratio"] == pytest.approx(figures["rps"] / figures["baseline_rps"], abs=0.002)
    # Every submit's rollup changes were folded in while the run went on, none are left over.
    assert figures["journal_folded"] == figures["cases_created"]
    assert figures["journal_left"] == 0
    if os.path.isdir("/proc"):  # CPU per request, from the web workers and the database's backends
        submit, base = figures["cpu_ms_per_request"], figures["baseline_cpu_ms_per_request"]
        least = figures["floor_cpu_ms_per_request"]
        for spent in (submit, base, least):
            assert spent["app"] > 0 and spent["database"] > 0
            assert spent["total"] == pytest.approx(spent["app"] + spent["database"], abs=0.02)
        assert submit["total"] > base["total"]
        assert figures["cpu_ratio"] == pytest.approx(base["total"] / submit["total"], abs=0.002)
        assert figures["floor_cpu_ratio"] == pytest.approx(base["total"] / least["total"], abs=0.002)
        # Four more rows in a transaction cost the database more than one row outside it.
        assert least["database"] > base["database"]
    assert not _database_exists(postgres.rsplit("/", 1)[1])


def test_refuses_clearly_without_postgresql():
    with pytest.raises(CommandError, match="PostgreSQL does not answer"):
        call_command(
            "bench", "intake", "--short", "--database-url", "postgres://postgres@127.0.0.1:9/x_bench"
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--rounds", "0"], "must be positive"), (["--requests", "3", "--rounds", "4"], "cannot be more than")],
)
def test_refuses_rounds_it_cannot_run(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("bench", "intake", *args, "--database-url", f"{SERVER}/never_created_bench")


def test_refuses_a_database_url_that_is_not_postgresql():
    with pytest.raises(CommandError, match="postgres://"):
        call_command("bench", "intake", "--short", "--database-url", "sqlite:///bench.sqlite3")


def test_registered_as_intake():
    assert BENCHMARKS["intake"] == "zhili.cases.bench"


def test_cpu_per_request_counts_each_process_between_the_readings():
    from zhili.cases.bench import cpu_per_request

    before = {1: ("app", 10.0), 2: ("database", 4.0), 3: ("database", 9.0)}  # 3 ends in between
    after = {1: ("app", 12.0), 2: ("database", 5.0), 4: ("app", 0.5)}  # 4 starts in between
    assert cpu_per_request(before, after, 1000) == {"app": 2.5, "database": 1.0, "total": 3.5}
    assert cpu_per_request(None, after, 1000) is None


@pytest.mark.django_db(transaction=True)
def test_the_floor_endpoint_writes_the_baseline_row_and_four_more_in_one_transaction(settings, client):
    from django.db import IntegrityError
    from django.urls import clear_url_caches

    from zhili.cases.bench import urls as bench_urls
    from zhili.cases.models import IdempotencyKey
    from zhili.core.testing import make_region

    settings.ROOT_URLCONF = "zhili.cases.bench.urls"
    clear_url_caches()
    region = make_region()
    assert client.post("/bench/floor", b"{}", content_type="application/json").status_code == 401
    client.force_login(region.user("resident"))
    response = client.post(
        "/bench/floor", b"{}", content_type="application/json", headers={"Idempotency-Key": "k1"}
    )
    assert response.status_code == 201
    assert IdempotencyKey.objects.filter(owner="bench", key="k1").count() == 1
    assert sorted(IdempotencyKey.objects.filter(owner="bench-floor").values_list("key", flat=True)) == [
        f"k1/{index}" for index in range(bench_urls.FLOOR_EXTRA_ROWS)
    ]
    # When the last INSERT fails, the rows before it in the transaction are gone too.
    IdempotencyKey.objects.create(owner="bench-floor", key="k2/3", request_hash="")
    with pytest.raises(IntegrityError):
        client.post("/bench/floor", b"{}", content_type="application/json", headers={"Idempotency-Key": "k2"})
    assert not IdempotencyKey.objects.filter(owner="bench", key="k2").exists()
    assert IdempotencyKey.objects.filter(owner="bench-floor", key__startswith="k2/").count() == 1
    clear_url_caches()


def test_rounds_are_combined_over_their_summed_time_and_all_their_latencies():
    from zhili.cases.bench import cpu_per_request_over
    from zhili.cases.bench.load import _figures, combine

    fast = _figures(100, [0.01] * 100, 0, {}, 1.0)
    slow = _figures(100, [0.05] * 98, 2, {"500": 2}, 3.0)
    both = combine([fast, slow])
    assert both["requests"] == 200 and both["ok"] == 198 and both["errors"] == 2
    assert both["error_statuses"] == {"500": 2}
    assert both["rps"] == pytest.approx(198 / 4.0, abs=0.05)  # not the mean of 100/s and 32.7/s
    assert both["p50_ms"] == 10.0 and both["p99_ms"] == 50.0 and both["max_ms"] == 50.0
    assert combine([fast, fast])["p99_ms"] == 10.0
    readings = [
        ({1: ("app", 1.0), 2: ("database", 1.0)}, {1: ("app", 2.0), 2: ("database", 1.5)}),
        ({1: ("app", 5.0), 2: ("database", 2.0)}, {1: ("app", 6.0), 2: ("database", 2.5)}),
    ]
    assert cpu_per_request_over(readings, 1000) == {"app": 2.0, "database": 1.0, "total": 3.0}
    assert cpu_per_request_over([(None, readings[0][1])], 1000) is None
