"""``zhili analytics rebuild`` and ``refresh`` repair the rollups from the case table."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

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
