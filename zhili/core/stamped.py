"""A value built from database rows, kept per process and rebuilt when a cheap stamp moves.

The stamp is a token in a one-row table that every change of the rows behind the value replaces in
its own transaction (see ``territory.BoundaryStamp`` and ``cases.ConfigStamp``): each use reads the
token (one primary-key read) and rebuilds only when it differs from the one the value was built at,
so a change made in any process is seen by all of them at their next use.

Such small reads can be registered by name (``register``) and read by name (``read``). Inside
``read_together()`` the first one read brings all of them, in one statement, and the others come
from that read for the rest of the block: an intake looks at three of them (the configuration,
the grid boundaries, the active classifier) and pays for one round trip instead of three.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from django.db import connection

from zhili.core import prepared

T = TypeVar("T")


def stamp_sql(stamp: Any) -> str:
    """The query of a stamp model's token (its one row, id 1)."""
    return f"SELECT token FROM {connection.ops.quote_name(stamp._meta.db_table)} WHERE id = 1"


# name → a function giving the SQL of a query with one column and at most one row.
_SOURCES: dict[str, Callable[[], str]] = {}
# Inside ``read_together``: the values read so far in this block (empty until the first read).
_together: ContextVar[dict[str, str] | None] = ContextVar("zhili_stamped_together", default=None)


def register(name: str, sql: Callable[[], str]) -> None:
    """Make a small read available to ``read`` under ``name`` (at import of the module owning it)."""
    _SOURCES[name] = sql


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _read_one(name: str) -> str:
    # Plain SQL: it runs on every use of a cache, and the ORM would spend more compiling the query
    # than running it.
    with prepared.cursor() as cursor:
        cursor.execute(_SOURCES[name]())
        row = cursor.fetchone()
    return _text(row[0]) if row else ""


def _read_all() -> dict[str, str]:
    names = sorted(_SOURCES)
    with prepared.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"({_SOURCES[name]()})" for name in names))
        row = cursor.fetchone()
    return {name: _text(value) for name, value in zip(names, row, strict=True)}


def read(name: str) -> str:
    """The value of a registered read ("" for no row or NULL): inside ``read_together`` from the
    block's one read of them all, otherwise read now on its own."""
    seen = _together.get()
    if seen is None:
        return _read_one(name)
    if not seen:
        seen.update(_read_all())
    if name not in seen:  # registered after the block's read
        seen[name] = _read_one(name)
    return seen[name]


@contextmanager
def read_together() -> Iterator[None]:
    """Inside the block, the registered reads are made once, together, at the first of them."""
    if _together.get() is not None:  # nested: the outer block's read serves
        yield
        return
    reset = _together.set({})
    try:
        yield
    finally:
        _together.reset(reset)


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
