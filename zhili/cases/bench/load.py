"""The load generator of ``zhili bench intake``: keep-alive HTTP clients in several processes.

Kept free of Django so that the client processes start fast and cost little: each process runs a
few threads, each thread one connection (``http.client``, reconnecting when the server closes it),
and sends its share of the requests one after another, timing each from send to last byte.
Blocking socket calls release the GIL, so a handful of threads per process keep up with a
server on the same machine; several processes keep the client from becoming the bottleneck.
"""

from __future__ import annotations

import http.client
import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

# Titles and bodies the classifier files under the bench's categories (auto-dispatch), mixed with
# ones it has no opinion on (the case waits for the dispatcher): both intake paths are exercised.
MESSAGES: tuple[tuple[str, str], ...] = (
    ("楼下垃圾堆放", "3号楼下垃圾三天没人清运，气味很大。"),
    ("路灯不亮", "小区东门外路灯坏了一周，晚上很黑。"),
    ("噪音扰民", "楼上装修每天很早开始施工。"),
    ("垃圾桶满了", "垃圾桶满了没人清理，垃圾堆放在路边。"),
    ("井盖缺失", "路口井盖丢了，很危险，路灯也不亮。"),
    ("咨询办事", "想问一下居住证在哪里办理。"),
)
# Points inside the grids of the bench region (lat, lng).
POINTS: tuple[tuple[float, float], ...] = ((39.905, 116.305), (39.905, 116.315), (39.905, 116.325))


def submit_body(index: int) -> bytes:
    title, body = MESSAGES[index % len(MESSAGES)]
    lat, lng = POINTS[index % len(POINTS)]
    payload = {
        "title": title,
        "body": body,
        "lat": lat + (index % 97) * 1e-5,
        "lng": lng + (index % 89) * 1e-5,
        "contact_name": "张先生",
        "contact_mobile": f"139{index % 100000000:08d}",
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def baseline_body(index: int) -> bytes:
    return json.dumps({"n": index}).encode("utf-8")


BODIES: dict[str, Callable[[int], bytes]] = {"submit": submit_body, "baseline": baseline_body}


@dataclass
class Job:
    port: int
    path: str
    body: str  # a key of BODIES
    headers: dict[str, str]
    first: int  # index of this process's first request (bodies and Idempotency-Keys differ)
    counts: list[int]  # requests per thread
    tag: str  # makes Idempotency-Keys unique per run and phase
    timeout: float = 30.0


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)  # non-2xx (or "exception") → count
    started: float = 0.0  # time.monotonic(): one clock for every process on the machine
    finished: float = 0.0


def _thread(job: Job, first: int, count: int, out: Outcome, lock: threading.Lock) -> None:
    make = BODIES[job.body]
    conn = http.client.HTTPConnection("127.0.0.1", job.port, timeout=job.timeout)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    for index in range(first, first + count):
        body = make(index)
        headers = {
            **job.headers,
            "Content-Type": "application/json",
            "Idempotency-Key": f"{job.tag}-{index}",
        }
        started = time.perf_counter()
        try:
            conn.request("POST", job.path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            continue
        elapsed = time.perf_counter() - started
        if 200 <= status < 300:
            latencies.append(elapsed)
        else:
            errors[str(status)] = errors.get(str(status), 0) + 1
    conn.close()
    with lock:
        out.latencies.extend(latencies)
        for key, value in errors.items():
            out.statuses[key] = out.statuses.get(key, 0) + value
            out.errors += value


def run_process(job: Job, barrier: Any = None, results: Any = None) -> Outcome:
    out = Outcome()
    lock = threading.Lock()
    threads = []
    first = job.first
    for count in job.counts:
        threads.append(threading.Thread(target=_thread, args=(job, first, count, out, lock)))
        first += count
    if barrier is not None:
        barrier.wait()  # every process starts together, once all interpreters are up
    out.started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.finished = time.monotonic()
    if results is not None:
        results.put(out)
    return out


def split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def drive(
    *,
    port: int,
    path: str,
    body: str,
    headers: dict[str, str],
    requests: int,
    concurrency: int,
    processes: int,
    tag: str,
    first: int = 0,
) -> dict[str, Any]:
    """``requests`` POSTs over ``concurrency`` connections spread over ``processes`` processes."""
    processes = max(1, min(processes, concurrency))
    per_connection = split(requests, concurrency)
    groups = split(concurrency, processes)
    jobs, offset, start = [], 0, first
    for size in groups:
        counts = per_connection[offset : offset + size]
        jobs.append(Job(port, path, body, headers, start, counts, tag))
        offset += size
        start += sum(counts)
    # spawn, not fork: the parent may hold database connections and threads (pytest, Django).
    context = get_context("spawn")
    barrier = context.Barrier(len(jobs))
    results = context.Queue()
    workers = [context.Process(target=run_process, args=(job, barrier, results)) for job in jobs]
    for worker in workers:
        worker.start()
    outcomes: list[Outcome] = []
    while len(outcomes) < len(jobs):
        try:
            outcomes.append(results.get(timeout=5))
        except queue.Empty:
            if not any(worker.is_alive() for worker in workers):
                raise RuntimeError("a load generator process died (see above)") from None
    for worker in workers:
        worker.join()
    latencies = sorted(x for o in outcomes for x in o.latencies)
    seconds = max(o.finished for o in outcomes) - min(o.started for o in outcomes)
    statuses: dict[str, int] = {}
    for o in outcomes:
        for key, value in o.statuses.items():
            statuses[key] = statuses.get(key, 0) + value
    return _figures(requests, latencies, sum(o.errors for o in outcomes), statuses, seconds)


def combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several ``drive`` runs of one endpoint taken as one: requests/s over their
    summed time, percentiles over all their latencies."""
    statuses: dict[str, int] = {}
    for part in parts:
        for key, value in part["error_statuses"].items():
            statuses[key] = statuses.get(key, 0) + value
    return _figures(
        sum(part["requests"] for part in parts),
        sorted(x for part in parts for x in part["latencies"]),
        sum(part["errors"] for part in parts),
        statuses,
        sum(part["seconds"] for part in parts),
    )


def _figures(
    requests: int, latencies: list[float], errors: int, statuses: dict[str, int], seconds: float
) -> dict[str, Any]:
    return {
        "requests": requests,
        "ok": len(latencies),
        "errors": errors,
        "error_statuses": statuses,
        "seconds": round(seconds, 3),
        "rps": round(len(latencies) / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p90_ms": round(percentile(latencies, 0.90) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round((latencies[-1] if latencies else 0.0) * 1000, 2),
        "latencies": latencies,  # sorted seconds, for ``combine`` (not reported)
    }
