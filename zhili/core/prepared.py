"""A cursor whose statements PostgreSQL keeps prepared, for the few plain statements every request
or case action sends.

Django's PostgreSQL cursors bind parameters on the client: every statement reaches the server as
new text, which it parses, analyses and plans again. This cursor sends the parameters apart, so
psycopg prepares a statement once it has run ``prepare_threshold`` times on a connection (the
database OPTIONS; ``ZHILI_DB_PREPARE_THRESHOLD``, 5 by default, 0 for never) and the server then
only executes it. On intake this took a quarter off the database's CPU per submit. A rollback on
the connection drops them all (psycopg does). A migration that changes the type of a column a
prepared SELECT returns makes that statement fail on old connections until they roll back or
close (``ZHILI_DB_CONN_MAX_AGE``, 60 s by default): restart the workers after migrating, as a
deploy does.

It is for our own plain SQL only (``%s`` parameters, one statement per call). The ORM's queries
stay on Django's cursors, since server-side binding breaks some of them (parameters repeated in
GROUP BY, Django ticket 34255), and those never prepare. On SQLite it is Django's cursor.

Statements sent through it are logged and counted as Django's are (``connection.queries``,
``CaptureQueriesContext``, execute wrappers).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


@contextmanager
def cursor() -> Iterator[Any]:
    """Like ``connection.cursor()``, in the same connection and transaction."""
    if connection.vendor != "postgresql":
        with connection.cursor() as plain:
            yield plain
        return
    import psycopg

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = psycopg.Cursor(connection.connection)
    wrapper = CursorDebugWrapper if connection.queries_logged else CursorWrapper
    wrapped = wrapper(raw, connection)
    with wrapped as prepared:
        yield prepared
