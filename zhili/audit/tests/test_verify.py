"""verify_chain and ``zhili audit verify`` find a tampered chain and name the first bad row."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhili.audit.actions import GENESIS_HASH, compute_hash, event_payload, payload_of
from zhili.audit.models import AuditEvent
from zhili.audit.tests.helpers import chain, record, without_triggers
from zhili.audit.verify import ChainResult, Reason, verify_chain
from zhili.cli import main as zhili_main

pytestmark = pytest.mark.django_db


def _insert(cursor, *, id, prev_hash, hash, occurred_at, details="{}"):
    cursor.execute(
        "INSERT INTO audit_auditevent (id, occurred_at, actor_id, actor_label, action, target_type,"
        " target_id, node_id, node_path, details, prev_hash, hash)"
        " VALUES (%s, %s, NULL, 'intruder', 'auth.login', '', '', NULL, '', %s, %s, %s)",
        [id, occurred_at, details, prev_hash, hash],
    )


# --- verify_chain -----------------------------------------------------------------------------


def test_an_empty_log_is_intact():
    assert verify_chain() == ChainResult(ok=True, count=0, head_hash=GENESIS_HASH)


def test_an_intact_chain_is_ok_across_batches():
    events = chain(7)
    result = verify_chain(batch_size=3)
    assert result.ok
    assert result.count == 7
    assert result.head_hash == events[-1].hash
    assert result.first_bad_id is None


def test_a_row_updated_behind_the_triggers_is_named_as_changed():
    events = chain(5)
    with without_triggers() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["nobody", events[2].pk])
    result = verify_chain(batch_size=2)
    assert not result.ok
    assert (result.first_bad_id, result.reason) == (events[2].pk, Reason.CHANGED)
    assert result.count == 3
    assert result.head_hash == events[1].hash


def test_a_deleted_middle_row_breaks_the_link_of_the_next_one():
    events = chain(5)
    with without_triggers() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    result = verify_chain()
    assert (result.ok, result.first_bad_id, result.reason) == (
        False,
        events[3].pk,
        Reason.REMOVED_OR_REORDERED,
    )


def test_a_deleted_first_row_is_found():
    events = chain(3)
    with without_triggers() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    result = verify_chain()
    assert (result.first_bad_id, result.reason) == (events[1].pk, Reason.REMOVED_OR_REORDERED)


def test_swapped_rows_are_found():
    events = chain(4)
    a, b = events[1], events[2]
    with without_triggers() as cursor:
        # Swap every column of rows a and b except the id (hash is unique: park a's first).
        cursor.execute("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["x" * 64, a.pk])
        for row, other in ((b, a), (a, b)):
            cursor.execute(
                "UPDATE audit_auditevent SET details = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [json.dumps(other.details), other.prev_hash, other.hash, row.pk],
            )
    result = verify_chain()
    assert not result.ok
    assert (result.first_bad_id, result.reason) == (a.pk, Reason.REMOVED_OR_REORDERED)


def test_an_insert_at_the_end_with_a_forged_hash_is_found():
    events = chain(3)
    with without_triggers() as cursor:
        _insert(
            cursor,
            id=events[-1].pk + 1,
            prev_hash=events[-1].hash,
            hash="f" * 64,
            occurred_at=events[-1].occurred_at,
        )
    result = verify_chain()
    assert (result.ok, result.first_bad_id) == (False, events[-1].pk + 1)
    assert result.reason == Reason.CHANGED  # nothing follows it: all we can say is that it does not fit


def test_a_row_inserted_in_the_middle_is_named_as_inserted_even_with_a_consistent_hash():
    first = record(details={"n": 0})
    # Leave a gap in the ids, as a rolled-back transaction would.
    with without_triggers() as cursor:
        payload = event_payload(
            occurred_at=first.occurred_at,
            actor_id=None,
            actor_label="intruder",
            action="auth.login",
            target_type="",
            target_id="",
            node_id=None,
            node_path="",
            details={},
        )
        good_looking = compute_hash(first.hash, payload)
        _insert(
            cursor, id=first.pk + 5, prev_hash=first.hash, hash=good_looking, occurred_at=first.occurred_at
        )
        # The next real event chained to `first`, not to the intruder (it was written before).
        later = payload_of(first) | {"details": {"n": 1}}
        later_hash = compute_hash(first.hash, later)
        cursor.execute(
            "INSERT INTO audit_auditevent (id, occurred_at, actor_id, actor_label, action, target_type,"
            " target_id, node_id, node_path, details, prev_hash, hash)"
            " VALUES (%s, %s, NULL, 'system', 'auth.login', '', '', NULL, '', %s, %s, %s)",
            [first.pk + 6, first.occurred_at, '{"n": 1}', first.hash, later_hash],
        )
    assert AuditEvent.objects.count() == 3
    result = verify_chain()
    assert (result.ok, result.first_bad_id, result.reason) == (False, first.pk + 5, Reason.INSERTED)
    assert result.head_hash == first.hash


def test_a_row_inserted_in_the_middle_with_a_forged_hash_is_named_as_inserted():
    first = record(details={"n": 0})
    with without_triggers() as cursor:
        _insert(cursor, id=first.pk + 5, prev_hash=first.hash, hash="e" * 64, occurred_at=first.occurred_at)
        later_hash = compute_hash(first.hash, payload_of(first) | {"details": {"n": 1}})
        cursor.execute(
            "INSERT INTO audit_auditevent (id, occurred_at, actor_id, actor_label, action, target_type,"
            " target_id, node_id, node_path, details, prev_hash, hash)"
            " VALUES (%s, %s, NULL, 'system', 'auth.login', '', '', NULL, '', %s, %s, %s)",
            [first.pk + 6, first.occurred_at, '{"n": 1}', first.hash, later_hash],
        )
    result = verify_chain()
    assert (result.first_bad_id, result.reason) == (first.pk + 5, Reason.INSERTED)


def test_verify_reads_in_batches_not_all_at_once(django_assert_num_queries):
    chain(10)
    with django_assert_num_queries(5):  # 4 batches of 3 rows, the last one short, and one empty batch
        assert verify_chain(batch_size=3).ok


# --- the command ------------------------------------------------------------------------------


def test_command_exits_0_and_reports_the_count(capsys):
    events = chain(4)
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "4" in out
    assert events[-1].hash in out


def test_command_json_on_an_intact_chain(capsys):
    chain(2)
    call_command("audit", "verify", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True
    assert data["count"] == 2
    assert data["first_bad_id"] is None
    assert data["triggers_installed"] is True


def test_command_fails_with_code_1_naming_the_changed_row(capsys):
    events = chain(3)
    with without_triggers() as cursor:
        cursor.execute("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"n": 42}', events[1].pk])
    with pytest.raises(CommandError) as excinfo:
        call_command("audit", "verify")
    assert excinfo.value.returncode == 1
    assert f"#{events[1].pk}" in str(excinfo.value)
    assert "changed" in str(excinfo.value)


def test_command_json_names_the_bad_row_and_still_fails(capsys):
    events = chain(3)
    with without_triggers() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError) as excinfo:
        call_command("audit", "verify", "--json")
    assert excinfo.value.returncode == 1
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "ok": False,
        "count": 2,
        "first_bad_id": events[2].pk,
        "reason": "removed-or-reordered",
        "head_hash": events[0].hash,
        "triggers_installed": True,
    }


def test_command_warns_when_the_triggers_are_missing(capsys):
    chain(1)
    with without_triggers():
        call_command("audit", "verify")
    assert "triggers" in capsys.readouterr().err


# --- through the zhili command line -----------------------------------------------------------


def test_cli_verify_on_an_intact_chain_returns_0(capsys):
    chain(3)
    assert zhili_main(["audit", "verify"]) == 0
    assert "3 events" in capsys.readouterr().out


@pytest.mark.parametrize("tamper", ["update", "delete", "insert"])
def test_cli_verify_exits_1_on_a_tampered_chain(tamper, capsys):
    events = chain(4)
    with without_triggers() as cursor:
        if tamper == "update":
            cursor.execute("UPDATE audit_auditevent SET action = 'auth.logout' WHERE id = %s", [events[1].pk])
            bad = events[1].pk
        elif tamper == "delete":
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
            bad = events[2].pk
        else:
            _insert(
                cursor,
                id=events[-1].pk + 1,
                prev_hash=events[-1].hash,
                hash="a" * 64,
                occurred_at=events[-1].occurred_at,
            )
            bad = events[-1].pk + 1
    with pytest.raises(SystemExit) as excinfo:
        zhili_main(["audit", "verify"])
    assert excinfo.value.code == 1
    assert f"#{bad}" in capsys.readouterr().err


def test_cli_verify_json_through_the_command_line(capsys):
    chain(2)
    assert zhili_main(["audit", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 2


def test_vendor_is_one_we_protect():
    assert connection.vendor in ("sqlite", "postgresql")
