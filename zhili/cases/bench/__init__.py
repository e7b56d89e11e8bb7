"""Intake over HTTP: cases submitted through the whole path, against a bare insert as the baseline.

``zhili bench intake [--requests 4000] [--concurrency 16] [--rounds 4] [--workers N] [--json]``

Creates its own PostgreSQL database (``--database-url``, default ``zhili_bench_intake`` on the
local server; dropped afterwards), migrates it and loads a small region with categories, SLA
policies and dispatch rules, logs a resident in, and starts gunicorn on a free loopback port with
production's settings (plus one bench-only URL). Then, after a warm-up, ``--requests`` submits of
``POST /api/v1/cases/`` with an Idempotency-Key each (validation, locate, classify, SLA clock,
dispatch rule, timeline, audit chain, outbox, the stored response) from ``--concurrency``
keep-alive clients in several processes; then as many requests to the baseline endpoint, which goes
through the same middleware and session check and inserts one row with the ORM; then as many to the
floor endpoint: the baseline plus, in one transaction, the four other rows every submit writes (the
case, its event, its audit row, one outbox row) as bare INSERTs, and nothing else.

The three endpoints take turns: ``--rounds`` rounds, each sending every endpoint its share of the
requests, so that a change in the machine's speed during the run (a shared host) touches all three
alike; each endpoint's figures are taken over all its rounds.

Figures: requests/s and p50/p99 latency of each, ``ratio`` = intake rps / baseline rps, and
``floor_ratio`` = floor rps / baseline rps: the ratio the whole path would reach if everything but
its writes cost nothing, so an upper bound for any implementation that writes those rows.
Non-2xx responses count as errors. Afterwards the audit chain is verified and the cases counted.

Where ``/proc`` can be read (Linux), each phase also reports the CPU time its requests cost per
request, in the web workers and in the database's backends of the bench database: on a shared host
the requests/s move with the neighbours' load, the CPU a request costs much less, so
``cpu_ratio`` (baseline CPU / intake CPU per request) is the steadier comparison of the two paths.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhili_bench_intake"
SUBMIT_PATH = "/api/v1/cases/"
BASELINE_PATH = "/bench/baseline"
FLOOR_PATH = "/bench/floor"
# (name, path, body) of the measured endpoints, in the order each round sends them.
PHASES = (
    ("submit", SUBMIT_PATH, "submit"),
    ("baseline", BASELINE_PATH, "baseline"),
    ("floor", FLOOR_PATH, "baseline"),
)


def add_arguments(parser: Any) -> None:
    parser.add_argument("--requests", type=int, default=4000, help="measured requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients (connections)")
    parser.add_argument(
        "--rounds", type=int, default=4, help="turns the endpoints take, each with its share of the requests"
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn worker processes (default: 2 per core)"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (>1: gthread workers)")
    parser.add_argument("--client-processes", type=int, default=0, help="load generator processes")
    parser.add_argument("--warmup", type=int, default=0, help="unmeasured requests first (default: 10%%)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ZHILI_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL database to create for the run (dropped afterwards)",
    )
    parser.add_argument("--short", action="store_true", help="a quick run (300 requests, 8 clients)")
    parser.add_argument("--keep", action="store_true", help="keep the database for inspection")


# The database -------------------------------------------------------------------------------------


def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError("zhili bench intake needs a postgres:// --database-url")
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise ValueError(f"--database-url: database name {name!r} must be letters, digits and underscores")
    return urlunsplit(parts._replace(path="/postgres")), name


def _admin(url: str, sql: str) -> None:
    import psycopg

    maintenance, _name = _maintenance_url(url)
    try:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)  # type: ignore[arg-type]  # a fixed statement with a checked name
    except psycopg.OperationalError as exc:
        raise ValueError(
            f"PostgreSQL does not answer at {urlsplit(maintenance).netloc}: {exc}".strip()
        ) from None


@contextlib.contextmanager
def bench_database(url: str, *, keep: bool) -> Iterator[None]:
    _maintenance, name = _maintenance_url(url)
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(url, f'CREATE DATABASE "{name}"')
    try:
        yield
    finally:
        if not keep:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The server ---------------------------------------------------------------------------------------


def bench_environment(database_url: str, var_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_FILE") and k != "ZHILI_TEST_DB_NAME"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "zhili.cases.bench.settings",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ZHILI_DATA_KEY": "b1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "ZHILI_DEBUG": "0",
            "ZHILI_HTTPS": "0",
            "ZHILI_BEHIND_PROXY": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "ZHILI_TASKS_BACKEND": "database",
            "ZHILI_LOG_LEVEL": "WARNING",
            "ZHILI_VAR_DIR": var_dir,
            "ZHILI_DB_CONN_MAX_AGE": "600",
        }
    )
    env.pop("ZHILI_SIGNING_KEY", None)
    env.pop("REDIS_URL", None)
    return env


def _child(env: dict[str, str], command: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603  # our own interpreter and module
        [sys.executable, "-m", "zhili.cases.bench.setup", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench {command} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, port: int, workers: int, threads: int, log: Any) -> Iterator[int]:
    """gunicorn serving the bench settings on ``port``; yields the master's process id."""
    command = [
        sys.executable, "-m", "gunicorn", "zhili.cases.bench.wsgi:application", "--preload",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", "gthread" if threads > 1 else "sync", "--threads", str(threads),
        "--backlog", "512", "--log-level", "warning", "--timeout", "120",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=log, stderr=log)  # noqa: S603
    try:
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                raise RuntimeError("gunicorn exited while starting (see its log above)")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/ping", timeout=10) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 180 s")
            time.sleep(0.2)
        yield server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class Folding:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.result: dict[str, Any] = {}


@contextlib.contextmanager
def folder(env: dict[str, str]) -> Iterator[Folding]:
    """``zhili.cases.bench.setup fold`` in a child process for the duration of the block."""
    child = subprocess.Popen(  # our own interpreter and module
        [sys.executable, "-m", "zhili.cases.bench.setup", "fold"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    if child.stdout.readline().strip() != "ready":  # Django loaded and a first fold done, or it died
        child.kill()
        _out, err = child.communicate(timeout=120)
        raise RuntimeError(f"bench fold did not start:\n{err[-3000:]}")
    folding = Folding(child.pid)
    try:
        yield folding
    finally:
        child.terminate()
        out, err = child.communicate(timeout=120)
    if child.returncode != 0:
        raise RuntimeError(f"bench fold failed:\n{err[-3000:]}")
    folding.result = json.loads(out.strip().splitlines()[-1])


class Journal:
    """The bench database's rollups journal, watched from here over a connection of its own."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.backend_pid: int = connection.info.backend_pid  # not the requests' CPU: left out

    def wait_until_folded(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while self.connection.execute("SELECT EXISTS (SELECT 1 FROM analytics_rollupchange)").fetchone()[0]:
            if time.monotonic() > deadline:
                raise RuntimeError("the journal was not folded in time: is the folder alive?")
            time.sleep(0.05)


@contextlib.contextmanager
def _journal(url: str) -> Iterator[Journal]:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
        yield Journal(connection)


# CPU per request ----------------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


Reading = dict[int, tuple[str, float]]  # process id → ("app" or "database", CPU seconds so far)


def cpu_seconds(server_pid: int, database: str, *others: int, ignore: int = 0) -> Reading | None:
    """CPU seconds used so far by gunicorn (master and workers) and ``others`` of ours, and by the
    database's backends serving ``database``, per process; None where ``/proc`` cannot be read."""
    if not os.path.isdir("/proc"):
        return None
    reading: Reading = {}
    marker = f" {database} "
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == ignore:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:  # the process ended meanwhile, or is not ours to read
            continue
        # After the command name: state, ppid, … utime and stime are the 12th and 13th fields.
        seconds = (int(fields[11]) + int(fields[12])) / _TICKS
        pid = int(name)
        if pid in (server_pid, *others) or int(fields[1]) == server_pid:
            reading[pid] = ("app", seconds)
        elif command.startswith("postgres: ") and marker in command:
            reading[pid] = ("database", seconds)
    return reading


Interval = tuple[Reading | None, Reading | None]  # the readings before and after some requests


def cpu_per_request_over(readings: list[Interval], requests: int) -> Any:
    """``cpu_per_request`` summed over several (before, after) pairs of readings."""
    if requests <= 0 or any(before is None or after is None for before, after in readings):
        return None
    spent = {"app": 0.0, "database": 0.0}
    for before, after in readings:
        share = cpu_per_request(before, after, requests)
        for side in spent:
            spent[side] += share[side]
    spent["total"] = spent["app"] + spent["database"]
    return {side: round(value, 2) for side, value in spent.items()}


def cpu_per_request(before: Reading | None, after: Reading | None, requests: int) -> Any:
    """Milliseconds of CPU per request between two ``cpu_seconds`` readings, by side and in all.

    Per process: one that started in between counts from zero, one that ended in between (the
    journal's folder and its database backend) is left out rather than subtracted."""
    if before is None or after is None or requests <= 0:
        return None
    spent = {"app": 0.0, "database": 0.0}
    for pid, (side, seconds) in after.items():
        spent[side] += seconds - before.get(pid, (side, 0.0))[1]
    result = {side: value * 1000 / requests for side, value in spent.items()}
    result["total"] = result["app"] + result["database"]
    return {side: round(value, 2) for side, value in result.items()}


def _cpu_ratio(base: Any, other: Any) -> float | None:
    """Baseline CPU / other CPU per request, where both were measured."""
    if not base or not other or other["total"] <= 0:
        return None
    return round(base["total"] / other["total"], 3)


# The run ------------------------------------------------------------------------------------------


def run(
    *,
    requests: int = 4000,
    concurrency: int = 16,
    rounds: int = 4,
    workers: int = 0,
    threads: int = 1,
    client_processes: int = 0,
    warmup: int = 0,
    database_url: str = DEFAULT_DATABASE_URL,
    short: bool = False,
    keep: bool = False,
    **_ignored: Any,
) -> dict[str, Any]:
    from zhili.cases.bench.load import combine, drive, split

    if short:
        requests, concurrency, rounds = min(requests, 300), min(concurrency, 8), min(rounds, 2)
    if requests < 1 or concurrency < 1 or rounds < 1:
        raise ValueError("--requests, --concurrency and --rounds must be positive")
    if rounds > requests:
        raise ValueError("--rounds cannot be more than --requests")
    cpus = os.cpu_count() or 1
    workers = workers or 2 * cpus
    client_processes = client_processes or max(1, min(4, concurrency // 4))
    warmup = warmup or max(concurrency * 4, requests // 10)
    with tempfile.TemporaryDirectory(prefix="zhili-bench-intake-") as var_dir:
        env = bench_environment(database_url, var_dir)
        log_path = os.path.join(var_dir, "gunicorn.log")
        with bench_database(database_url, keep=keep), open(log_path, "w+b") as log:
            client = _child(env, "prepare")
            headers = {"Cookie": client["cookie"], "X-CSRFToken": client["csrf"]}
            port = free_port()
            load = partial(
                drive, port=port, headers=headers, concurrency=concurrency, processes=client_processes
            )
            database = _maintenance_url(database_url)[1]
            parts: dict[str, list[dict[str, Any]]] = {name: [] for name, _path, _body in PHASES}
            spent: dict[str, list[Interval]] = {name: [] for name, _path, _body in PHASES}
            first = warmup  # the submits' bodies and keys go on from the warm-up's
            try:
                with gunicorn(env, port=port, workers=workers, threads=threads, log=log) as server_pid:
                    # Warm-up: every worker connects and fills its caches, unmeasured.
                    warm = load(path=SUBMIT_PATH, body="submit", requests=warmup, tag="w")
                    load(path=BASELINE_PATH, body="baseline", requests=warmup, tag="wb")
                    load(path=FLOOR_PATH, body="baseline", requests=warmup, tag="wf")
                    load_before = os.getloadavg()
                    # The three endpoints take turns, ``rounds`` times, so that a change in the
                    # machine's speed during the run (a shared host) touches each of them alike.
                    # The rollups' journal is folded once a second, so what folding costs is paid
                    # on the same cores; each round of submits ends when its journal is folded.
                    with folder(env) as folding, _journal(database_url) as journal:
                        reading = partial(
                            cpu_seconds, server_pid, database, folding.pid, ignore=journal.backend_pid
                        )
                        for index, count in enumerate(split(requests, rounds)):
                            for name, path, body in PHASES:
                                before = reading()
                                tag = f"{name[0]}{index}"
                                parts[name].append(
                                    load(path=path, body=body, requests=count, tag=tag, first=first)
                                )
                                if name == "submit":
                                    journal.wait_until_folded()
                                spent[name].append((before, reading()))
                            first += count
            except Exception:
                log.seek(0)
                sys.stderr.write(log.read()[-5000:].decode("utf-8", "replace"))
                raise
            after = _child(env, "check")
    submit, base, least = (combine(parts[name]) for name, _path, _body in PHASES)
    ratio = round(submit["rps"] / base["rps"], 3) if base["rps"] else 0.0
    submit_cpu, base_cpu, floor_cpu = (
        cpu_per_request_over(spent[name], combined["ok"])
        for (name, _path, _body), combined in zip(PHASES, (submit, base, least), strict=True)
    )
    cpu_ratio = _cpu_ratio(base_cpu, submit_cpu)
    return {
        "benchmark": "cases_intake",
        "rps": submit["rps"],
        "p50_ms": submit["p50_ms"],
        "p90_ms": submit["p90_ms"],
        "p99_ms": submit["p99_ms"],
        "max_ms": submit["max_ms"],
        "baseline_rps": base["rps"],
        "baseline_p50_ms": base["p50_ms"],
        "baseline_p99_ms": base["p99_ms"],
        "ratio": ratio,
        "cpu_ms_per_request": submit_cpu,
        "baseline_cpu_ms_per_request": base_cpu,
        "cpu_ratio": cpu_ratio,
        "floor_rps": least["rps"],
        "floor_p50_ms": least["p50_ms"],
        "floor_p99_ms": least["p99_ms"],
        "floor_ratio": round(least["rps"] / base["rps"], 3) if base["rps"] else 0.0,
        "floor_cpu_ms_per_request": floor_cpu,
        "floor_cpu_ratio": _cpu_ratio(base_cpu, floor_cpu),
        "requests": requests,
        "rounds": rounds,
        "concurrency": concurrency,
        "errors": submit["errors"] + base["errors"] + least["errors"] + warm["errors"],
        "error_statuses": {
            "submit": submit["error_statuses"],
            "baseline": base["error_statuses"],
            "floor": least["error_statuses"],
            "warmup": warm["error_statuses"],
        },
        "cases_created": after["cases"],
        "journal_folded": folding.result.get("folded", 0),
        "journal_left": after["journal_rows"],
        "cases_dispatched": after["dispatched"],
        "notifications": after["notifications"],
        "audit_events": after["audit_events"],
        "audit_chain_ok": after["audit_chain_ok"],
        "workers": workers,
        "threads": threads,
        "client_processes": client_processes,
        "database": "postgresql",
        "cpus": cpus,
        "load_average_before": [round(x, 2) for x in load_before],
    }
