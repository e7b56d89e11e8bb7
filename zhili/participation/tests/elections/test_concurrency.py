"""Two ballots of one voter at the same moment: exactly one is counted (PostgreSQL, real transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from zhili.core.errors import DomainError
from zhili.participation.elections import actions
from zhili.participation.elections.models import Ballot, Turnout

from .conftest import choices

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_ballots_of_one_voter_count_once(build):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite in memory has one connection; the row locks are PostgreSQL's")
    setup = build(voters=3)
    voter = setup.voters[0]
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def cast(index: int) -> None:
        try:
            barrier.wait()
            actions.do_cast_ballot(setup.election, actor=voter, choices=choices(setup, 主任=[index % 2]))
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already_voted"] * 3 + ["ok"]
    assert Turnout.objects.filter(election=setup.election).count() == 1
    assert Ballot.objects.filter(election=setup.election).count() == 1
