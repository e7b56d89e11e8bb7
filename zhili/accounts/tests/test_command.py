from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Qingshan-Road-2024!"


def test_createadmin_reads_the_password_file_and_audits(region, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text(GOOD_PASSWORD + "\n", encoding="utf-8")
    call_command(
        "accounts", "createadmin", "--username", "chief", "--node", "T", "--password-file", str(secret)
    )
    user = User.objects.get(username="chief")
    assert user.check_password(GOOD_PASSWORD)
    assert list(user.memberships.values_list("role", "node__code", "active")) == [(Role.ADMIN, "T", True)]
    event = AuditEvent.objects.get(action=AuditAction.ADMIN_BOOTSTRAPPED)
    assert event.node_id == region.other_street.pk
    assert GOOD_PASSWORD not in str(event.details)


def test_createadmin_prompts_twice_when_there_is_no_file(region, monkeypatch):
    answers = iter([GOOD_PASSWORD, GOOD_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("accounts", "createadmin", "--username", "chief", "--node", "S", "--display-name", "李主任")
    user = User.objects.get(username="chief")
    assert user.display_name == "李主任"
    assert user.memberships.get().node == region.street


def test_createadmin_refuses_mismatched_prompts(region, monkeypatch):
    answers = iter([GOOD_PASSWORD, GOOD_PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="do not match"):
        call_command("accounts", "createadmin", "--username", "chief", "--node", "S")
    assert not User.objects.filter(username="chief").exists()


@pytest.mark.parametrize(
    ("username", "node", "password", "message"),
    [
        ("chief", "NOPE", GOOD_PASSWORD, "no territory node"),
        ("admin", "S", GOOD_PASSWORD, "username_taken"),
        ("chief", "S", "1234567890123", "password_invalid"),
    ],
)
def test_createadmin_refusals_create_nothing(region, tmp_path, username, node, password, message):
    secret = tmp_path / "pw"
    secret.write_text(password, encoding="utf-8")
    before = (User.objects.count(), AuditEvent.objects.count())
    with pytest.raises(CommandError, match=message):
        call_command(
            "accounts", "createadmin", "--username", username, "--node", node, "--password-file", str(secret)
        )
    assert (User.objects.count(), AuditEvent.objects.count()) == before


def test_createadmin_with_a_missing_password_file_fails_cleanly(region, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command(
            "accounts",
            "createadmin",
            "--username",
            "chief",
            "--node",
            "S",
            "--password-file",
            str(tmp_path / "no"),
        )
