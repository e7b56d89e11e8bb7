"""Simultaneous supports of one resident: one row, one audit row (PostgreSQL, real transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from zhili.audit.models import AuditEvent
from zhili.participation.consultations import actions
from zhili.participation.consultations.models import Support

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_supports_of_one_resident_count_once(consulting):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite in memory has one connection; the unique index wait is PostgreSQL's")
    author, resident = consulting.residents
    proposal = actions.do_submit_proposal(consulting.topic, title="t", body="b", actor=author)
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def support() -> None:
        try:
            barrier.wait()
            outcomes.append(actions.do_set_support(proposal.pk, supported=True, actor=resident))
        except Exception as exc:  # any error is a failure of the test, reported below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=support) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [True] * 4
    assert Support.objects.filter(proposal=proposal).count() == 1
    assert AuditEvent.objects.filter(action="consultations.support_changed").count() == 1
