"""The demo loader fills the cockpit from whatever cases the demo made, and can run twice."""

from __future__ import annotations

import pytest

from zhili.analytics.demo import load_demo
from zhili.analytics.models import NodeDay
from zhili.analytics.scope import today
from zhili.analytics.tests.test_rollups import World, rollup_rows
from zhili.analytics.tiles import Period, tile
from zhili.cases.models import Case

pytestmark = pytest.mark.django_db


def test_demo_loader_rebuilds_the_rollups_from_the_cases(region, cats):
    w = World(region, cats)
    w.submit(0, 0)
    w.submit(1, 2)
    # Cases loaded past the actions (as a demo may do with earlier dates) are not in the rollups yet.
    Case.objects.update(sla_state="red")
    NodeDay.objects.all().delete()
    load_demo(1)
    first = rollup_rows()
    period = Period.last(7, today())
    assert tile("kpis", region.street, period) == tile("kpis", region.street, period, raw=True)
    assert tile("kpis", region.street, period)["overdue"] == 2
    load_demo(1)
    assert rollup_rows() == first
