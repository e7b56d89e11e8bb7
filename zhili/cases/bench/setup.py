"""Run by ``zhili bench intake`` in a child process with the bench's settings and database.

``python -m zhili.cases.bench.setup prepare``: migrate, load the bench region (the test personas'
street with grid boundaries, a department, a small category tree with keywords, SLA policies and
dispatch rules) and log the API client in; prints the session cookie and CSRF token as JSON.

``python -m zhili.cases.bench.setup fold``: folds the rollups' journal once a second until it is
sent SIGTERM, as the cockpit's reads and the minutely refresh do in production; prints JSON.

``python -m zhili.cases.bench.setup check``: counts what the run left behind and verifies the audit
chain; prints JSON.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def prepare() -> dict[str, Any]:
    from django.conf import settings
    from django.core.management import call_command
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from zhili.cases.models import Category, DispatchRule, SLAPolicy, SlaUnit, Urgency
    from zhili.core.testing import make_region

    call_command("migrate", verbosity=0, interactive=False)
    region = make_region()
    env = Category.objects.create(code="ENV", name="环境卫生", level=1)
    garbage = Category.objects.create(code="ENV-GARB", name="垃圾清运", level=2, parent=env)
    Category.objects.create(
        code="ENV-GARB-PILE",
        name="垃圾堆放",
        level=3,
        parent=garbage,
        department=region.department,
        keywords="垃圾\n堆放\n清运",
    )
    road = Category.objects.create(code="ROAD", name="道路设施", level=1)
    Category.objects.create(code="ROAD-LIGHT", name="路灯", level=2, parent=road, keywords="路灯\n不亮")
    Category.objects.create(code="ROAD-COVER", name="井盖", level=2, parent=road, keywords="井盖")
    Category.objects.create(code="NOISE", name="噪音扰民", level=1, keywords="噪音\n施工")
    DispatchRule.objects.create(category=env, area=region.street, department=region.department, priority=10)
    DispatchRule.objects.create(category=road, area=region.street, to_case_grid=True, priority=5)
    DispatchRule.objects.create(category=None, area=region.c2, grid=region.grid_c, priority=1)
    for category, finish in ((None, 40), (env, 24), (road, 16)):
        SLAPolicy.objects.create(
            category=category,
            urgency=Urgency.NORMAL,
            unit=SlaUnit.WORKING_HOURS,
            accept_within=4,
            contact_within=8,
            finish_within=finish,
        )
    client = Client()
    client.force_login(region.user("resident"), backend="django.contrib.auth.backends.ModelBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = _get_new_csrf_string()
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}",
        "csrf": csrf,
    }


def fold(every: float = 1.0) -> dict[str, Any]:
    import signal
    import time

    from zhili.analytics.rollups import fold as fold_journal

    stop: list[bool] = []
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.append(True))
    folded, folds = fold_journal(), 1
    sys.stdout.write("ready\n")  # set up: what it spends from now on is folding
    sys.stdout.flush()
    while not stop:
        folded += fold_journal()
        folds += 1
        deadline = time.monotonic() + every
        while not stop and time.monotonic() < deadline:
            time.sleep(0.05)
    folded += fold_journal()  # what came in since the last one
    return {"folded": folded, "folds": folds + 1}  # the first and the last fold included


def check() -> dict[str, Any]:
    from zhili.analytics.models import RollupChange
    from zhili.audit.models import AuditEvent
    from zhili.audit.verify import verify_chain
    from zhili.cases.models import Case, CaseEvent
    from zhili.notify.models import Notification

    result = verify_chain()
    return {
        "cases": Case.objects.count(),
        "dispatched": Case.objects.filter(status="dispatched").count(),
        "events": CaseEvent.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "journal_rows": RollupChange.objects.count(),
        "audit_chain_ok": bool(result.ok),
        "audit_chain_count": result.count,
    }


def main(argv: list[str]) -> int:
    import django

    django.setup()
    command = argv[1] if len(argv) > 1 else ""
    if command == "prepare":
        sys.stdout.write(json.dumps(prepare()) + "\n")
    elif command == "fold":
        sys.stdout.write(json.dumps(fold()) + "\n")
    elif command == "check":
        sys.stdout.write(json.dumps(check()) + "\n")
    else:
        sys.stderr.write("usage: python -m zhili.cases.bench.setup prepare|fold|check\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
