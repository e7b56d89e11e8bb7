"""`make demo` in miniature: the real `zhili demo` command on a fresh var directory."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from zhili.demo.logins import DEMO_PASSWORD, demo_logins

ROOT = Path(__file__).resolve().parents[3]


def test_readme_lists_every_demo_login_and_the_password():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- demo-logins:start -->")[1].split("<!-- demo-logins:end -->")[0]
    listed = set(re.findall(r"`([a-z_0-9]+)`", block))
    assert listed == {login.username for login in demo_logins()}
    assert f"`{DEMO_PASSWORD}`" in readme


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
        return int(response.status)


@pytest.mark.slow
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="the demo runs on SQLite; once per suite is enough",
)
def test_zhili_demo_serves_home_and_api_docs_then_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHILI_", "DJANGO_"))}
    for name in ("DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS"):
        env.pop(name, None)
    env["ZHILI_VAR_DIR"] = str(tmp_path / "var")
    env["ZHILI_DEMO_CASES"] = "150"  # the full history takes minutes; its own test covers it
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhili", "demo", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 280
        codes: dict[str, int] = {}
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                codes = {path: _get(f"http://127.0.0.1:{port}{path}") for path in ("/", "/api/v1/docs")}
                break
            except OSError:
                time.sleep(1)
        assert codes == {"/": 200, "/api/v1/docs": 200}
        assert (tmp_path / "var" / "zhili.sqlite3").exists()
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            left = _descendants(proc.pid)  # the demo's children run in process groups of their own
            listing = subprocess.run(
                ["ps", "-o", "pid,ppid,stat,etime,args", "-p", ",".join(map(str, [proc.pid, *left]))],
                capture_output=True,
                text=True,
            )
            for pid in [proc.pid, *left]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            output, _ = proc.communicate()
            pytest.fail(
                f"the demo did not stop within 60 s of Ctrl-C; still running:\n{listing.stdout}\n"
                f"{output[-3000:]}"
            )
    assert proc.returncode == 0, output[-3000:]
    assert "paidan" in output  # the demo logins are printed
    # Run again: the data is kept, not loaded twice.
    again = subprocess.run(
        [sys.executable, "-m", "zhili", "demo", "--no-serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "paidan" in again.stdout
