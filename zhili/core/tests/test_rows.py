"""New rows in one plain INSERT: the same columns the ORM writes, ids back, refusals where it cannot."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from zhili.cases.models import Case, CaseEvent, Category
from zhili.core.rows import insert_new
from zhili.core.testing import make_region


def _case(region, code: str, **extra) -> Case:
    return Case(
        code=code,
        title="路灯不亮",
        body="小区东门外路灯坏了",
        channel="api",
        status="pending",
        node=region.grid_a,
        grid=region.grid_a,
        lat=39.905,
        lng=116.305,
        reporter=region.user("resident"),
        contact_mobile_enc="sealed",
        **extra,
    )


def _columns(row) -> dict:
    return {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields if not f.primary_key}


@pytest.mark.django_db
def test_rows_read_back_as_the_orm_writes_them():
    region = make_region()
    due = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    times = {"sla_started_at": due - timedelta(hours=4), "finish_due_at": due}
    by_orm = _case(region, "ORM0000001", category_confidence=0.5, **times)
    plain = _case(region, "PLAIN00001", category_confidence=0.5, **times)
    by_orm.save()
    with CaptureQueriesContext(connection) as ctx:
        insert_new([plain])
    assert len(ctx) == 1
    assert plain.pk is not None and plain.pk != by_orm.pk and not plain._state.adding
    assert plain.created_at is not None and plain.updated_at is not None  # auto_now(_add) set
    stored = Case.objects.get(pk=plain.pk)
    assert _columns(stored) == _columns(plain)
    assert stored.finish_due_at == due and stored.accept_due_at is None  # the instant, to the microsecond
    expected = _columns(Case.objects.get(pk=by_orm.pk))
    got = _columns(stored)
    for moving in ("code", "created_at", "updated_at"):
        expected.pop(moving), got.pop(moving)
    assert got == expected
    # JSON, several rows in one statement, ids in order.
    events = [
        CaseEvent(case=stored, kind="submit", to_status="pending", data={"channel": "api", "n": [1, 2]}),
        CaseEvent(case=stored, actor=region.user("handler"), kind="note", note="好的", data={}),
    ]
    insert_new(events)
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    for event in events:
        assert _columns(CaseEvent.objects.get(pk=event.pk)) == _columns(event)


@pytest.mark.django_db
def test_a_broken_constraint_raises_and_leaves_nothing():
    region = make_region()
    insert_new([_case(region, "SAMECODE01")])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_new([_case(region, "OTHERCODE1"), _case(region, "SAMECODE01")])
    assert list(Case.objects.values_list("code", flat=True)) == ["SAMECODE01"]


@pytest.mark.django_db
def test_it_refuses_what_it_cannot_save_as_the_orm_would():
    region = make_region()
    saved = _case(region, "SAVED00001")
    saved.save()
    with pytest.raises(ValueError, match="new rows of one model"):
        insert_new([saved])
    with pytest.raises(ValueError, match="new rows of one model"):
        insert_new([_case(region, "MIXED00001"), CaseEvent(case=saved, kind="note")])
    # The rulebook listens to saves of categories: a plain INSERT would leave it stale.
    with pytest.raises(ValueError, match="save receivers"):
        insert_new([Category(code="X", name="x", level=1)])
    assert not Category.objects.filter(code="X").exists()
    insert_new([])  # nothing to do
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_a_plain_select_loads_the_instance_the_orm_would():
    from zhili.core.rows import columns, load
    from zhili.territory.models import Node

    region = make_region()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns(Node, 'n')}, 42 FROM {connection.ops.quote_name(Node._meta.db_table)} n"
            f" WHERE n.id = %s",
            [region.grid_a.pk],
        )
        row = cursor.fetchone()
    assert row[-1] == 42
    loaded = load(Node, row[:-1])
    by_orm = Node.objects.get(pk=region.grid_a.pk)
    assert _columns(loaded) == _columns(by_orm) and loaded.pk == by_orm.pk
    assert loaded.created_at.tzinfo is not None  # converted where the backend needs it (SQLite)
    assert not loaded._state.adding and loaded._state.db == "default"
    assert loaded.path.startswith(region.street.path)
