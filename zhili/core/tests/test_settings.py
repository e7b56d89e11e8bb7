"""Settings come from the environment; a bad value stops start-up with a message naming it."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from zhili.settings import env

GOOD_KEY = base64.b64encode(bytes(range(32))).decode()
PRODUCTION = {
    "SECRET_KEY": "p" * 30 + "production-secret-key-with-enough-entropy-1234567890",
    "ALLOWED_HOSTS": "zhili.example.gov.cn",
    "ZHILI_DATA_KEY": f"k1:{GOOD_KEY}",
}


def run_zhili(args: list[str], extra_env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ZHILI_", "DJANGO_", "DATABASE_URL"))}
    keep.pop("SECRET_KEY", None)
    keep.pop("ALLOWED_HOSTS", None)
    environment = {**keep, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **extra_env}
    return subprocess.run(
        [sys.executable, "-m", "zhili", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
    )


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
        ({"ZHILI_DATA_KEY": "not-base64!"}, "ZHILI_DATA_KEY"),
        ({"ZHILI_DATA_KEY": base64.b64encode(b"short").decode()}, "ZHILI_DATA_KEY"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
        ({"ZHILI_HTTPS": "maybe"}, "ZHILI_HTTPS"),
        ({"ZHILI_TASKS_BACKEND": "celery"}, "ZHILI_TASKS_BACKEND"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL"),
        ({"ZHILI_LOGIN_FAILURE_LIMIT": "0"}, "ZHILI_LOGIN_FAILURE_LIMIT"),
        ({"ZHILI_DB_PREPARE_THRESHOLD": "-1"}, "ZHILI_DB_PREPARE_THRESHOLD"),
        ({"ZHILI_PUBLIC_URL": "zhili.example.gov.cn"}, "ZHILI_PUBLIC_URL"),
        ({"SECRET_KEY_FILE": "/nonexistent/secret"}, "SECRET_KEY_FILE"),
    ],
)
def test_bad_setting_stops_start_up_naming_the_variable(override, named, tmp_path):
    environment = {**PRODUCTION, **override}
    if "SECRET_KEY_FILE" in override:
        environment.pop("SECRET_KEY")
    result = run_zhili(["manage", "check"], environment, tmp_path)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_check_deploy_passes_with_a_production_environment(tmp_path):
    result = run_zhili(["manage", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_https_is_switched_off(tmp_path):
    result = run_zhili(
        ["manage", "check", "--deploy", "--fail-level", "WARNING"],
        {**PRODUCTION, "ZHILI_HTTPS": "0"},
        tmp_path,
    )
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr or "security.W008" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("f" * 64, encoding="utf-8")
    environment = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"} | {
        "SECRET_KEY_FILE": str(secret)
    }
    assert run_zhili(["manage", "check"], environment, tmp_path).returncode == 0


def test_data_keys_parse_with_ids_and_keep_their_order():
    other = base64.b64encode(bytes(range(1, 33))).decode()
    keys = env.parse_data_keys("ZHILI_DATA_KEY", f"new:{other}, old:{GOOD_KEY}")
    assert list(keys) == ["new", "old"]
    assert keys["old"] == bytes(range(32))
    assert env.parse_data_keys("ZHILI_DATA_KEY", GOOD_KEY) == {"k1": bytes(range(32))}


def test_duplicate_key_ids_are_refused():
    with pytest.raises(ImproperlyConfigured, match="appears twice"):
        env.parse_data_keys("ZHILI_DATA_KEY", f"a:{GOOD_KEY},a:{GOOD_KEY}")


@given(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), max_size=8))
def test_env_bool_accepts_only_known_words(word):
    os.environ["ZHILI_TEST_BOOL"] = word
    try:
        if word.strip().lower() in env.TRUE_WORDS:
            assert env.env_bool("ZHILI_TEST_BOOL", False) is True
        elif word.strip().lower() in env.FALSE_WORDS:
            assert env.env_bool("ZHILI_TEST_BOOL", True) is False
        else:
            with pytest.raises(ImproperlyConfigured, match="ZHILI_TEST_BOOL"):
                env.env_bool("ZHILI_TEST_BOOL", True)
    finally:
        del os.environ["ZHILI_TEST_BOOL"]


def test_production_settings_hash_passwords_with_argon2_and_use_shanghai_time():
    from zhili.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert base.TIME_ZONE == "Asia/Shanghai"
    assert base.LANGUAGE_CODE == "zh-hans"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    code = (
        "from django.db import connection as c; cur = c.cursor();"
        "print(cur.execute('PRAGMA journal_mode').fetchone()[0],"
        " cur.execute('PRAGMA synchronous').fetchone()[0])"
    )
    result = run_zhili(["manage", "shell", "-v", "0", "-c", code], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "1"]  # synchronous=NORMAL is 1
