"""A value built from database rows, kept per process and rebuilt when a cheap stamp moves.

The stamp is a token in a one-row table that every change of the rows behind the value replaces in
its own transaction (see ``territory.BoundaryStamp`` and ``cases.ConfigStamp``): each use reads the
token (one primary-key read) and rebuilds only when it differs from the one the value was built at,
so a change made in any process is seen by all of them at their next use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connection

T = TypeVar("T")


def read_token(stamp: Any) -> str:
    """The token of a stamp model's one row (id 1), or "" before the first change.

    Plain SQL: it runs on every use of the cache, and the ORM would spend more compiling the query
    than running it.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {connection.ops.quote_name(stamp._meta.db_table)} WHERE id = 1")
        row = cursor.fetchone()
    return str(row[0]) if row and row[0] else ""


class StampedCache(Generic[T]):
    def __init__(self, token: Callable[[], str], build: Callable[[str], T]) -> None:
        self._token = token
        self._build = build
        self._lock = threading.Lock()
        self.held: tuple[str, T] | None = None  # (token, value)

    def get(self) -> T:
        # Token first, rows second: a change committed in between makes the value newer than its
        # token (built once more next time), never older (which would stay stale until the next change).
        token = self._token()
        held = self.held
        if held is not None and held[0] == token:
            return held[1]
        with self._lock:
            held = self.held
            if held is None or held[0] != token:
                held = (token, self._build(token))
                self.held = held
        return held[1]
