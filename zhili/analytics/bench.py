"""Cockpit tiles at scale: synthetic cases, rollups built, every tile timed against the case table.

``zhili bench dashboard --cases 10000000 [--json]``. Runs in a throwaway database of the configured
kind (PostgreSQL: a database named after the configured one with ``_bench_dashboard``; SQLite: a
temporary file), created with the migrations and dropped afterwards.

1. A synthetic district: ``--streets`` streets × 10 communities × 8 grids, a three-level category
   tree (8 × 4 × 3) and 12 departments.
2. N cases spread over ``--days`` days up to today, loaded in bulk (PostgreSQL: COPY with the
   secondary indexes dropped and rebuilt afterwards, foreign-key triggers off; SQLite: executemany),
   with statuses, clocks and ratings that depend on the age of the case, and their ratings.
3. The rollups built by ``zhili.analytics.rollups.rebuild`` (INSERT … SELECT … GROUP BY).
4. Every tile timed for a street, a community and a grid over the last 30 days and the last year:
   ``p95_ms`` from the rollups (``--runs`` runs), ``baseline_ms`` (p95 of ``--baseline-runs`` runs)
   of the same tile computed straight from the case table, and whether the two gave the same figures.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

COMMUNITIES = 10
GRIDS = 8
CATEGORY_SHAPE = (8, 4, 3)
DEPARTMENTS = 12
CHUNK = 200_000


def add_arguments(parser: Any) -> None:
    parser.add_argument("--cases", type=int, default=100_000, help="synthetic cases to load")
    parser.add_argument("--streets", type=int, default=0, help="streets (default: from the number of cases)")
    parser.add_argument("--days", type=int, default=400, help="days the cases are spread over, up to today")
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each tile from the rollups")
    parser.add_argument(
        "--baseline-runs", type=int, default=3, help="timed runs of each tile from the case table"
    )
    parser.add_argument("--seed", type=int, default=7)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return round(p95(samples), 2), result


# The synthetic region ----------------------------------------------------------------------------


def prepare_region(streets: int) -> dict[str, Any]:
    from zhili.accounts.models import Department
    from zhili.cases.models import Category
    from zhili.territory.actions import do_create_node
    from zhili.territory.models import NodeKind

    district = do_create_node(kind=NodeKind.DISTRICT, name="基准区", code="BD", parent=None, actor=None)
    grids: list[tuple[int, int, int]] = []  # (grid, community, street)
    street_nodes = []
    for s in range(streets):
        street = do_create_node(
            kind=NodeKind.STREET, name=f"基准街道{s + 1}", code=f"BD-S{s}", parent=district, actor=None
        )
        street_nodes.append(street)
        for c in range(COMMUNITIES):
            community = do_create_node(
                kind=NodeKind.COMMUNITY,
                name=f"社区{s + 1}-{c + 1}",
                code=f"BD-S{s}-C{c}",
                parent=street,
                actor=None,
            )
            for g in range(GRIDS):
                grid = do_create_node(
                    kind=NodeKind.GRID,
                    name=f"网格{s + 1}-{c + 1}-{g + 1}",
                    code=f"BD-S{s}-C{c}-G{g}",
                    parent=community,
                    actor=None,
                )
                grids.append((grid.pk, community.pk, street.pk))
    leaves: list[int] = []
    for a in range(CATEGORY_SHAPE[0]):
        top = Category.objects.create(code=f"B{a}", name=f"大类{a + 1}", level=1)
        for b in range(CATEGORY_SHAPE[1]):
            mid = Category.objects.create(code=f"B{a}-{b}", name=f"小类{a + 1}-{b + 1}", level=2, parent=top)
            for c in range(CATEGORY_SHAPE[2]):
                leaf = Category.objects.create(
                    code=f"B{a}-{b}-{c}", name=f"细类{a + 1}-{b + 1}-{c + 1}", level=3, parent=mid
                )
                leaves.append(leaf.pk)
    departments = [
        Department.objects.create(name=f"基准部门{d + 1}", code=f"BD-D{d}", node=district).pk
        for d in range(DEPARTMENTS)
    ]
    return {
        "district": district,
        "streets": street_nodes,
        "grids": grids,
        "leaves": leaves,
        "departments": departments,
    }


# Synthetic cases ---------------------------------------------------------------------------------

OPEN_MIX = ("pending", "dispatched", "signed", "in_progress", "in_progress", "returned", "suspended")


def _ts(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S+00")


def generate(
    n: int, region: dict[str, Any], days: int, seed: int, now: datetime
) -> Iterator[tuple[dict[str, Any], str | None]]:
    """(case values, rating or None) for ``n`` cases, oldest first; ids are 1…n."""
    rng = random.Random(seed)
    grids = region["grids"]
    leaves = region["leaves"]
    departments = region["departments"]
    end = now.timestamp()
    span = days * 86400
    hour, day = 3600.0, 86400.0
    for i in range(1, n + 1):
        created = end - span + span * (i - 0.5) / n  # evenly spread, oldest first
        age = (end - created) / day
        grid, community, street = grids[rng.randrange(len(grids))]
        located = rng.random() < 0.9
        node = grid if located else (community if rng.random() < 0.5 else street)
        roll = rng.random()
        if age < 2:
            status = rng.choice(OPEN_MIX) if roll < 0.8 else "resolved"
        elif age < 15:
            status = (
                rng.choice(OPEN_MIX) if roll < 0.3 else "verified" if roll < 0.45 else "rated" if roll < 0.65
                else "rejected" if roll < 0.7 else "closed"
            )  # fmt: skip
        else:
            status = (
                "closed" if roll < 0.86 else "rated" if roll < 0.9 else "rejected" if roll < 0.94
                else "merged" if roll < 0.96 else rng.choice(OPEN_MIX)
            )  # fmt: skip
        accept_due = created + day
        finish_due = created + 5 * day
        values: dict[str, Any] = {
            "id": i,
            "code": f"B{i:015d}",
            "status": status,
            "category_id": leaves[rng.randrange(len(leaves))] if rng.random() < 0.97 else None,
            "node_id": node,
            "grid_id": grid if located else None,
            "department_id": departments[rng.randrange(len(departments))] if status != "pending" else None,
            "sla_started_at": _ts(created),
            "accept_due_at": _ts(accept_due),
            "finish_due_at": _ts(finish_due),
            "created_at": _ts(created),
            "updated_at": _ts(created),
        }
        open_status = status in OPEN_MIX
        if open_status:
            values["sla_state"] = "red" if finish_due < end else "green"
        if status not in ("pending", "dispatched", "returned", "rejected", "merged"):
            values["signed_at"] = _ts(created + rng.uniform(0.1, 30) * hour)
        finished = status in ("resolved", "verified", "rated", "closed")
        resolved_at = created + rng.uniform(0.5, 6.5) * day
        if finished:
            values["resolved_at"] = _ts(min(resolved_at, end))
        if status in ("verified", "rated", "closed"):
            values["verified_at"] = _ts(min(resolved_at + day, end))
        if status == "closed":
            values["closed_at"] = _ts(min(resolved_at + 3 * day, end))
        elif status in ("rejected", "merged"):
            values["closed_at"] = _ts(created + 2 * hour)
        rating = None
        if status in ("rated", "closed"):
            r = rng.random()
            rating = "satisfied" if r < 0.8 else "basically" if r < 0.92 else "unsatisfied"
        yield values, rating


def _case_columns() -> list[tuple[str, Any]]:
    """(column, default) of every concrete column of the case table."""
    from zhili.cases.models import Case

    columns = []
    for field in Case._meta.concrete_fields:
        if field.null:
            default = None
        elif field.has_default():
            default = field.get_default()
        else:
            default = "" if field.empty_strings_allowed else None
        columns.append((field.column, default))
    return columns


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def _pg_secondary_indexes(cursor: Any, table: str) -> list[tuple[str, str]]:
    """Indexes of ``table`` that back no constraint: (name, CREATE statement)."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        [table],
    )
    return list(cursor.fetchall())


def load_cases(n: int, region: dict[str, Any], days: int, seed: int, now: datetime) -> dict[str, Any]:
    from django.db import connection, transaction

    columns = _case_columns()
    names = [c for c, _d in columns]
    eval_names = ["case_id", "rating", "comment", "source", "round", "created_at"]
    rows = generate(n, region, days, seed, now)
    started = time.perf_counter()
    ratings = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            dropped = _pg_secondary_indexes(cursor, "cases_case") + _pg_secondary_indexes(
                cursor, "cases_evaluation"
            )
            for name, _sql in dropped:
                cursor.execute(f'DROP INDEX "{name}"')
        raw = connection.connection
        done = 0
        while done < n:
            take = min(CHUNK, n - done)
            case_buf, eval_buf = io.StringIO(), io.StringIO()
            for _ in range(take):
                values, rating = next(rows)
                case_buf.write("\t".join(_text(values.get(c, d)) for c, d in columns))
                case_buf.write("\n")
                if rating is not None:
                    ratings += 1
                    rated_at = values.get("closed_at") or values["updated_at"]
                    eval_buf.write(f"{values['id']}\t{rating}\t\tresident\t0\t{rated_at}\n")
            with transaction.atomic(), raw.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")  # no FK triggers while loading
                with cursor.copy(f"COPY cases_case ({', '.join(names)}) FROM STDIN") as copy:
                    copy.write(case_buf.getvalue())
                with cursor.copy(f"COPY cases_evaluation ({', '.join(eval_names)}) FROM STDIN") as copy:
                    copy.write(eval_buf.getvalue())
            done += take
            sys.stderr.write(f"\r载入 load {done}/{n}")
        sys.stderr.write("\n")
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _name, sql in dropped:
                cursor.execute(sql)
            cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [n])
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('cases_evaluation', 'id'), "
                "(SELECT COALESCE(MAX(id), 1) FROM cases_evaluation))"
            )
            cursor.execute("ANALYZE cases_case")
            cursor.execute("ANALYZE cases_evaluation")
        index_seconds = time.perf_counter() - started
    else:
        placeholders = ", ".join(["%s"] * len(names))
        with transaction.atomic(), connection.cursor() as cursor:
            batch: list[list[Any]] = []
            evals: list[list[Any]] = []
            for values, rating in rows:
                batch.append([values.get(c, d) for c, d in columns])
                if rating is not None:
                    evals.append(
                        [
                            values["id"],
                            rating,
                            "",
                            "resident",
                            0,
                            values.get("closed_at") or values["updated_at"],
                        ]
                    )
                if len(batch) >= 5000:
                    cursor.executemany(
                        f"INSERT INTO cases_case ({', '.join(names)}) VALUES ({placeholders})", batch
                    )
                    batch = []
            if batch:
                cursor.executemany(
                    f"INSERT INTO cases_case ({', '.join(names)}) VALUES ({placeholders})", batch
                )
            cursor.executemany(
                f"INSERT INTO cases_evaluation ({', '.join(eval_names)}) VALUES (%s, %s, %s, %s, %s, %s)",
                evals,
            )
            ratings = len(evals)
        load_seconds = time.perf_counter() - started
        index_seconds = 0.0
    return {
        "load_seconds": round(load_seconds, 1),
        "index_seconds": round(index_seconds, 1),
        "ratings": ratings,
    }


def _sqlite_text_times() -> None:
    """SQLite: the generator writes '+00' offsets; store them the way Django does (naive UTC)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for column in ("sla_started_at", "accept_due_at", "finish_due_at", "created_at", "updated_at",
                       "signed_at", "resolved_at", "verified_at", "closed_at"):  # fmt: skip
            cursor.execute(
                f"UPDATE cases_case SET {column} = substr({column}, 1, 19) WHERE {column} IS NOT NULL"
            )
        cursor.execute("UPDATE cases_evaluation SET created_at = substr(created_at, 1, 19)")


# The run -----------------------------------------------------------------------------------------


def run_benchmark(
    cases: int, *, streets: int, days: int, runs: int, baseline_runs: int, seed: int
) -> dict[str, Any]:
    """Run in an empty database (``run`` makes a throwaway one; the tests use theirs)."""
    from django.conf import settings
    from django.db import connection

    from zhili.analytics import rollups, tiles
    from zhili.analytics.models import ROLLUP_MODELS
    from zhili.analytics.scope import today
    from zhili.territory.models import Node

    now = datetime.now(UTC)
    region = prepare_region(streets)
    loaded = load_cases(cases, region, days, seed, now)
    _sqlite_text_times()
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET work_mem = '128MB'")
    rows = rollups.rebuild()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("RESET work_mem")
            if not connection.in_atomic_block:  # VACUUM cannot run in a transaction (the tests' one)
                for model, _dim in ROLLUP_MODELS:
                    cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    rollup_seconds = time.perf_counter() - started

    street = region["streets"][0]
    community = Node.objects.filter(parent=street).order_by("path").first()
    grid = Node.objects.filter(parent=community).order_by("path").first()
    assert community is not None and grid is not None
    current = today()
    periods = {"30d": tiles.Period.last(30, current), "365d": tiles.Period.last(365, current)}
    results = []
    for scope_name, node in (("street", street), ("community", community), ("grid", grid)):
        for period_name, period in periods.items():
            for name in tiles.TILES:
                fast, from_rollups = _timed(lambda: tiles.tile(name, node, period), runs)  # noqa: B023
                slow, from_cases = _timed(lambda: tiles.tile(name, node, period, raw=True), baseline_runs)  # noqa: B023
                results.append(
                    {
                        "name": name,
                        "scope": scope_name,
                        "period": period_name,
                        "p95_ms": fast,
                        "baseline_ms": slow,
                        "ratio": round(slow / fast, 1) if fast else None,
                        "equal": from_rollups == from_cases,
                    }
                )
                sys.stderr.write(
                    f"{scope_name:9} {period_name:4} {name:12} {fast:9.2f} ms  (case table {slow:.1f} ms)\n"
                )
    return {
        "benchmark": "dashboard",
        "cases": cases,
        "ratings": loaded["ratings"],
        "streets": streets,
        "grids": len(region["grids"]),
        "days": days,
        "database": connection.vendor,
        "load_seconds": loaded["load_seconds"],
        "index_seconds": loaded["index_seconds"],
        "rollup_seconds": round(rollup_seconds, 1),
        "rollup_rows": rows,
        "runs": runs,
        "baseline_runs": baseline_runs,
        "max_p95_ms": max(r["p95_ms"] for r in results),
        "all_equal": all(r["equal"] for r in results),
        "tiles": results,
        "debug": settings.DEBUG,  # DEBUG keeps every query: run benchmarks with ZHILI_DEBUG=0
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


@contextlib.contextmanager
def throwaway_database() -> Iterator[None]:
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    saved = dict(test_settings)
    with tempfile.TemporaryDirectory(prefix="zhili-bench-") as tmp:
        if connection.vendor == "sqlite":
            test_settings["NAME"] = str(Path(tmp) / "bench.sqlite3")
        else:
            test_settings["NAME"] = f"{old_name}_bench_dashboard"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            test_settings.clear()
            test_settings.update(saved)


def run(
    *,
    cases: int = 100_000,
    streets: int = 0,
    days: int = 400,
    runs: int = 20,
    baseline_runs: int = 3,
    seed: int = 7,
    **_options: Any,
) -> dict[str, Any]:
    if cases < 1 or days < 30 or runs < 1 or baseline_runs < 1:
        raise ValueError("--cases, --runs and --baseline-runs must be at least 1, --days at least 30")
    # About 500,000 cases a year per street, as in a large city district.
    streets = streets or max(1, min(50, round(cases * 365 / days / 500_000)))
    sys.stderr.write("准备临时数据库 / preparing a throwaway database …\n")
    with throwaway_database():
        return run_benchmark(
            cases, streets=streets, days=days, runs=runs, baseline_runs=baseline_runs, seed=seed
        )
