"""Emergency mode: switching on and off (kept as history, audited) and what it changes: the SLA of new
cases in the subtree and the cockpit's front panel."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from zhili.audit.models import AuditEvent
from zhili.cases.actions.base import SYSTEM_ACTOR
from zhili.cases.actions.submit import do_submit_case
from zhili.cases.models import SLAPolicy, SlaUnit
from zhili.core.errors import DomainError, Forbidden
from zhili.emergency.actions import do_switch_emergency_mode
from zhili.emergency.models import EmergencyMode
from zhili.emergency.selectors import active_emergency
from zhili.emergency.tests.conftest import IN_A, IN_D

pytestmark = pytest.mark.django_db
# A Friday evening: working hours are over, so a working-hours clock waits for Monday.
FRIDAY_EVENING = datetime(2026, 6, 5, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _case(point, now=FRIDAY_EVENING):
    return do_submit_case(
        actor=SYSTEM_ACTOR,
        channel="api",
        title="路面积水",
        body="小区门口积水很深",
        lat=point[0],
        lng=point[1],
        now=now,
    )


def test_switching_on_changes_the_sla_of_new_cases_and_switching_off_restores_it(region):
    before = _case(IN_A)
    assert before.sla_unit == SlaUnit.WORKING_HOURS
    mode = do_switch_emergency_mode(
        region.street, actor=region.user("dispatcher"), on=True, reason="暴雨红色预警"
    )
    during = _case(IN_A)
    assert during.sla_unit == SlaUnit.NATURAL_HOURS
    assert during.finish_due_at - FRIDAY_EVENING == timedelta(hours=48)  # the emergency set, day and night
    assert before.finish_due_at - FRIDAY_EVENING > timedelta(days=3)  # Monday's working hours
    # Another street is not in emergency mode.
    assert _case(IN_D).sla_unit == SlaUnit.WORKING_HOURS
    do_switch_emergency_mode(region.street, actor=region.user("supervisor"), on=False, reason="预警解除")
    after = _case(IN_A)
    assert after.sla_unit == SlaUnit.WORKING_HOURS and after.finish_due_at == before.finish_due_at
    mode.refresh_from_db()
    assert mode.ended_by == region.user("supervisor") and mode.end_reason == "预警解除"
    switches = AuditEvent.objects.filter(action="emergency.mode_switched").order_by("id")
    assert [e.details["on"] for e in switches] == [True, False]


def test_an_emergency_sla_policy_row_wins_over_the_built_in_targets(region):
    SLAPolicy.objects.create(
        urgency="normal",
        unit=SlaUnit.NATURAL_HOURS,
        accept_within=1,
        contact_within=2,
        finish_within=6,
        emergency_mode=True,
    )
    do_switch_emergency_mode(region.c1, actor=region.user("dispatcher"), on=True, reason="内涝抢险")
    case = _case(IN_A)
    assert case.finish_due_at - FRIDAY_EVENING == timedelta(hours=6)


def test_active_emergency_is_found_from_any_node_below(region):
    assert active_emergency(region.grid_a) is None
    mode = do_switch_emergency_mode(region.c1, actor=region.user("dispatcher"), on=True, reason="内涝抢险")
    assert active_emergency(region.grid_a) == mode and active_emergency(region.c1) == mode
    assert active_emergency(region.grid_c) is None and active_emergency(region.street) is None
    assert active_emergency(None) is None


def test_history_is_kept_and_switching_twice_is_refused(region):
    dispatcher = region.user("dispatcher")
    do_switch_emergency_mode(region.street, actor=dispatcher, on=True, reason="第一次")
    with pytest.raises(DomainError) as info:
        do_switch_emergency_mode(region.street, actor=dispatcher, on=True, reason="第二次")
    assert info.value.code == "already_on"
    do_switch_emergency_mode(region.street, actor=dispatcher, on=False, reason="结束了")
    with pytest.raises(DomainError) as info:
        do_switch_emergency_mode(region.street, actor=dispatcher, on=False, reason="结束了")
    assert info.value.code == "already_off"
    do_switch_emergency_mode(region.street, actor=dispatcher, on=True, reason="又来了")
    assert EmergencyMode.objects.filter(node=region.street).count() == 2
    with pytest.raises(DomainError) as info:
        do_switch_emergency_mode(region.street, actor=dispatcher, on=False, reason="")
    assert info.value.code == "reason_required"


@pytest.mark.parametrize("persona", ["grid_worker_a", "community_staff", "leader", "outsider"])
def test_only_dispatchers_and_supervisors_over_the_node_switch(region, persona):
    with pytest.raises(Forbidden):
        do_switch_emergency_mode(region.street, actor=region.user(persona), on=True, reason="暴雨红色预警")


def test_the_mode_page_switches_and_shows_history(client, login, region):
    login("dispatcher")
    page = client.get("/emergency/mode/")
    assert page.status_code == 200
    response = client.post(
        "/emergency/mode/", {"node": region.street.pk, "reason": "暴雨红色预警", "switch": "on"}
    )
    assert response.status_code == 302
    assert active_emergency(region.grid_a) is not None
    assert "暴雨红色预警" in client.get("/emergency/mode/").content.decode()
    login("grid_worker_a")
    assert client.get("/emergency/mode/").status_code == 403
    login("outsider")
    assert client.get("/emergency/mode/").status_code == 403


def test_the_cockpit_panel_leads_with_the_emergency(region, approved, people):
    from zhili.emergency.actions import do_mobilise

    alert = approved()
    do_mobilise(alert, actor=region.user("dispatcher"), tag_codes=["elderly_alone"])
    assert render_to_string("emergency/_cockpit_panel.html", {"emergency": None}).strip() == ""
    mode = do_switch_emergency_mode(
        region.street, actor=region.user("dispatcher"), on=True, reason="暴雨红色预警", alert=alert
    )
    with translation.override("en"):
        html = render_to_string(
            "emergency/_cockpit_panel.html", {"emergency": active_emergency(region.grid_a)}
        )
    assert "暴雨红色预警" in html and f"/emergency/alerts/{alert.pk}/board/" in html
    assert "Checks: 0 of 3 households done" in html
    assert mode.alert == alert
