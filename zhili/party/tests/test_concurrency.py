"""The cap on places holds when residents sign up at the same moment (PostgreSQL, real transactions)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from zhili.accounts.roles import Role
from zhili.audit.models import AuditEvent
from zhili.core.errors import DomainError
from zhili.core.testing import make_user
from zhili.party.actions import do_plan_activity, do_sign_up
from zhili.party.models import VolunteerSignup

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_sign_ups_never_exceed_the_places(region, party):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite in memory has one connection; the row lock is PostgreSQL's")
    activity = do_plan_activity(
        org=party.c1,
        kind="volunteer",
        title="助老服务",
        date=timezone.localdate() + timedelta(days=3),
        open_to_residents=True,
        places=2,
        actor=region.user("community_staff"),
    )
    residents = [make_user(f"v{n}", role=Role.RESIDENT, node=region.grid_a) for n in range(5)]
    barrier = threading.Barrier(len(residents))
    outcomes: list[object] = []

    def sign_up(user) -> None:
        try:
            barrier.wait()
            outcomes.append(do_sign_up(activity.pk, actor=user))
        except DomainError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # any other error is a failure of the test, reported below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_up, args=(user,)) for user in residents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == ["True", "True", "full", "full", "full"]
    assert VolunteerSignup.objects.filter(activity=activity).count() == 2
    assert AuditEvent.objects.filter(action="party.activity_changed", details__signed_up=True).count() == 2
