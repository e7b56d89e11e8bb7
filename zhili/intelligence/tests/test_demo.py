from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from zhili.cases.models import Case, Category
from zhili.intelligence import selectors
from zhili.intelligence.demo import DEMO_REF, load_demo
from zhili.intelligence.models import EarlyWarning, HotspotSnapshot
from zhili.intelligence.states import WarningKind
from zhili.intelligence.tests.history import add_cases

pytestmark = pytest.mark.django_db


def test_demo_shows_warnings_and_hotspots_on_quiet_data_and_is_idempotent(region):
    noise = Category.objects.create(code="HB", name="环境保护", level=1)
    Category.objects.create(code="HB-ZS-SG", name="施工噪音", level=3, parent=noise)
    now = timezone.now()
    # a quiet history: one request every other day
    add_cases(
        [
            {"node": region.grid_b, "category": noise, "created_at": now - timedelta(days=d)}
            for d in range(2, 60, 2)
        ]
    )
    load_demo(1)
    kinds = sorted(EarlyWarning.objects.values_list("kind", flat=True))
    assert kinds == [WarningKind.REPEATED, WarningKind.SPIKE]
    spike = EarlyWarning.objects.get(kind=WarningKind.SPIKE)
    assert spike.category == noise and spike.evidence["observed"] >= 10  # the repeated ones may share it
    assert Case.objects.filter(external_ref=DEMO_REF).count() == 13
    top = selectors.top_hotspots(region.user("supervisor"))
    assert any("明珠花园" in h.label and h.size >= 10 for h in top)
    assert not any("演示" in h.label for h in top)  # the planted cases read like any others
    load_demo(1)
    assert EarlyWarning.objects.count() == 2
    assert Case.objects.filter(external_ref=DEMO_REF).count() == 13
    assert HotspotSnapshot.objects.count() == 2
