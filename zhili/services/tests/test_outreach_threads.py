"""Several schedulers generating outreach at the same moment (PostgreSQL, real transactions):
every person who needs a service gets exactly one open task, and no run fails."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from zhili.services.actions import do_generate_outreach
from zhili.services.models import OutreachTask
from zhili.services.states import TaskStatus

pytestmark = pytest.mark.django_db(transaction=True)
RUNS = 4


def test_simultaneous_generations_give_one_open_task_per_person_and_service(region, people, service):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite in memory has one connection; the wait on the unique index is PostgreSQL's")
    visits = service(tag_codes=["elderly_alone"], interval_days=30)
    old = service(min_age=80)
    barrier = threading.Barrier(RUNS)
    outcomes: list[object] = []

    def generate() -> None:
        try:
            barrier.wait()
            outcomes.append(do_generate_outreach().created)
        except Exception as exc:  # any error is a failure of the test, reported below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=generate) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(created, int) for created in outcomes), outcomes
    open_tasks = OutreachTask.objects.filter(status=TaskStatus.OPEN)
    # 独居老人 in the street: 王秀兰, 孙桂英, 吴淑珍; 80 and over: 王秀兰, 周凤兰, 吴淑珍 (born ≤ 1946).
    assert open_tasks.filter(service=visits).count() == 3
    assert open_tasks.filter(service=old).count() == 3
    assert sum(outcomes) == 6  # each task was created by exactly one of the runs
