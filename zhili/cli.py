"""The ``zhili`` command (also ``python -m zhili``).

    zhili demo                 set up a local demo (SQLite) and serve it with a worker
    zhili serve [--bind …]     serve the web application (gunicorn)
    zhili worker               run the background task worker
    zhili manage …             any Django management command
    zhili <group> …            a zhili command group, e.g. ``zhili audit verify``,
                               ``zhili territory import FILE.geojson``

A group is a management command of the same name, so that the same code runs from
``zhili manage <group> …``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS = "zhili.settings.base"
GROUPS = (
    "accounts", "audit", "territory", "demo_data", "residents", "privacy", "keys",
    "cases", "classify", "hotspots", "bench", "election", "assessment", "analytics", "intelligence",
    "emergency", "surveys", "services",
)  # fmt: skip


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        print(f"配置错误 / configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _manage(argv: list[str]) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zhili manage", *argv])
    return 0


def _demo_environment() -> Path:
    """Defaults for a local demo: SQLite under var/, generated secrets kept between runs, plain HTTP."""
    var = Path(os.environ.get("ZHILI_VAR_DIR", PROJECT_DIR / "var"))
    var.mkdir(parents=True, exist_ok=True)
    secret_file = var / "secret_key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        secret_file.chmod(0o600)
    data_key_file = var / "data_key"
    if not data_key_file.exists():
        data_key_file.write_text("k1:" + base64.b64encode(secrets.token_bytes(32)).decode(), encoding="utf-8")
        data_key_file.chmod(0o600)
    signing_key_file = var / "signing_key"
    if not signing_key_file.exists():
        signing_key_file.write_text(base64.b64encode(secrets.token_bytes(32)).decode(), encoding="utf-8")
        signing_key_file.chmod(0o600)
    os.environ.setdefault("ZHILI_VAR_DIR", str(var))
    if "ZHILI_SIGNING_KEY" not in os.environ:
        os.environ.setdefault("ZHILI_SIGNING_KEY_FILE", str(signing_key_file))
    if "SECRET_KEY" not in os.environ:
        os.environ.setdefault("SECRET_KEY_FILE", str(secret_file))
    if "ZHILI_DATA_KEY" not in os.environ:
        os.environ.setdefault("ZHILI_DATA_KEY_FILE", str(data_key_file))
    os.environ.setdefault("ZHILI_HTTPS", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    return var


def _serve_command(bind: str, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "zhili.wsgi:application",
        "--bind", bind, "--workers", str(workers), "--threads", "4",
        "--access-logfile", "-", "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(M)sms',
    ]  # fmt: skip


def _worker_command() -> list[str]:
    return [sys.executable, "-m", "zhili", "manage", "db_worker", "--interval", "1"]


def _sweep_command() -> list[str]:
    # SLA colours, escalation of overdue cases and default ratings, once a minute.
    return [sys.executable, "-m", "zhili", "cases", "sweep", "--every", "60"]


def _scan_command() -> list[str]:
    # Early warnings and the live hotspot list, every ten minutes.
    return [sys.executable, "-m", "zhili", "intelligence", "scan", "--every", "600"]


def _refresh_command() -> list[str]:
    # The cockpit's overdue counts follow the SLA lights the sweep turns red, once a minute.
    return [sys.executable, "-m", "zhili", "analytics", "refresh", "--every", "60"]


REPAIR_HOUR = 3  # Beijing time: the nightly repair runs when nobody works


def _next_repair_time(now: float) -> float:
    """The next 03:00 in Beijing after ``now`` (Unix time)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    local = datetime.fromtimestamp(now, ZoneInfo("Asia/Shanghai"))
    at = local.replace(hour=REPAIR_HOUR, minute=0, second=0, microsecond=0)
    if at <= local:
        at += timedelta(days=1)
    return at.timestamp()


def _rebuild_command(start_at: float) -> list[str]:
    # Nightly repair: the cockpit's rollups of the last three days recomputed from the cases, first
    # at the next 03:00 (the demo data comes with rollups built a moment ago).
    repair = ["analytics", "rebuild", "--days", "3", "--every", "86400", "--start-at", str(start_at)]
    return [sys.executable, "-m", "zhili", *repair]


def _retrain_command(start_at: float) -> list[str]:
    # Daily: the classifier trained again on the confirmed cases, kept only if not worse. The
    # first run waits a day (the demo data comes with a freshly trained version).
    retrain = ["classify", "retrain", "--every", "86400", "--start-at", str(start_at)]
    return [sys.executable, "-m", "zhili", *retrain]


def _emergency_command() -> list[str]:
    # Alerts past their end expire; messages still waiting are queued again.
    return [sys.executable, "-m", "zhili", "emergency", "sweep", "--every", "60"]


def _outreach_command() -> list[str]:
    # 服务找人: residents newly matching a service's rule get a task for their grid worker.
    return [sys.executable, "-m", "zhili", "services", "outreach", "--every", "3600"]


def _surveys_command() -> list[str]:
    # Open surveys past their closing time are closed (answers are refused after it anyway).
    return [sys.executable, "-m", "zhili", "surveys", "close-due", "--every", "60"]


STOP_GRACE_SECONDS = 10.0


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the whole group has gone
        os.killpg(proc.pid, signum)


def _run_together(commands: list[list[str]], grace: float = STOP_GRACE_SECONDS) -> int:
    """Run processes side by side; Ctrl-C, SIGTERM (or one of them exiting) stops them all.

    Ctrl-C is the normal way to stop the demo, so it exits 0 whatever the children say while
    shutting down; a child that dies on its own makes the exit code 1. SIGTERM (a service
    manager, ``kill``) is handled like Ctrl-C, so the children do not outlive the demo.

    Each child runs in its own process group, and stopping sends SIGTERM to the whole group, so
    what a child started itself (the server's workers) stops with it. Children get ``grace``
    seconds together, not each; whatever is left then is killed, group and all.
    """

    def on_term(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    procs = [subprocess.Popen(cmd, start_new_session=True) for cmd in commands]
    interrupted = False
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for p in procs:
            _signal_group(p, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=max(0.0, deadline - time.monotonic()))
        for p in procs:
            _signal_group(p, signal.SIGKILL)  # stragglers, and anything a child left behind
            p.wait()
        signal.signal(signal.SIGTERM, previous)
    if interrupted:
        return 0
    return 0 if all(p.returncode in (0, -signal.SIGTERM, -signal.SIGINT) for p in procs) else 1


def cmd_demo(args: argparse.Namespace) -> int:
    _demo_environment()
    os.environ.setdefault("ZHILI_PUBLIC_URL", f"http://{args.bind}")  # the links of the demo's messages
    _setup_django()
    from django.core.management import call_command

    print("== 迁移数据库 / migrating the database")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    print("== 演示数据 / demo data")
    call_command("demo_data", "load", "--if-empty", "--seed", str(args.seed))
    if args.no_serve:
        return 0
    print(f"== 服务地址 / serving on http://{args.bind}  (Ctrl-C 停止 / to stop)")
    return _run_together(
        [
            _serve_command(args.bind, args.workers),
            _worker_command(),
            _sweep_command(),
            _scan_command(),
            _refresh_command(),
            _rebuild_command(_next_repair_time(time.time())),
            _retrain_command(time.time() + 86400),
            _emergency_command(),
            _surveys_command(),
            _outreach_command(),
        ]
    )


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()  # fail early, with a clear message, on bad settings
    os.execv(sys.executable, _serve_command(args.bind, args.workers))
    return 0  # pragma: no cover


def cmd_worker(args: argparse.Namespace) -> int:
    return _manage(["db_worker", "--interval", "1"])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "manage":
        return _manage(argv[1:])
    if argv and argv[0] in GROUPS:
        return _manage(argv)

    parser = argparse.ArgumentParser(prog="zhili", description="智理 基层治理平台 / zhili")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="set up and serve the local demo")
    demo.add_argument("--bind", default="127.0.0.1:8000")
    demo.add_argument("--workers", type=int, default=2)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--no-serve", action="store_true", help="prepare the database and stop")
    demo.set_defaults(func=cmd_demo)
    serve = sub.add_parser("serve", help="serve the web application")
    serve.add_argument("--bind", default="127.0.0.1:8000")
    serve.add_argument("--workers", type=int, default=2)
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run the background task worker")
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("manage", help="run a Django management command")
    for group in GROUPS:
        sub.add_parser(group, help=f"zhili {group} … (see zhili {group} --help)")
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
