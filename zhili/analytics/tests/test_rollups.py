"""The rollups equal the raw aggregates of the case table after any sequence of real actions."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhili.analytics import rollups
from zhili.analytics.models import COUNTERS, DAY_TABLES, ROLLUP_MODELS
from zhili.analytics.rollups import BEIJING
from zhili.analytics.tiles import TILES, Period, tile, whole_months
from zhili.cases import actions as a
from zhili.cases.models import Case, Channel, SlaState
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A, IN_GRID_C
from zhili.core.errors import DomainError

pytestmark = pytest.mark.django_db(transaction=False)

START = datetime(2026, 3, 2, 8, 0, tzinfo=BEIJING)  # a Monday morning


def rollup_rows() -> dict[tuple, tuple]:
    """Every non-zero rollup row, keyed by table, node, day and dimension (the journal folded in)."""
    rollups.fold()
    rows = {}
    for table, (model, dim) in enumerate(ROLLUP_MODELS):
        fields = ["node_id", "day", *([dim] if dim else [])]
        for values in model._default_manager.values_list(*fields, *COUNTERS):
            key, counts = values[: len(fields)], values[len(fields) :]
            if any(counts):
                rows[(table, *key)] = counts
    return rows


class World:
    def __init__(self, region, cats):
        self.region = region
        self.cats = cats
        self.cases: list[int] = []

    def u(self, persona):
        return self.region.user(persona)

    def submit(self, where: int, category: int) -> None:
        cat = [self.cats.pile, self.cats.light, self.cats.env, None][category]
        if where == 2:  # no place: filed by the hotline under the street
            case = a.do_submit_case(
                actor=self.u("dispatcher"), channel=Channel.HOTLINE, title="噪音", body="夜间施工噪音。",
                node=self.region.street, category=cat, contact_mobile="13912345678",
            )  # fmt: skip
        else:
            lat, lng = IN_GRID_A if where == 0 else IN_GRID_C
            case = a.do_submit_case(
                actor=self.u("resident"), channel=Channel.H5, title="路灯不亮", body="小区门口路灯坏了。",
                lat=lat, lng=lng, category=cat, contact_mobile="13912345678",
            )  # fmt: skip
        self.cases.append(case.pk)

    def act(self, index: int, choice: int) -> None:
        if not self.cases:
            return
        pk = self.cases[index % len(self.cases)]
        case = Case.objects.get(pk=pk)
        d, h, sup, res = self.u("dispatcher"), self.u("handler"), self.u("supervisor"), self.u("resident")
        dept = self.region.department
        options = {
            S.PENDING: [
                lambda: a.do_accept(pk, actor=d),
                lambda: a.do_reject(pk, actor=d, reason="duplicate"),
                lambda: a.do_dispatch(pk, actor=d, department=dept),
                lambda: a.do_merge(pk, actor=d, into=self.cases[(index + 1) % len(self.cases)]),
            ],
            S.ACCEPTED: [
                lambda: a.do_dispatch(pk, actor=d, department=dept),
                lambda: a.do_reject(pk, actor=d, reason="other"),
                lambda: a.do_suspend(pk, actor=d, reason="等待"),
            ],
            S.DISPATCHED: [
                lambda: a.do_sign(pk, actor=h),
                lambda: a.do_return(pk, actor=h, reason="不属于本部门"),
            ],
            S.SIGNED: [lambda: a.do_start(pk, actor=h), lambda: a.do_suspend(pk, actor=d, reason="等待")],
            S.IN_PROGRESS: [
                lambda: a.do_resolve(pk, actor=h, feedback="已处理", photos=[]),
                lambda: a.do_request_extension(
                    pk, actor=h, until=(case.finish_due_at or START) + timedelta(days=5), reason="协调"
                ),
            ],
            S.RESOLVED: [
                lambda: a.do_verify(pk, actor=sup, note="现场核实"),
                lambda: a.do_send_back(pk, actor=sup, reason="未处理完"),
            ],
            S.VERIFIED: [
                lambda: a.do_rate(pk, actor=res, rating="satisfied"),
                lambda: a.do_rate_by_phone(pk, actor=d, rating="unsatisfied"),
                lambda: a.do_rate_by_phone(pk, actor=d, rating="basically"),
            ],
            S.RATED: [lambda: a.do_close(pk, actor=sup)],
            S.RETURNED: [
                lambda: a.do_dispatch(pk, actor=d, department=dept),
                lambda: a.do_arbitrate(pk, actor=sup, department=dept),
            ],
            S.SUSPENDED: [lambda: a.do_resume(pk, actor=d)],
            S.EXTENSION_PENDING: [
                lambda: a.do_approve_extension(pk, actor=d),
                lambda: a.do_deny_extension(pk, actor=d),
            ],
        }.get(S(case.status), [])
        if not options:
            return
        # A guard may say no (a photo needed, arbitration due …): then nothing changed.
        with contextlib.suppress(DomainError):
            options[choice % len(options)]()

    def red(self, index: int) -> None:
        """What the SLA sweep does behind the actions' back, then the repair that follows it."""
        if self.cases:
            Case.objects.filter(pk=self.cases[index % len(self.cases)]).update(sla_state=SlaState.RED)
            rollups.refresh_lights()


def assert_tiles_agree(region, cats, days: list[date]) -> None:
    periods = [Period(min(days), max(days)), Period(max(days), max(days)), Period(min(days), min(days))]
    nodes = [region.street, region.c1, region.c2, region.grid_a, region.grid_b, region.other_street]
    for node in nodes:
        for period in periods:
            for name in TILES:
                assert tile(name, node, period) == tile(name, node, period, raw=True), (name, node, period)
            for parent in (cats.env.pk, cats.garbage.pk, cats.road.pk):
                assert tile("categories", node, period, parent=parent) == tile(
                    "categories", node, period, parent=parent, raw=True
                )


operation = st.one_of(
    st.tuples(st.just("submit"), st.integers(0, 2), st.integers(0, 3)),
    st.tuples(st.just("act"), st.integers(0, 50), st.integers(0, 5)),
    st.tuples(st.just("act"), st.integers(0, 50), st.integers(0, 5)),
    st.tuples(st.just("act"), st.integers(0, 50), st.integers(0, 5)),
    st.tuples(st.just("red"), st.integers(0, 50), st.just(0)),
    st.tuples(st.just("wait"), st.integers(1, 40), st.just(0)),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=30))
def test_rollups_equal_the_raw_aggregates_after_random_actions(region, cats, ops):
    with transaction.atomic():
        world = World(region, cats)
        moment = START
        days = {moment.date()}
        for kind, x, y in ops:
            with time_machine.travel(moment, tick=False):
                if kind == "submit":
                    world.submit(x, y)
                elif kind == "act":
                    world.act(x, y)
                elif kind == "red":
                    world.red(x)
                else:
                    moment += timedelta(hours=x)
                    days.add(moment.astimezone(BEIJING).date())
        incremental = rollup_rows()
        assert_tiles_agree(region, cats, sorted(days))
        rollups.rebuild()
        assert rollup_rows() == incremental  # the repair finds nothing to change
        transaction.set_rollback(True)


def test_a_partial_rebuild_changes_only_the_days_from_its_start(region, cats):
    world = World(region, cats)
    with time_machine.travel(START, tick=False):
        world.submit(0, 0)
        world.act(0, 1)  # rejected: closed the day it was filed
    later = START + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        world.submit(1, 1)
    before = rollup_rows()
    assert before  # something to keep
    # Damage both days, then repair from the later one: the earlier day stays as it was (damaged).
    from zhili.analytics.models import NodeDay

    NodeDay.objects.update(received=99)
    rollups.rebuild(since=later.date())
    after = rollup_rows()
    later_rows = {k: v for k, v in after.items() if k[2] >= later.date()}
    assert later_rows == {k: v for k, v in before.items() if k[2] >= later.date()}
    assert all(v[0] == 99 for k, v in after.items() if k[0] == 0 and k[2] < later.date())


def test_a_case_counts_at_its_grid_and_every_node_above(region, cats):
    world = World(region, cats)
    with time_machine.travel(START, tick=False):
        world.submit(0, 0)
    period = Period(START.date(), START.date())
    for node in (region.grid_a, region.c1, region.street):
        assert tile("kpis", node, period)["received"] == 1
    for node in (region.grid_b, region.c2, region.other_street):
        assert tile("kpis", node, period)["received"] == 0


def test_whole_months_of_a_period():
    assert whole_months(Period(date(2026, 3, 2), date(2026, 3, 31))) is None
    assert whole_months(Period(date(2026, 3, 1), date(2026, 3, 31))) == (date(2026, 3, 1), date(2026, 3, 1))
    assert whole_months(Period(date(2025, 12, 30), date(2026, 11, 29))) == (
        date(2026, 1, 1),
        date(2026, 10, 1),
    )
    assert whole_months(Period(date(2026, 1, 15), date(2026, 2, 27))) is None


def test_long_periods_read_whole_months_and_agree_with_the_case_table(region, cats):
    """Cases filed and closed across months: the month rows plus the edge days give the raw figures."""
    world = World(region, cats)
    moments = [
        datetime(2026, m, d, 10, 0, tzinfo=BEIJING)
        for m, d in ((1, 15), (1, 31), (2, 1), (2, 28), (3, 1), (3, 31), (4, 2))
    ]
    for i, moment in enumerate(moments):
        with time_machine.travel(moment, tick=False):
            world.submit(i % 3, i % 4)
            world.act(i, i)  # acts on an earlier case too: closings land in later months
            world.act(i + 1, 0)
    days = [
        date(2026, 1, 1),
        date(2026, 1, 16),
        date(2026, 2, 1),
        date(2026, 2, 28),
        date(2026, 4, 1),
        date(2026, 4, 30),
    ]
    nodes = [region.street, region.c1, region.grid_a, region.other_street]
    periods = [Period(a, b) for a in days for b in days if a <= b]
    for node in nodes:
        for period in periods:
            for name in ("kpis", "categories", "grids", "departments"):
                assert tile(name, node, period) == tile(name, node, period, raw=True), (name, node, period)
    incremental = rollup_rows()
    assert any(key[0] >= DAY_TABLES for key in incremental)  # month rows were written
    rollups.rebuild()
    assert rollup_rows() == incremental


def test_the_upgrade_fills_the_month_tables_from_the_day_rows_an_install_already_had(region, cats):
    """Migration 0003: day rows written before the month tables existed become their month rows."""
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    world = World(region, cats)
    for i, moment in enumerate(
        datetime(2026, m, d, 10, 0, tzinfo=BEIJING) for m, d in ((1, 15), (1, 31), (2, 1), (3, 2))
    ):
        with time_machine.travel(moment, tick=False):
            world.submit(i % 3, i % 4)
            world.act(i, i)
    expected = rollup_rows()
    assert any(key[0] >= DAY_TABLES for key in expected)
    for model, _dim in ROLLUP_MODELS:
        if model.monthly:
            model._default_manager.all().delete()  # as they were right after migration 0002
    assert not any(key[0] >= DAY_TABLES for key in rollup_rows())
    migration = importlib.import_module("zhili.analytics.migrations.0003_fill_month_rollups")
    migration.fill(None, SimpleNamespace(connection=connection))
    assert rollup_rows() == expected
    migration.fill(None, SimpleNamespace(connection=connection))  # a second run adds nothing
    assert rollup_rows() == expected
