"""The demo shows four services with rules, worked through over five weeks, with open tasks left."""

from __future__ import annotations

import pytest

from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.demo.actions import do_load_demo_region
from zhili.residents.demo import load_demo_visits
from zhili.services.demo import load_demo
from zhili.services.models import OutreachTask, Service
from zhili.services.policies import visible_tasks
from zhili.services.selectors import my_tasks, overview
from zhili.services.states import TaskStatus

pytestmark = pytest.mark.django_db


def test_the_demo_defines_services_and_shows_progress():
    do_load_demo_region(5, scale=0.15)
    load_demo_visits(5)  # seals the sensitive tags, as the demo loader does before the extras
    counts = load_demo(5)
    assert counts is not None and counts["created"] > 0 and counts["recorded"] > 0
    names = set(Service.objects.values_list("name", flat=True))
    assert names == {"高龄津贴", "独居老人每月探访", "残疾人两项补贴核查", "低保年审"}
    for service in Service.objects.all():
        assert OutreachTask.objects.filter(service=service).exists(), service.name
    done = OutreachTask.objects.filter(status=TaskStatus.DONE)
    assert done.exclude(visit=None).count() == done.count() > 0
    assert OutreachTask.objects.filter(status=TaskStatus.OPEN).exists()
    worker = User.objects.get(username="wgy_chaoyang1")
    assert my_tasks(worker).count() >= 3
    # The seeded sensitive tags name grid workers and community staff: 低保年审 shows to its grid's worker.
    dibao = OutreachTask.objects.filter(service__name="低保年审").first()
    assert dibao is not None
    member = Membership.objects.filter(role=Role.GRID_WORKER, node=dibao.grid).first()
    assert member is not None and visible_tasks(member.user).filter(pk=dibao.pk).exists()
    data = overview(User.objects.get(username="lingdao"))
    assert data.total.done > 0 and data.total.open > 0 and data.total.coverage
    assert 0 < data.total.coverage < 100
    load_demo(5)
    assert Service.objects.count() == 4
