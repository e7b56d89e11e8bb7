"""`zhili bench tally` in short mode: it runs end to end, verifies its board and leaves nothing behind."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from zhili.participation.elections.models import Ballot, Election
from zhili.participation.management.commands.bench import BENCHMARKS
from zhili.residents.models import Person

pytestmark = pytest.mark.django_db


def test_bench_tally_short_mode_prints_its_figures_and_rolls_back(capsys):
    call_command("bench", "tally", "--ballots", "2000", "--json")
    figures = json.loads(capsys.readouterr().out)
    assert figures["ballots"] == 2000
    assert figures["verified"] is True and figures["verify_reason"] == ""
    assert figures["valid"] is True and figures["tally_matches_board"] is True
    for key in ("tally_seconds", "verify_seconds", "board_seconds", "setup_seconds"):
        assert figures[key] >= 0
    assert not Election.objects.exists() and not Ballot.objects.exists() and not Person.objects.exists()


def test_bench_plain_output_and_registry():
    assert BENCHMARKS["tally"] == "zhili.participation.elections.bench"
    from io import StringIO

    out = StringIO()
    call_command("bench", "tally", "--ballots", "50", stdout=out)
    assert "verify_seconds:" in out.getvalue()
