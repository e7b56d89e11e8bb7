"""ZHILI_SIGNING_KEY: a bad value stops start-up naming the variable; a good one is used."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
ENVIRONMENT = {
    "SECRET_KEY": "s" * 60,
    "ALLOWED_HOSTS": "zhili.example.gov.cn",
    "ZHILI_DATA_KEY": "k1:" + base64.b64encode(bytes(range(32))).decode(),
}


def run(extra: dict[str, str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ZHILI_", "DJANGO_", "DATABASE_URL"))}
    keep.pop("SECRET_KEY", None)
    env = {**keep, **ENVIRONMENT, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **extra}
    return subprocess.run(
        [sys.executable, "-m", "zhili", *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


@pytest.mark.parametrize(
    "value",
    ["not base64!", base64.b64encode(b"short").decode()],
)
def test_bad_signing_key_stops_start_up(value, tmp_path):
    result = run({"ZHILI_SIGNING_KEY": value}, tmp_path, "manage", "check")
    assert result.returncode == 2, result.stderr
    assert "ZHILI_SIGNING_KEY" in result.stderr and "Traceback" not in result.stderr


def test_signing_key_from_a_file_signs_the_boards(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    raw = bytes(range(100, 132))
    key_file = tmp_path / "signing.key"
    key_file.write_text(base64.b64encode(raw).decode(), encoding="utf-8")
    result = run({"ZHILI_SIGNING_KEY_FILE": str(key_file)}, tmp_path, "election", "public-key")
    assert result.returncode == 0, result.stderr
    expected = Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes_raw()
    assert result.stdout.strip() == base64.b64encode(expected).decode()
