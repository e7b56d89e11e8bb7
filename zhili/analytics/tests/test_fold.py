"""The rollups' journal: actions write one row each, folds add them to the rollup rows exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from zhili.analytics import rollups
from zhili.analytics.models import NodeDay, RollupChange
from zhili.analytics.tests.test_rollups import rollup_rows
from zhili.analytics.tiles import Period, kpis
from zhili.cases import actions as a
from zhili.cases.models import Channel
from zhili.cases.tests.conftest import IN_GRID_A

ROOT = Path(__file__).resolve().parents[3]


def _submit(region, **fields):
    return a.do_submit_case(
        actor=region.user("resident"), channel=Channel.H5, title="路灯不亮", body="小区门口路灯坏了。",
        lat=IN_GRID_A[0], lng=IN_GRID_A[1], contact_mobile="13912345678", **fields,
    )  # fmt: skip


def _today() -> Period:
    from zhili.analytics.scope import today

    return Period.last(1, today())


@pytest.mark.django_db
def test_an_action_writes_one_journal_row_and_no_rollup_row(region):
    with CaptureQueriesContext(connection) as ctx:
        _submit(region)
    touched = [q["sql"].split("(")[0].strip() for q in ctx.captured_queries if '"analytics_' in q["sql"]]
    assert touched == ['INSERT INTO "analytics_rollupchange"']
    assert RollupChange.objects.count() == 1
    assert not NodeDay.objects.exists()


@pytest.mark.django_db
def test_a_tile_folds_the_journal_before_it_reads(region):
    _submit(region)
    _submit(region)
    assert kpis(region.street, _today())["received"] == 2
    assert not RollupChange.objects.exists()
    assert kpis(region.grid_a, _today())["received"] == 2  # the grid's rows came with the same fold


@pytest.mark.django_db
def test_a_fold_adds_each_change_once(region):
    case = _submit(region)
    a.do_reject(case.pk, actor=region.user("dispatcher"), reason="duplicate")  # closed that day
    assert RollupChange.objects.count() == 2
    assert rollups.fold() == 2
    folded = rollup_rows()
    assert rollups.fold() == 0
    assert rollup_rows() == folded
    rollups.rebuild()
    assert rollup_rows() == folded  # what the journal added is what the case table says


@pytest.mark.django_db
def test_a_backlog_is_folded_in_slices_oldest_first(region, monkeypatch):
    for _ in range(5):
        _submit(region)
    monkeypatch.setattr(rollups, "FOLD_BATCH", 2)
    sizes: list[int] = []
    slice_ = rollups._fold_slice
    monkeypatch.setattr(rollups, "_fold_slice", lambda: sizes.append(slice_()) or sizes[-1])
    assert rollups.fold() == 5
    assert sizes == [2, 2, 1]
    assert not RollupChange.objects.exists()
    assert kpis(region.street, _today())["received"] == 5


@pytest.mark.django_db
def test_a_fold_that_fails_keeps_the_journal(region, monkeypatch):
    _submit(region)

    def broken(rows):
        raise RuntimeError("the rollup table is gone")

    monkeypatch.setattr(rollups, "apply", broken)
    with pytest.raises(RuntimeError):
        rollups.fold()
    assert RollupChange.objects.count() == 1
    monkeypatch.undo()
    assert rollups.fold() == 1


@pytest.mark.django_db
def test_a_repair_folds_first_and_leaves_the_journal_empty(region):
    _submit(region)
    _submit(region)
    rollups.rebuild()
    assert not RollupChange.objects.exists()
    assert kpis(region.street, _today())["received"] == 2
    _submit(region)
    rollups.refresh_lights()
    assert not RollupChange.objects.exists()
    assert kpis(region.street, _today())["received"] == 3


# PostgreSQL: real concurrent transactions ---------------------------------------------------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent transactions"
)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_change_not_yet_committed_waits_for_the_next_fold(region):
    inside, release, done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def action() -> None:
        try:
            with transaction.atomic():
                _submit(region)
                inside.set()
                release.wait(10)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=action)
    thread.start()
    assert inside.wait(10)
    assert rollups.fold() == 0  # the row is not committed: not deleted, not counted
    release.set()
    thread.join(10)
    assert done.is_set() and not errors, errors
    assert rollups.fold() == 1
    assert kpis(region.street, _today())["received"] == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_read_does_not_wait_for_a_repair_and_folds_once_it_is_done(region):
    holding, release, done = threading.Event(), threading.Event(), threading.Event()

    def repair() -> None:  # holds the fold lock as a long repair does
        try:
            with transaction.atomic():
                rollups._take_fold_lock()
                holding.set()
                release.wait(10)
        finally:
            connection.close()
            done.set()

    _submit(region)
    thread = threading.Thread(target=repair)
    thread.start()
    try:
        assert holding.wait(10)
        # Read as the rows are: had it waited for the lock, it would have folded the row after
        # the release (the holder gives up after 10 s) and seen it.
        assert kpis(region.street, _today())["received"] == 0
        assert RollupChange.objects.count() == 1
    finally:
        release.set()
        thread.join(10)
    assert done.is_set()
    assert kpis(region.street, _today())["received"] == 1
    assert not RollupChange.objects.exists()


CHILD = """
import sys, django
django.setup()
from zhili.accounts.models import User
from zhili.analytics import rollups
from zhili.cases import actions as a
from zhili.cases.models import Channel
user, count, fold_every = User.objects.get(pk=int(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
folded = 0
for i in range(count):
    case = a.do_submit_case(actor=user, channel=Channel.H5, title="路灯不亮", body="小区门口路灯坏了。",
                            lat=39.905, lng=116.305 + (i % 3) * 0.01, contact_mobile="13912345678")
    if fold_every and i % fold_every == 0:
        folded += rollups.fold()
print(folded)
"""


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_processes_submitting_and_folding_at_once_count_every_case_once(region):
    settings_dict = connection.settings_dict
    url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**settings_dict)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "zhili.settings.test"}
    env.pop("ZHILI_TEST_DB_NAME", None)
    resident = region.user("resident").pk
    # Three processes file cases, two of them folding as they go, while this one folds too.
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(resident), "40", str(every)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for every in (3, 5, 0)
    ]
    folded_here = 0
    while any(proc.poll() is None for proc in procs):
        folded_here += rollups.fold()
        time.sleep(0.05)
    folded = [folded_here]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        folded.append(int(out.strip().splitlines()[-1]))
    folded.append(rollups.fold())
    # Each submit wrote one journal row, and every row was folded by exactly one of the folds.
    assert sum(folded) == 120, folded
    assert not RollupChange.objects.exists()
    by_journal = rollup_rows()
    rollups.rebuild()
    assert rollup_rows() == by_journal
    assert kpis(region.street, _today())["received"] == 120
