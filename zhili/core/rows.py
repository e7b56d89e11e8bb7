"""New rows saved with one plain INSERT: for the few rows every case action writes.

``insert_new(rows)`` sends the statement ``bulk_create`` would send, ``INSERT … VALUES (…), (…)
RETURNING id``, without the ORM's per-field work for the kinds of field whose values the database
driver takes as they are. On intake the ORM spent more time building its INSERTs than the server
spent running them. Any other field (timestamps, JSON, a custom field) is prepared by the field
itself, as the ORM would. The rows get their ids and count as saved.

It is only for models that no ``pre_save``/``post_save`` receiver listens to (they would not be
called) and for new rows: it refuses anything else.

``columns`` and ``load`` do the same for a hot read: a plain SELECT of a model's columns (with
whatever else the statement needs), turned into an instance as the ORM would.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import post_save, pre_save

from zhili.core import prepared

M = TypeVar("M", bound=models.Model)

# Exact kinds (not subclasses, which may prepare their values) whose values go to the driver as
# they are: strings, numbers, booleans and the ids of foreign keys.
_PLAIN: frozenset[type[models.Field[Any, Any]]] = frozenset(
    {
        models.CharField,
        models.TextField,
        models.BooleanField,
        models.IntegerField,
        models.SmallIntegerField,
        models.BigIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.PositiveBigIntegerField,
        models.FloatField,
        models.ForeignKey,
    }
)


# How a field's value is prepared: as it is, as a timestamp, or by the field itself.
_AS_IT_IS, _TIMESTAMP, _BY_FIELD = 0, 1, 2


@functools.cache
def _fields(model: type[models.Model]) -> tuple[tuple[models.Field[Any, Any], int], ...]:
    """(field, how its value is prepared) of every column but an automatic primary key."""
    found = []
    for field in model._meta.concrete_fields:
        if field.primary_key and isinstance(field, AutoFieldMixin):
            continue
        if type(field) in _PLAIN:
            found.append((field, _AS_IT_IS))
        elif type(field) is models.DateTimeField and not (field.auto_now or field.auto_now_add):
            found.append((field, _TIMESTAMP))
        else:
            found.append((field, _BY_FIELD))
    return tuple(found)


@functools.cache
def _statement(model: type[models.Model], count: int, _vendor: str) -> str:
    qn = connection.ops.quote_name
    fields = _fields(model)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = model._meta.pk
    assert pk is not None
    return (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f, _p in fields)})"
        f" VALUES {', '.join([one] * count)} RETURNING {qn(pk.column)}"
    )


def insert_new(rows: Sequence[models.Model]) -> None:
    """Save new rows of one model with one INSERT; each row gets its id."""
    if not rows:
        return
    model = type(rows[0])
    if any(type(row) is not model or not row._state.adding or row.pk is not None for row in rows):
        raise ValueError("insert_new() saves new rows of one model")
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        raise ValueError(f"{model.__name__} has save receivers: save it with the ORM")
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    for row in rows:
        for field, how in _fields(model):
            value = getattr(row, field.attname)
            if how == _AS_IT_IS:
                params.append(value)
            elif how == _TIMESTAMP and (value is None or (isinstance(value, datetime) and value.tzinfo)):
                params.append(adapt(value))  # what the field would send for these values
            else:  # auto_now(_add) stamps are set on the row here, as the ORM does
                params.append(field.get_db_prep_save(field.pre_save(row, True), connection))
    with prepared.cursor() as cursor:
        cursor.execute(_statement(model, len(rows), connection.vendor), params)
        ids = [value for (value,) in cursor.fetchall()]
    if len(ids) != len(rows):  # cannot happen: a failed INSERT raises
        raise RuntimeError(f"the INSERT into {model._meta.db_table} returned fewer ids than rows")
    for row, value in zip(rows, ids, strict=True):
        row.pk = value
        row._state.adding, row._state.db = False, connection.alias


def columns(model: type[models.Model], alias: str) -> str:
    """The model's columns, qualified by ``alias``, in the order ``load`` takes them."""
    qn = connection.ops.quote_name
    return ", ".join(f"{alias}.{qn(field.column)}" for field in model._meta.concrete_fields)


def load(model: type[M], values: Sequence[Any]) -> M:
    """An instance from a row of ``columns(model, …)``, converted as the ORM converts what it reads
    (timestamps on SQLite, say)."""
    converted = list(values)
    for index, expression, converters in _converters(model, connection.vendor):
        for converter in converters:
            converted[index] = converter(converted[index], expression, connection)
    return model.from_db(connection.alias, _attnames(model), converted)


@functools.cache
def _converters(model: type[models.Model], _vendor: str) -> tuple[tuple[int, Any, tuple[Any, ...]], ...]:
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        expression = field.get_col(model._meta.db_table)
        own = field.get_db_converters(connection)  # type: ignore[attr-defined]  # not in the stubs
        converters = (*connection.ops.get_db_converters(expression), *own)
        if converters:
            found.append((index, expression, converters))
    return tuple(found)


@functools.cache
def _attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)
