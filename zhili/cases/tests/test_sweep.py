"""The sweep: lights, exactly-once escalation (also with two sweepers at once), default ratings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from zhili.audit.models import AuditEvent
from zhili.audit.verify import verify_chain
from zhili.cases import actions as a
from zhili.cases.models import Case, CaseEvent, Evaluation
from zhili.cases.states import CaseStatus as S
from zhili.cases.sweep import sweep
from zhili.notify.models import Notification

ROOT = Path(__file__).resolve().parents[3]


def set_clock(case, *, yellow, due):
    Case.objects.filter(pk=case.pk).update(yellow_at=yellow, finish_due_at=due)


@pytest.mark.django_db
def test_lights_turn_yellow_at_80_percent_and_red_when_overdue(walker):
    now = timezone.now()
    green, yellow, red = (walker.to(S.IN_PROGRESS) for _ in range(3))
    set_clock(green, yellow=now + timedelta(hours=1), due=now + timedelta(hours=2))
    set_clock(yellow, yellow=now - timedelta(minutes=1), due=now + timedelta(hours=1))
    set_clock(red, yellow=now - timedelta(hours=2), due=now - timedelta(minutes=1))
    counts = sweep(now=now)
    states = dict(Case.objects.filter(pk__in=[green.pk, yellow.pk, red.pk]).values_list("pk", "sla_state"))
    assert states == {green.pk: "green", yellow.pk: "yellow", red.pk: "red"}
    assert counts["yellow"] == 1 and counts["escalated"] == 1


@pytest.mark.django_db
def test_an_overdue_case_is_escalated_once_to_the_supervisors_of_its_node(walker, region):
    case = walker.to(S.SIGNED)
    now = timezone.now()
    set_clock(case, yellow=now - timedelta(hours=2), due=now - timedelta(hours=1))
    assert sweep(now=now)["escalated"] == 1
    assert sweep(now=now + timedelta(minutes=5))["escalated"] == 0
    assert CaseEvent.objects.filter(case=case, kind="escalated").count() == 1
    assert AuditEvent.objects.filter(target_id=str(case.pk), details__kind="escalated").count() == 1
    told = Notification.objects.filter(
        topic=f"cases.case:{case.pk}", recipient__memberships__role="supervisor"
    )
    assert [n.recipient for n in told] == [region.user("supervisor")]  # once, and only the supervisor


@pytest.mark.django_db
def test_suspended_and_finished_cases_are_not_escalated(walker):
    now = timezone.now()
    suspended = walker.to(S.SUSPENDED)
    resolved = walker.to(S.RESOLVED)
    for case in (suspended, resolved):
        set_clock(case, yellow=now - timedelta(hours=2), due=now - timedelta(hours=1))
    assert sweep(now=now)["escalated"] == 0
    assert Case.objects.filter(escalated_at__isnull=False).count() == 0


@pytest.mark.django_db
def test_an_approved_extension_can_be_escalated_again_when_it_runs_out(walker, region):
    case = walker.to(S.IN_PROGRESS)
    now = timezone.now()
    set_clock(case, yellow=now - timedelta(hours=2), due=now - timedelta(hours=1))
    sweep(now=now)
    until = now + timedelta(days=3)
    a.do_request_extension(case, actor=region.user("handler"), until=until, reason="需协调")
    case = a.do_approve_extension(case, actor=region.user("supervisor"))
    assert case.escalated_at is None and case.sla_state in ("green", "yellow")
    assert sweep(now=now)["escalated"] == 0
    assert sweep(now=until + timedelta(minutes=1))["escalated"] == 1


@pytest.mark.django_db
def test_unrated_cases_are_rated_satisfied_by_default_after_the_window(walker):
    case = walker.to(S.VERIFIED)
    assert sweep()["default_rated"] == 0
    counts = sweep(now=timezone.now() + timedelta(days=8))
    assert counts["default_rated"] == 1
    case.refresh_from_db()
    assert case.status == S.RATED
    assert Evaluation.objects.get(case=case).source == "default"


@pytest.mark.django_db
def test_the_task_and_the_command_run_the_sweep(walker):
    from zhili.cases.tasks import sweep_cases

    case = walker.to(S.IN_PROGRESS)
    now = timezone.now()
    set_clock(case, yellow=now - timedelta(hours=2), due=now - timedelta(hours=1))
    result = sweep_cases.enqueue()
    assert result.status == "SUCCESSFUL" and result.return_value["escalated"] == 1
    out = StringIO()
    call_command("cases", "sweep", "--json", stdout=out)
    assert json.loads(out.getvalue())["escalated"] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent sweepers")
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_escalate_each_overdue_case_exactly_once(region, rule, submit):
    now = timezone.now()
    cases = []
    for _ in range(60):
        case = submit()  # dispatched by the rule
        assert case.status == S.DISPATCHED
        set_clock(case, yellow=now - timedelta(hours=2), due=now - timedelta(hours=1))
        cases.append(case)
    settings_dict = connection.settings_dict
    url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**settings_dict)
    if settings_dict.get("PASSWORD"):
        url = "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(**settings_dict)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "zhili.settings.test"}
    # Both start at one moment, far enough ahead that each has loaded Django by then even on a
    # busy machine (4 s was not, once: one sweeper ran after the other had finished).
    start_at = time.time() + 15
    sweepers = [
        subprocess.Popen(
            [sys.executable, "-m", "zhili", "cases", "sweep", "--json", "--start-at", str(start_at)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for proc in sweepers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    escalated = [r["escalated"] for r in results]
    assert sum(escalated) == len(cases), escalated
    assert all(n > 0 for n in escalated), f"the sweepers did not overlap: {escalated}"
    for case in cases:
        assert CaseEvent.objects.filter(case=case, kind="escalated").count() == 1
    assert Case.objects.filter(pk__in=[c.pk for c in cases], escalated_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="cases.event", details__kind="escalated").count() == len(cases)
    assert verify_chain().ok


@pytest.mark.django_db
def test_an_escalation_is_copied_by_email_to_supervisors_who_left_an_address(walker, region):
    from zhili.core import crypto

    supervisor = region.user("supervisor")
    supervisor.email = "ducha@example.gov.cn"
    supervisor.save(update_fields=["email"])
    case = walker.to(S.SIGNED)
    now = timezone.now()
    set_clock(case, yellow=now - timedelta(hours=2), due=now - timedelta(hours=1))
    assert sweep(now=now)["escalated"] == 1
    (mail,) = Notification.objects.filter(channel="email", topic=f"cases.case:{case.pk}")
    assert crypto.decrypt(mail.address_enc) == "ducha@example.gov.cn"
    assert case.code in mail.subject and f"/cases/{case.pk}/" in mail.body
    assert case.title not in mail.subject + mail.body  # titles carry residents' words
