"""Keeping the rollups equal to the case table: per action, by repair, and from scratch.

- ``snapshot(case)`` before an action changes a case and ``on_case_change(before, case)`` after it
  saved the case: the difference of the two contributions goes to the journal (``RollupChange``),
  one row in the action's transaction (so it commits or rolls back with the case).
- ``fold()``: adds the journal's committed rows to the rollup rows (one multi-row UPSERT per rollup
  table, summed over every change folded) and deletes them, in one transaction. Every read of the
  rollups (``tiles``) folds first (``fold_before_reading``), so a tile shows every committed
  action, unless a repair is at work; the demo's minutely ``analytics refresh`` folds too. The
  actions never touch the rollup rows, which every action of a street's day shares: they neither
  wait for each other there nor pay a dozen upserts each.
- ``refresh_lights()``: the SLA sweep turns lights red with bulk UPDATEs that bypass the actions;
  this recomputes the ``overdue`` counters from the open cases (a partial index away), run every
  minute beside the sweep.
- ``rebuild(since)``: recomputes every counter of the days from ``since`` with INSERT … SELECT …
  GROUP BY (the periodic repair, and the first build): the case table read once into narrow rows,
  summed at each case's own node, then one tree level at a time from the level below (a case is
  never expanded to its ancestors); the month rows from the day rows, from ``since``'s month.

Every day table has a month table beside it (``MONTH_OF``), kept by the same UPSERTs and repairs.

Folds take one lock (PostgreSQL: an advisory lock), so they run one at a time. Both repairs take it
too, then lock the journal and the rollup tables (EXCLUSIVE, which lets readers through) and fold
before reading the cases. An action that wrote its journal row before has then committed: its row
is folded and its case is in the snapshot, and what the repair recomputes replaces what the fold
added. An action that has not blocks on its journal row until the repair commits, and its row is
folded later, on top of figures computed without its change. Either way nothing counts twice.
"""

from __future__ import annotations

import contextvars
import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models, transaction

from zhili.analytics.models import COUNTERS, DAY_TABLES, MONTH_OF, ROLLUP_MODELS, RollupBase, RollupChange
from zhili.cases.models import Case, Evaluation, Rating, SlaState
from zhili.cases.states import OPEN_STATUSES, CaseStatus
from zhili.territory.models import Node

BEIJING = ZoneInfo("Asia/Shanghai")
DONE_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.VERIFIED, CaseStatus.RATED, CaseStatus.CLOSED})
NOT_TAKEN = frozenset({CaseStatus.REJECTED, CaseStatus.MERGED})
PLEASED = frozenset({Rating.SATISFIED, Rating.BASICALLY})
# A case can only have a rating in these statuses, or once reopened (a first 不满意).
RATED_STATUSES = frozenset({CaseStatus.RATED, CaseStatus.CLOSED})
N = len(COUNTERS)
CLOSED_INDEX = COUNTERS.index("closed")
OVERDUE_INDEX = COUNTERS.index("overdue")

Vector = tuple[int, ...]
# (table index, node id, day, dimension value)
Key = tuple[int, int, date, int]


def local_day(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in Beijing."""
    return datetime.combine(day, time(0), tzinfo=BEIJING)


@dataclass(frozen=True)
class Snapshot:
    """What a case contributes to the rollups, as of one moment."""

    ancestors: tuple[int, ...]
    created: date
    closed: date | None
    category_id: int
    department_id: int
    counters: Vector  # the filing-day counters (``closed`` is 0 here and keyed separately)


def latest_rating(case: Case) -> str | None:
    if case.status not in RATED_STATUSES and not case.reopen_count:
        return None
    return Evaluation.objects.filter(case_id=case.pk).order_by("-id").values_list("rating", flat=True).first()


def counters_of(case: Any, rating: str | None) -> Vector:
    """The filing-day counters of one case (the same definitions as ``rebuild``'s SQL)."""
    status = case.status
    is_open = status in OPEN_STATUSES
    signed = case.signed_at is not None and case.accept_due_at is not None
    resolved = case.resolved_at is not None and case.finish_due_at is not None
    values = {
        "received": 1,
        "open": int(is_open),
        "overdue": int(is_open and case.sla_state == SlaState.RED),
        "taken": int(status not in NOT_TAKEN),
        "finished": int(status in DONE_STATUSES),
        "signed": int(signed),
        "signed_on_time": int(signed and case.signed_at <= case.accept_due_at),
        "resolved": int(resolved),
        "resolved_on_time": int(resolved and case.resolved_at <= case.finish_due_at),
        "rated": int(rating is not None),
        "satisfied": int(rating in PLEASED),
        "closed": 0,
    }
    return tuple(values[name] for name in COUNTERS)


def snapshot(case: Case) -> Snapshot:
    return Snapshot(
        ancestors=tuple(case.node.ancestors()),
        created=local_day(case.created_at),
        closed=local_day(case.closed_at) if case.closed_at else None,
        category_id=case.category_id or 0,
        department_id=case.department_id or 0,
        counters=counters_of(case, latest_rating(case)),
    )


def month_start(day: date) -> date:
    return day.replace(day=1)


def _contributions(snap: Snapshot, sign: int, into: dict[Key, list[int]]) -> None:
    dims = (0, snap.category_id, snap.department_id)
    for node in snap.ancestors:
        for table in range(DAY_TABLES):
            for index, day in ((table, snap.created), (MONTH_OF[table], month_start(snap.created))):
                row = into.setdefault((index, node, day, dims[table]), [0] * N)
                for i, value in enumerate(snap.counters):
                    row[i] += sign * value
            if snap.closed is not None:
                for index, day in ((table, snap.closed), (MONTH_OF[table], month_start(snap.closed))):
                    row = into.setdefault((index, node, day, dims[table]), [0] * N)
                    row[CLOSED_INDEX] += sign


def delta(before: Snapshot | None, after: Snapshot | None) -> dict[Key, list[int]]:
    """Non-zero differences per rollup row between two snapshots of one case."""
    rows: dict[Key, list[int]] = {}
    if before is not None:
        _contributions(before, -1, rows)
    if after is not None:
        _contributions(after, +1, rows)
    return {key: values for key, values in rows.items() if any(values)}


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(dim: str) -> list[str]:
    return ["node_id", "day", *([dim] if dim else []), *COUNTERS]


def apply(rows: dict[Key, list[int]]) -> None:
    """Add the differences: one INSERT … ON CONFLICT DO UPDATE per table that changes.

    Rows go in key order, so that two transactions touching the same rows lock them in one order.
    On PostgreSQL all six upserts are one statement of constant text (each a WITH clause reading
    its rows from one JSON parameter): a round trip per action, not one per table, while the action
    holds the audit chain lock, and a statement the driver parses once per process instead of
    binding a dozen parameters per row each time.
    """
    by_table: dict[int, list[tuple[Key, list[int]]]] = defaultdict(list)
    for key, values in sorted(rows.items()):
        by_table[key[0]].append((key, values))
    if connection.vendor == "postgresql":
        arrays = [
            json.dumps(
                [
                    [node, day.isoformat(), *([dim_value] if ROLLUP_MODELS[index][1] else []), *values]
                    for (_t, node, day, dim_value), values in by_table.get(index, [])
                ]
            )
            for index in range(len(ROLLUP_MODELS))
        ]
        with connection.cursor() as cursor:
            cursor.execute(_postgresql_upserts(), arrays)
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table_index, items in sorted(by_table.items()):
            model, dim = ROLLUP_MODELS[table_index]
            columns = _columns(dim)
            placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
            params: list[Any] = []
            for (_t, node, day, dim_value), values in items:
                params.extend([node, connection.ops.adapt_datefield_value(day)])
                if dim:
                    params.append(dim_value)
                params.extend(values)
            cursor.execute(
                f"INSERT INTO {_table(model)} ({', '.join(qn(c) for c in columns)}) "
                f"VALUES {', '.join([placeholders] * len(items))} {_on_conflict(model, dim)}",
                params,
            )


def _on_conflict(model: type[RollupBase], dim: str) -> str:
    qn = connection.ops.quote_name
    table = _table(model)
    key_columns = _columns(dim)[: 3 if dim else 2]
    updates = ", ".join(f"{qn(c)} = {table}.{qn(c)} + excluded.{qn(c)}" for c in COUNTERS)
    return f"ON CONFLICT ({', '.join(qn(c) for c in key_columns)}) DO UPDATE SET {updates}"


@functools.cache
def _postgresql_upserts() -> str:
    """``WITH u0 AS (INSERT … SELECT … FROM jsonb_array_elements(%s) … ON CONFLICT …), u1 … SELECT 1``:
    table ``i`` takes its rows from parameter ``i``, a JSON array of ``[node, day, (dim,) counters…]``
    (an empty array writes nothing), inserted in the array's order."""
    qn = connection.ops.quote_name
    clauses = []
    for index, (model, dim) in enumerate(ROLLUP_MODELS):
        columns = _columns(dim)
        casts = ["bigint", "date", *(["bigint"] if dim else []), *(["integer"] * N)]
        values = ", ".join(f"(r->>{i})::{cast}" for i, cast in enumerate(casts))
        clauses.append(
            f"u{index} AS (INSERT INTO {_table(model)} ({', '.join(qn(c) for c in columns)}) "
            f"SELECT {values} FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(r, o) ORDER BY o "
            f"{_on_conflict(model, dim)})"
        )
    return f"WITH {', '.join(clauses)} SELECT 1"


def on_case_change(before: Snapshot | None, case: Case) -> None:
    """Called by the case actions after they saved ``case`` (``before``: None for a new case):
    the differences go to the journal, one row (plain SQL: it runs in every action)."""
    rows = delta(before, snapshot(case))
    if not rows:
        return
    payload = json.dumps(
        [[table, node, day.isoformat(), dim, *values] for (table, node, day, dim), values in rows.items()]
    )
    with connection.cursor() as cursor:
        column = connection.ops.quote_name("rows")
        cursor.execute(f"INSERT INTO {_table(RollupChange)} ({column}) VALUES (%s)", [payload])


# Set inside ``folded()``: the journal was folded for the reads now running.
_FOLDED = contextvars.ContextVar("rollups_folded", default=False)


def fold_before_reading() -> None:
    """Before a read of the rollups: fold what the journal holds, unless another fold or a repair
    holds the fold lock (a nightly repair may take minutes); the rows are then read as they are,
    and that fold or repair brings them up to date. An empty journal costs one small read; inside
    ``folded()`` nothing is read again."""
    if _FOLDED.get():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {_table(RollupChange)} LIMIT 1")
        pending = cursor.fetchone() is not None
    if pending:
        fold(wait=False)


@contextmanager
def folded() -> Iterator[None]:
    """Fold once, then read several tiles (one page's) without checking the journal again."""
    fold_before_reading()
    token = _FOLDED.set(True)
    try:
        yield
    finally:
        _FOLDED.reset(token)


# One number for the fold lock of every process (PostgreSQL advisory locks are per database).
_FOLD_LOCK_KEY = 7_303_224_842


def _take_fold_lock(*, wait: bool = True) -> bool:
    """The fold lock until the transaction ends; False when ``wait`` is off and it is taken."""
    if connection.vendor != "postgresql":
        return True  # SQLite: one writer at a time anyway
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_FOLD_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_FOLD_LOCK_KEY])
        row = cursor.fetchone()
    return bool(row and row[0])


# Journal rows folded per transaction: a backlog (a cockpit nobody opened, no refresh running) is
# folded in slices of bounded memory.
FOLD_BATCH = 5000


def fold(*, wait: bool = True) -> int:
    """Add the journal's committed changes to the rollup rows and delete them; returns how many.

    The rows deleted are the rows added (``DELETE … RETURNING``): a change that commits meanwhile
    stays for the next fold, and a fold that fails deletes nothing of its slice. The journal goes
    oldest first, ``FOLD_BATCH`` rows per transaction. With ``wait`` off, a fold that finds another
    fold or a repair at work does nothing (0).
    """
    total = 0
    while True:
        with transaction.atomic():
            if not _take_fold_lock(wait=wait):
                return total
            folded = _fold_slice()
        total += folded
        if folded < FOLD_BATCH:
            return total


def _fold_slice() -> int:
    table, qn = _table(RollupChange), connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {qn('id')} IN"
            f" (SELECT {qn('id')} FROM {table} ORDER BY {qn('id')} LIMIT %s) RETURNING {qn('rows')}",
            [FOLD_BATCH],
        )
        changes = cursor.fetchall()
    summed: dict[Key, list[int]] = {}
    for (payload,) in changes:
        for table_index, node, day, dim, *values in (
            json.loads(payload) if isinstance(payload, str) else payload
        ):
            row = summed.setdefault((table_index, node, date.fromisoformat(day), dim), [0] * N)
            for i, value in enumerate(values):
                row[i] += value
    rows = {key: values for key, values in summed.items() if any(values)}
    if rows:
        apply(rows)
    return len(changes)


# Repairs -----------------------------------------------------------------------------------------


def _lock_and_fold() -> None:
    """For a repair: the fold lock, then the journal and the rollup tables, then a fold."""
    _take_fold_lock()
    if connection.vendor == "postgresql":
        journal: list[type[models.Model]] = [RollupChange]
        tables = ", ".join(_table(model) for model in journal + [m for m, _dim in ROLLUP_MODELS])
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
    fold()


def day_sql(column: str) -> str:
    """The Beijing date of a timestamp column, in the current database's SQL."""
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE 'Asia/Shanghai')::date"
    # SQLite keeps UTC text; Beijing has had no daylight saving since 1991.
    return f"date({column}, '+8 hours')"


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


def month_sql(column: str) -> str:
    """The first day of the month of a date column."""
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column})::date"
    return f"date({column}, 'start of month')"


def _counter_flags() -> list[str]:
    """Per case row ``c`` (its latest rating in ``e``): the filing-day counters as 0/1 expressions."""
    opened = _in(OPEN_STATUSES)

    def flag(condition: str) -> str:
        return f"CASE WHEN {condition} THEN 1 ELSE 0 END"

    flags = [
        "1",
        flag(f"c.status IN {opened}"),
        flag(f"c.status IN {opened} AND c.sla_state = '{SlaState.RED.value}'"),
        flag(f"c.status NOT IN {_in(NOT_TAKEN)}"),
        flag(f"c.status IN {_in(DONE_STATUSES)}"),
        flag("c.signed_at IS NOT NULL AND c.accept_due_at IS NOT NULL"),
        flag("c.signed_at <= c.accept_due_at"),
        flag("c.resolved_at IS NOT NULL AND c.finish_due_at IS NOT NULL"),
        flag("c.resolved_at <= c.finish_due_at"),
        flag("e.rating IS NOT NULL"),
        flag(f"e.rating IN {_in(PLEASED)}"),
        "0",
    ]
    assert len(flags) == N
    return flags


def _sums() -> str:
    qn = connection.ops.quote_name
    return ", ".join(f"SUM({qn(c)}) AS {qn(c)}" for c in COUNTERS)


def _names(prefix: str = "") -> str:
    qn = connection.ops.quote_name
    return ", ".join(f"{prefix}{qn(c)}" for c in COUNTERS)


_TEMPS = ("zr_case", "zr_nodes", "zr_own", "zr_level", "zr_next")


def _drop_temps(cursor: Any) -> None:
    for name in _TEMPS:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _load_cases(cursor: Any, bound: datetime) -> None:
    """``zr_case``: one row per case filed since ``bound`` and one per case closed since then.

    The case table is read once; every rollup is an aggregate of these narrow rows.
    """
    qn = connection.ops.quote_name
    value = connection.ops.adapt_datetimefield_value(bound)
    filed = ", ".join(f"{expr} AS {qn(name)}" for expr, name in zip(_counter_flags(), COUNTERS, strict=True))
    closed = ", ".join(f"{'1' if name == 'closed' else '0'} AS {qn(name)}" for name in COUNTERS)
    cursor.execute(
        f"CREATE TEMP TABLE zr_case AS"
        f" SELECT c.node_id AS node_id, {day_sql('c.created_at')} AS day,"
        " COALESCE(c.category_id, 0) AS category_id, COALESCE(c.department_id, 0) AS department_id,"
        f" {filed} FROM cases_case c"
        " LEFT JOIN (SELECT case_id, MAX(id) AS id FROM cases_evaluation GROUP BY case_id) le"
        " ON le.case_id = c.id"
        " LEFT JOIN cases_evaluation e ON e.id = le.id"
        " WHERE c.created_at >= %s"
        " UNION ALL"
        f" SELECT c.node_id, {day_sql('c.closed_at')}, COALESCE(c.category_id, 0),"
        f" COALESCE(c.department_id, 0), {closed} FROM cases_case c"
        " WHERE c.closed_at IS NOT NULL AND c.closed_at >= %s",
        [value, value],
    )


def _load_nodes(cursor: Any) -> int:
    """``zr_nodes``: every node with its parent and depth (0: a root). Returns the deepest depth."""
    cursor.execute("CREATE TEMP TABLE zr_nodes (id integer PRIMARY KEY, parent_id integer, depth integer)")
    rows = [
        (pk, parent_id, path.strip("/").count("/"))
        for pk, parent_id, path in Node.objects.values_list("id", "parent_id", "path")
    ]
    if rows:
        cursor.executemany("INSERT INTO zr_nodes (id, parent_id, depth) VALUES (%s, %s, %s)", rows)
    return max((depth for _pk, _parent, depth in rows), default=0)


def _build_table(cursor: Any, model: type[RollupBase], dim: str, deepest: int) -> None:
    """Insert the rows of one day table from ``zr_case``, one level of the tree at a time.

    The cases are summed at their own node first; each level then adds its own nodes' sums to the
    sums of its children's rows (one level below, already complete), so no case is expanded to
    its ancestors and each level reads only the much smaller rows of the one below.
    """
    qn = connection.ops.quote_name
    dim_expr = f"x.{qn(dim)}" if dim else "0"
    cursor.execute(
        f"CREATE TEMP TABLE zr_own AS SELECT x.node_id AS node_id, n.depth AS depth, x.day AS day,"
        f" {dim_expr} AS dim, {_sums()} FROM zr_case x JOIN zr_nodes n ON n.id = x.node_id"
        f" GROUP BY x.node_id, n.depth, x.day{', ' + dim_expr if dim else ''}"
    )
    target = _table(model)
    columns = f"node_id, day{', ' + qn(dim) if dim else ''}, {_names()}"
    for depth in range(deepest, -1, -1):
        if depth == deepest:
            # Nothing below: the level is its own sums, already one row per key.
            source = f"SELECT node_id, day, dim, {_names()} FROM zr_own WHERE depth = {depth}"
        else:
            below = "zr_level" if depth + 1 < deepest else f"(SELECT * FROM zr_own WHERE depth = {depth + 1})"
            cursor.execute(
                f"CREATE TEMP TABLE zr_next AS SELECT node_id, day, dim, {_sums()} FROM ("
                f" SELECT node_id, day, dim, {_names()} FROM zr_own WHERE depth = {depth}"
                f" UNION ALL SELECT n.parent_id, l.day, l.dim, {_names('l.')}"
                f" FROM {below} l JOIN zr_nodes n ON n.id = l.node_id"
                ") u GROUP BY node_id, day, dim"
            )
            cursor.execute("DROP TABLE IF EXISTS zr_level")
            cursor.execute("ALTER TABLE zr_next RENAME TO zr_level")
            source = "SELECT * FROM zr_level"
        # In key order: a node's rows of consecutive days land on the same pages, which is what a
        # tile reads.
        cursor.execute(
            f"INSERT INTO {target} ({columns}) SELECT node_id, day{', dim' if dim else ''}, {_names()}"
            f" FROM ({source}) s ORDER BY node_id, day, dim"
        )
    cursor.execute("DROP TABLE IF EXISTS zr_level")
    cursor.execute("DROP TABLE zr_own")


def _build_months(
    cursor: Any, day_model: type[RollupBase], model: type[RollupBase], dim: str, first: date
) -> None:
    """The month rows from ``first`` (a month's first day): sums of the day rows."""
    qn = connection.ops.quote_name
    month = month_sql("day")
    dim_part = f", {qn(dim)}" if dim else ""
    cursor.execute(
        f"INSERT INTO {_table(model)} (node_id, day{dim_part}, {_names()})"
        f" SELECT node_id, {month}{dim_part}, {_sums()} FROM {_table(day_model)} WHERE day >= %s"
        f" GROUP BY node_id, {month}{dim_part} ORDER BY node_id, {month}{dim_part}",
        [connection.ops.adapt_datefield_value(first)],
    )


def rebuild(since: date | None = None) -> dict[str, int]:
    """Recompute the rollup rows of the days from ``since`` (all days when None) from the case table.

    The month rows are recomputed from the first day of ``since``'s month, from the day rows.
    """
    bound = day_start(since) if since else datetime(1970, 1, 1, tzinfo=BEIJING)
    first = since or date(1970, 1, 1)
    counts: dict[str, int] = {}
    with transaction.atomic():
        _lock_and_fold()
        for model, _dim in ROLLUP_MODELS:
            model._default_manager.filter(day__gte=month_start(first) if model.monthly else first).delete()
        with connection.cursor() as cursor:
            _drop_temps(cursor)
            _load_cases(cursor, bound)
            deepest = _load_nodes(cursor)
            for table, (model, dim) in enumerate(ROLLUP_MODELS[:DAY_TABLES]):
                _build_table(cursor, model, dim, deepest)
                month_model, _same = ROLLUP_MODELS[MONTH_OF[table]]
                _build_months(cursor, model, month_model, dim, month_start(first))
            _drop_temps(cursor)
        for model, _dim in ROLLUP_MODELS:
            counts[model._meta.model_name or model.__name__] = model._default_manager.filter(
                day__gte=month_start(first) if model.monthly else first
            ).count()
    return counts


def refresh_lights() -> int:
    """Set the ``overdue`` counters from the open cases' lights (the sweep changes them in bulk).

    Returns the number of rollup rows changed.
    """
    with transaction.atomic():
        _lock_and_fold()
        expected: dict[Key, int] = defaultdict(int)
        nodes = dict(Node.objects.values_list("id", "path"))
        red = (
            Case.objects.filter(status__in=sorted(OPEN_STATUSES), sla_state=SlaState.RED)
            .values_list("node_id", "created_at", "category_id", "department_id")
            .iterator()
        )
        for node_id, created_at, category_id, department_id in red:
            ancestors = [int(p) for p in nodes[node_id].strip("/").split("/") if p]
            dims = (0, category_id or 0, department_id or 0)
            day = local_day(created_at)
            for ancestor in ancestors:
                for table in range(DAY_TABLES):
                    expected[(table, ancestor, day, dims[table])] += 1
                    expected[(MONTH_OF[table], ancestor, month_start(day), dims[table])] += 1
        rows: dict[Key, list[int]] = {}
        for table, (model, dim) in enumerate(ROLLUP_MODELS):
            fields = ["node_id", "day", dim] if dim else ["node_id", "day"]
            for values in model._default_manager.filter(overdue__gt=0).values_list(*fields, "overdue"):
                key: Key = (table, values[0], values[1], values[2] if dim else 0)
                change = expected.pop(key, 0) - values[-1]
                if change:
                    rows[key] = [0] * N
                    rows[key][OVERDUE_INDEX] = change
        for key, count in expected.items():
            rows[key] = [0] * N
            rows[key][OVERDUE_INDEX] = count
        if rows:
            apply(rows)
    return len(rows)
