"""Database triggers that make ``audit_auditevent`` append-only, and the one way past them.

The triggers refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL) whoever sends them: the ORM, the
admin, a raw cursor, a bug. They are not a defence against someone who holds the database
credentials: such a person can drop a trigger as easily as use the hatch below. That attacker is
what the hash chain is for (``zhili audit verify``).

The maintenance hatch: an operation is let through when, inside the same transaction,

- PostgreSQL: the custom setting ``zhili.audit_maintenance`` is ``'on'``
  (``SELECT set_config('zhili.audit_maintenance', 'on', true)``, gone at commit or rollback);
- SQLite: the single row of the table ``audit_maintenance`` has ``enabled = 1`` (the table is not
  a Django model, so ``flush`` leaves it alone; we set and reset it in one transaction, so no
  other connection ever sees it on).

Only the test harness uses it, to empty the test database between transactional tests (see
``management/commands/flush.py``). Any change to the SQL here needs a new migration that calls
``install`` again; on SQLite, a migration that rebuilds the table (most ALTERs do) drops the
triggers with the old table and must call ``install`` afterwards too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditevent"
MESSAGE = "audit log is append-only"
MAINTENANCE_SETTING = "zhili.audit_maintenance"

SQLITE_INSTALL = [
    "CREATE TABLE IF NOT EXISTS audit_maintenance ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), enabled INTEGER NOT NULL DEFAULT 0)",
    "INSERT OR IGNORE INTO audit_maintenance (id, enabled) VALUES (1, 0)",
    f"""CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update BEFORE UPDATE ON {TABLE}
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}')
        WHERE NOT EXISTS (SELECT 1 FROM audit_maintenance WHERE id = 1 AND enabled = 1);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_delete BEFORE DELETE ON {TABLE}
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}')
        WHERE NOT EXISTS (SELECT 1 FROM audit_maintenance WHERE id = 1 AND enabled = 1);
    END""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    "DROP TABLE IF EXISTS audit_maintenance",
]

# SQLSTATE 23000 (integrity_constraint_violation) so that both databases raise IntegrityError.
POSTGRESQL_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION audit_auditevent_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF coalesce(current_setting('{MAINTENANCE_SETTING}', true), '') = 'on' THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;  -- UPDATE; ignored for the TRUNCATE statement trigger
        END IF;
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation',
            HINT = 'audit events are never changed or removed';
    END
    $$""",
    f"DROP TRIGGER IF EXISTS audit_auditevent_no_change ON {TABLE}",
    f"""CREATE TRIGGER audit_auditevent_no_change BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_refuse_change()""",
    f"DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON {TABLE}",
    f"""CREATE TRIGGER audit_auditevent_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_refuse_change()""",
]
POSTGRESQL_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_auditevent_no_change ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_auditevent_refuse_change()",
]

SQLITE_TRIGGERS = frozenset({"audit_auditevent_no_update", "audit_auditevent_no_delete"})
POSTGRESQL_TRIGGERS = frozenset({"audit_auditevent_no_change", "audit_auditevent_no_truncate"})


def _statements(vendor: str, *, install_: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_INSTALL if install_ else SQLITE_REMOVE
    if vendor == "postgresql":
        return POSTGRESQL_INSTALL if install_ else POSTGRESQL_REMOVE
    raise NotImplementedError(f"append-only triggers are not written for {vendor}")


def install(executor: Any, vendor: str) -> None:
    """Create the triggers. ``executor`` has ``execute(sql)``: a schema editor or a cursor."""
    for sql in _statements(vendor, install_=True):
        executor.execute(sql)


def remove(executor: Any, vendor: str) -> None:
    for sql in _statements(vendor, install_=False):
        executor.execute(sql)


def installed(connection: BaseDatabaseWrapper) -> bool:
    """Are all append-only triggers in place on this database?"""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            expected = SQLITE_TRIGGERS
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
                "AND tgenabled <> 'D'",
                [TABLE],
            )
            expected = POSTGRESQL_TRIGGERS
        else:
            return False
        return expected <= {row[0] for row in cursor.fetchall()}


def _set_maintenance(connection: BaseDatabaseWrapper, on: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, %s, true)", [MAINTENANCE_SETTING, "on" if on else "off"])
        elif connection.vendor == "sqlite":
            cursor.execute("UPDATE audit_maintenance SET enabled = %s WHERE id = 1", [1 if on else 0])


@contextmanager
def maintenance(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let UPDATE/DELETE/TRUNCATE of the audit log through, inside one transaction only.

    Deliberately not used by any product code path; see the module docstring.
    """
    with transaction.atomic(using=connection.alias):
        _set_maintenance(connection, True)
        yield
        _set_maintenance(connection, False)
