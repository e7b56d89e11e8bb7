"""Counting hits per client in the cache: failed tracking look-ups (they must not be brute-forced),
public submissions, staff look-ups by ID number or mobile.

A fixed window per client: the first hit starts it, ``limit`` hits inside it lock the client out
until it ends. For failures a success does not reset the count: a client that knows one valid code
must not be able to keep guessing others. With Redis configured the count is shared by every web process;
with the local memory cache each process counts for itself (the demo), which still bounds guessing
per process.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def _key(scope: str, client: str) -> str:
    # Hashed: cache keys can end up in logs and monitoring, IP addresses are personal data.
    return "zhili:rl:" + scope + ":" + hashlib.sha256(client.encode("utf-8")).hexdigest()[:32]


def is_blocked(scope: str, client: str, *, limit: int) -> bool:
    return int(cache.get(_key(scope, client), 0)) >= limit


def count_hit(scope: str, client: str, *, window: int) -> int:
    key = _key(scope, client)
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1
