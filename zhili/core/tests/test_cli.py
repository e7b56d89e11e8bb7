from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from zhili import cli


def test_python_dash_m_zhili_lists_its_commands():
    result = subprocess.run(
        [sys.executable, "-m", "zhili", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for command in ("demo", "serve", "worker", "manage"):
        assert command in result.stdout


def test_unknown_command_is_refused_with_usage():
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-command"])
    assert exc.value.code == 2


def test_serve_and_worker_commands_run_gunicorn_and_the_task_worker():
    assert cli._serve_command("127.0.0.1:8123", 3)[2:4] == ["gunicorn", "zhili.wsgi:application"]
    assert "127.0.0.1:8123" in cli._serve_command("127.0.0.1:8123", 3)
    assert cli._worker_command()[-3:] == ["db_worker", "--interval", "1"]


def test_run_together_stops_the_others_when_one_ends():
    code = cli._run_together(
        [[sys.executable, "-c", "pass"], [sys.executable, "-c", "import time; time.sleep(60)"]]
    )
    assert code == 0


def test_run_together_reports_a_child_that_fails_on_its_own():
    code = cli._run_together(
        [[sys.executable, "-c", "raise SystemExit(3)"], [sys.executable, "-c", "import time; time.sleep(60)"]]
    )
    assert code == 1


def test_demo_also_runs_the_sla_sweep_every_minute():
    assert cli._sweep_command()[-4:] == ["cases", "sweep", "--every", "60"]


def _run_together_until(pid_file, child: str, grace: float = cli.STOP_GRACE_SECONDS):
    """A parent running ``_run_together([child])``, and the pid ``child`` (or what it starts)
    writes to ``pid_file`` once it runs."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from zhili import cli; "
            f"sys.exit(cli._run_together([[sys.executable, '-c', {child!r}]], grace={grace!r}))",
        ]
    )
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()):
        assert time.monotonic() < deadline, "the process did not start"
        time.sleep(0.1)
    return parent, int(pid_file.read_text())


def test_sigterm_to_the_demo_stops_its_children(tmp_path):
    """A service manager or ``kill`` stops the demo with SIGTERM: no server or worker is left behind."""
    pid_file = tmp_path / "child.pid"
    child = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    parent, child_pid = _run_together_until(pid_file, child)
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=60) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(child_pid, 0)


def test_stopping_reaches_what_a_child_started_and_kills_what_ignores_it(tmp_path):
    """A child's own children (the server's workers) stop with it, and a child that ignores
    SIGTERM is killed once the grace time is over, so the demo always ends and leaves nothing."""
    pid_file = tmp_path / "grandchild.pid"
    grandchild = (
        "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    )
    child = (
        f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {grandchild!r}]); "
        "time.sleep(120)"
    )
    parent, grandchild_pid = _run_together_until(pid_file, child, grace=1.0)
    parent.send_signal(signal.SIGINT)
    assert parent.wait(timeout=60) == 0
    assert _gone_within(grandchild_pid, seconds=30)


def _gone_within(pid: int, seconds: float) -> bool:
    """SIGKILL is delivered asynchronously: ``killpg`` returns before an orphan in the group
    has died, so the check waits (bounded) for the death instead of looking once."""
    deadline = time.monotonic() + seconds
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan killed here waits for init to reap it)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
