"""``zhili analytics rebuild`` and ``refresh`` repair the rollups from the case table."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from zhili.analytics.models import NodeDay
from zhili.analytics.scope import today
from zhili.analytics.tests.test_rollups import World, rollup_rows
from zhili.analytics.tiles import Period, tile
from zhili.cases.models import Case, SlaState

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("analytics", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_rebuild_repairs_damaged_rollups_and_refresh_follows_the_sweeps_lights(region, cats):
    w = World(region, cats)
    w.submit(0, 0)
    w.submit(1, 1)
    good = rollup_rows()
    NodeDay.objects.update(received=0)
    assert rollup_rows() != good
    figures = run("rebuild", "--days", "3")
    assert figures["rows"]["nodeday"] > 0
    assert rollup_rows() == good
    # The sweep turns a light red behind the actions' back: refresh brings the overdue count along.
    Case.objects.filter(pk=w.cases[0]).update(sla_state=SlaState.RED)
    period = Period.last(1, today())
    assert tile("kpis", region.street, period)["overdue"] == 0
    assert run("refresh")["changed"] > 0
    assert tile("kpis", region.street, period)["overdue"] == 1
    assert run("refresh")["changed"] == 0  # nothing left to change


class _Stop(Exception):
    pass


def test_the_demos_nightly_rebuild_repairs_the_last_days_on_every_run(region, cats, monkeypatch):
    """``zhili analytics rebuild --days 3 --every 86400``, as the demo starts it."""
    import time

    from zhili import cli

    w = World(region, cats)
    w.submit(0, 0)
    good = rollup_rows()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 2:
            raise _Stop
        NodeDay.objects.update(received=0)  # damaged between two runs

    monkeypatch.setattr(time, "sleep", sleep)
    start_at = time.time() + 100
    argv = cli._rebuild_command(start_at)
    assert argv[3:-2] == ["analytics", "rebuild", "--days", "3", "--every", "86400"]
    assert argv[-2:] == ["--start-at", str(start_at)]
    out = io.StringIO()
    with pytest.raises(_Stop):
        call_command(*argv[3:-2], "--json", stdout=out)  # without the wait (tested below)
    runs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(runs) == 2 and slept == [86400, 86400]
    assert runs[1]["since"] == (today() - timedelta(days=2)).isoformat()  # three days up to today
    assert rollup_rows() == good  # the second run repaired what broke after the first


def test_rebuild_repeats_only_over_the_last_days():
    with pytest.raises(CommandError, match="--days"):
        call_command("analytics", "rebuild", "--every", "60")
    with pytest.raises(CommandError, match="--days"):
        call_command("analytics", "rebuild", "--since", "2024-01-01", "--days", "3", "--every", "60")


def test_the_demo_repair_waits_for_the_next_three_in_the_morning(monkeypatch):
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from zhili import cli

    beijing = ZoneInfo("Asia/Shanghai")
    evening = datetime(2026, 11, 30, 22, 15, tzinfo=beijing).timestamp()
    assert cli._next_repair_time(evening) == datetime(2026, 12, 1, 3, 0, tzinfo=beijing).timestamp()
    early = datetime(2026, 12, 1, 1, 0, tzinfo=beijing).timestamp()
    assert cli._next_repair_time(early) == datetime(2026, 12, 1, 3, 0, tzinfo=beijing).timestamp()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        raise _Stop

    monkeypatch.setattr(time, "sleep", sleep)
    with pytest.raises(_Stop):
        call_command("analytics", "rebuild", "--days", "3", "--every", "86400", "--start-at",
                     str(time.time() + 3600), stdout=io.StringIO())  # fmt: skip
    assert len(slept) == 1 and 3500 < slept[0] <= 3600  # waited before any run
