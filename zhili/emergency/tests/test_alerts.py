"""Alerts: the transition table, four-eyes approval, the area, delivery and acknowledgements, CAP XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from zhili.audit.models import AuditEvent
from zhili.core.errors import DomainError, Forbidden
from zhili.core.testing import square
from zhili.emergency.actions import do_acknowledge, do_expire_alerts, do_transition_alert
from zhili.emergency.models import Acknowledgement, Alert
from zhili.emergency.states import TRANSITIONS, AlertStatus, AlertTransition
from zhili.notify.models import Notification

pytestmark = pytest.mark.django_db
T = AlertTransition
S = AlertStatus


def _force(alert: Alert, status: str) -> Alert:
    Alert.objects.filter(pk=alert.pk).update(status=status)
    alert.refresh_from_db()
    return alert


@pytest.mark.parametrize("transition", [T.SUBMIT, T.REJECT, T.APPROVE, T.SEND, T.CANCEL, T.EXPIRE])
@pytest.mark.parametrize("status", list(S.values))
def test_the_transition_table_is_what_the_action_allows(region, draft, transition, status):
    alert = _force(draft(), status)
    # The supervisor holds every role the guards ask for and did not draft the alert.
    actor = None if transition is T.EXPIRE else region.user("supervisor")
    sources, target = TRANSITIONS[transition]
    if status in sources:
        assert do_transition_alert(alert, transition, actor=actor).status == target
    else:
        with pytest.raises(DomainError) as info:
            do_transition_alert(alert, transition, actor=actor)
        assert info.value.code == "transition_not_allowed"
        assert Alert.objects.get(pk=alert.pk).status == status


def test_the_drafter_cannot_approve_their_own_alert(region, draft):
    alert = draft(by="dispatcher")
    alert = do_transition_alert(alert, T.SUBMIT, actor=region.user("dispatcher"))
    with pytest.raises(DomainError) as info:
        do_transition_alert(alert, T.APPROVE, actor=region.user("dispatcher"))
    assert info.value.code == "four_eyes"
    with pytest.raises(DomainError) as info:
        do_transition_alert(alert, T.REJECT, actor=region.user("dispatcher"))
    assert info.value.code == "four_eyes"
    assert Alert.objects.get(pk=alert.pk).status == S.PENDING


@pytest.mark.parametrize("persona", ["community_staff", "leader", "grid_worker_a", "outsider"])
def test_only_an_approving_role_over_the_node_may_approve(region, draft, persona):
    alert = do_transition_alert(draft(), T.SUBMIT, actor=region.user("dispatcher"))
    with pytest.raises(Forbidden):
        do_transition_alert(alert, T.APPROVE, actor=region.user(persona))


def test_a_second_person_approves_and_the_approval_is_recorded(region, draft):
    alert = do_transition_alert(draft(), T.SUBMIT, actor=region.user("dispatcher"))
    alert = do_transition_alert(alert, T.APPROVE, actor=region.user("supervisor"))
    assert alert.status == S.APPROVED
    assert alert.approved_by == region.user("supervisor") and alert.approved_at is not None
    kinds = list(alert.events.values_list("kind", flat=True))
    assert kinds == ["draft", "submit", "approve"]
    audit = AuditEvent.objects.filter(action="emergency.alert_transition", target_id=str(alert.pk))
    assert audit.count() == 2


def test_community_staff_may_draft_only_inside_their_community(region, draft):
    draft(by="community_staff", node=region.c1, grids=[region.grid_a])
    with pytest.raises(Forbidden):
        draft(by="community_staff", node=region.street, grids=[region.grid_a])
    with pytest.raises(DomainError) as info:
        draft(by="community_staff", node=region.c1, grids=[region.grid_c])
    assert info.value.code == "grid_outside"


def test_a_drawn_polygon_must_overlap_the_drafters_territory(region, draft):
    far_away = square(120.0, 30.0, 120.01, 30.01)
    with pytest.raises(DomainError) as info:
        draft(grids=[], polygon=far_away)
    assert info.value.code == "polygon_outside"
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[116.30, 39.90], [116.31, 39.91], [116.31, 39.90], [116.30, 39.91], [116.30, 39.90]]
        ],
    }
    with pytest.raises(DomainError) as info:
        draft(grids=[], polygon=bow_tie)
    assert info.value.code == "polygon_invalid"
    with pytest.raises(DomainError) as info:
        draft(grids=[])
    assert info.value.code == "area_required"


def test_the_window_must_be_positive(draft):
    now = timezone.now()
    with pytest.raises(DomainError) as info:
        draft(effective=now, expires=now)
    assert info.value.code == "window_invalid"


def _send(region, alert, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return do_transition_alert(alert, T.SEND, actor=region.user("dispatcher"))


def test_sending_reaches_staff_of_the_area_and_residents_living_in_it_only(
    region, approved, people, django_capture_on_commit_callbacks
):
    alert = _send(region, approved(grids=[region.grid_a]), django_capture_on_commit_callbacks)
    assert alert.status == S.SENT and alert.sent is not None
    acks = Acknowledgement.objects.filter(alert=alert)
    staff = {a.user.username for a in acks.filter(audience="staff")}
    assert staff == {
        "grid_worker_a",
        "community_staff",
        "dispatcher",
        "handler",
        "supervisor",
        "leader",
        "party_secretary",
    }
    resident_users = {a.user.username for a in acks.filter(audience="resident", user__isnull=False)}
    assert resident_users == {"resident"}
    # Registered residents of grid A with a mobile get an SMS; the one without a mobile cannot be reached.
    sms_households = set(acks.filter(channel="sms").values_list("person__household_id", flat=True))
    assert sms_households == {people.a_alone.pk, people.a_plain.pk}
    # Every recipient's message is in the outbox, once, with no personal data in the text.
    assert acks.filter(notified_at__isnull=True).count() == 0
    messages = Notification.objects.filter(topic=f"emergency.alert:{alert.pk}")
    assert messages.count() == acks.count()
    assert messages.filter(channel="sms").count() == 2
    for message in messages:
        assert "王秀兰" not in message.body and "13900000001" not in message.body
        assert "暴雨红色预警" in message.subject


def test_the_fan_out_is_batched_and_safe_to_run_twice(region, approved, people):
    from zhili.emergency.delivery import deliver_alert, deliver_batch

    alert = do_transition_alert(approved(grids=[region.grid_a]), T.SEND, actor=region.user("dispatcher"))
    total = Acknowledgement.objects.filter(alert=alert).count()
    assert deliver_batch(alert.pk, batch=3) == 3
    assert deliver_alert(alert.pk, batch=3) == total - 3
    assert deliver_alert(alert.pk) == 0
    assert Notification.objects.filter(topic=f"emergency.alert:{alert.pk}").count() == total


def test_a_text_message_carries_the_full_confirmation_link(
    region, approved, people, settings, django_capture_on_commit_callbacks
):
    settings.ZHILI_PUBLIC_URL = "https://zhili.example.gov.cn"
    alert = _send(region, approved(grids=[region.grid_a]), django_capture_on_commit_callbacks)
    texts = Notification.objects.filter(topic=f"emergency.alert:{alert.pk}", channel="sms")
    assert texts and all("https://zhili.example.gov.cn/emergency/ack/" in text.body for text in texts)


def test_a_polygon_reaches_the_households_whose_building_it_covers(region, approved, people):
    west_half_of_b = square(116.310, 39.900, 116.315, 39.910)
    alert = do_transition_alert(
        approved(grids=[], polygon=west_half_of_b), T.SEND, actor=region.user("dispatcher")
    )
    persons = set(
        Acknowledgement.objects.filter(alert=alert, person__isnull=False).values_list(
            "person__household_id", flat=True
        )
    )
    assert persons == {people.b_west_alone.pk}
    staff = set(
        Acknowledgement.objects.filter(alert=alert, audience="staff").values_list("user__username", flat=True)
    )
    assert "grid_worker_b" in staff and "grid_worker_a" not in staff


def test_acknowledging_through_the_link_records_the_first_moment(client, region, approved, people):
    alert = do_transition_alert(approved(grids=[region.grid_a]), T.SEND, actor=region.user("dispatcher"))
    sms = Acknowledgement.objects.filter(alert=alert, channel="sms").first()
    page = client.get(f"/emergency/ack/{sms.token}/")
    assert page.status_code == 200 and "暴雨红色预警" in page.content.decode()
    assert client.post(f"/emergency/ack/{sms.token}/").status_code == 200
    sms.refresh_from_db()
    first = sms.acknowledged_at
    assert first is not None
    do_acknowledge(sms.token, now=first + timezone.timedelta(hours=1))
    sms.refresh_from_db()
    assert sms.acknowledged_at == first
    assert client.get("/emergency/ack/not-a-token/").status_code == 404


def test_staff_acknowledge_on_the_alert_page(client, login, region, approved, people):
    alert = do_transition_alert(approved(grids=[region.grid_a]), T.SEND, actor=region.user("dispatcher"))
    login("grid_worker_a")
    assert client.post(f"/emergency/alerts/{alert.pk}/ack/").status_code == 302
    ack = Acknowledgement.objects.get(alert=alert, user=region.user("grid_worker_a"))
    assert ack.acknowledged_at is not None
    counts = {
        row.audience: row.acknowledged
        for row in __import__("zhili.emergency.selectors", fromlist=["x"]).ack_counts(alert)
    }
    assert counts == {"staff": 1, "resident": 0}


def test_expired_alerts_are_swept(region, approved):
    alert = do_transition_alert(approved(), T.SEND, actor=region.user("dispatcher"))
    assert do_expire_alerts(now=alert.expires - timezone.timedelta(minutes=1)) == 0
    assert do_expire_alerts(now=alert.expires) == 1
    assert Alert.objects.get(pk=alert.pk).status == S.EXPIRED
    assert do_expire_alerts(now=alert.expires) == 0


CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def test_the_cap_export_has_the_cap_1_2_structure(client, login, region, approved, people):
    alert = do_transition_alert(approved(grids=[region.grid_a]), T.SEND, actor=region.user("dispatcher"))
    login("grid_worker_a")
    response = client.get(f"/emergency/alerts/{alert.pk}/cap.xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own export
    assert root.tag == f"{CAP}alert"
    # Required <alert> elements, in schema order.
    children = [child.tag.removeprefix(CAP) for child in root]
    assert children[:6] == ["identifier", "sender", "sent", "status", "msgType", "scope"]
    assert root.findtext(f"{CAP}identifier") == alert.identifier
    assert root.findtext(f"{CAP}status") == "Actual" and root.findtext(f"{CAP}msgType") == "Alert"
    assert root.findtext(f"{CAP}sent").endswith("+08:00")
    info = root.find(f"{CAP}info")
    for required in ("category", "event", "urgency", "severity", "certainty"):
        assert info.findtext(f"{CAP}{required}"), required
    assert info.findtext(f"{CAP}headline") == "暴雨红色预警"
    area = info.find(f"{CAP}area")
    assert area.findtext(f"{CAP}areaDesc") == "Grid A"
    ring = area.findtext(f"{CAP}polygon").split(" ")
    assert ring[0] == ring[-1] and len(ring) >= 4
    lat, lon = (float(v) for v in ring[0].split(","))
    assert 39.8 < lat < 40.0 and 116.2 < lon < 116.4  # CAP order is lat,lon
    assert area.find(f"{CAP}geocode").findtext(f"{CAP}value") == region.grid_a.code


def test_scope_outsiders_get_404_and_drafts_stay_with_their_makers(client, login, region, draft, approved):
    alert = draft()
    login("grid_worker_a")
    assert client.get(f"/emergency/alerts/{alert.pk}/").status_code == 404  # a draft
    sent = do_transition_alert(approved(), T.SEND, actor=region.user("dispatcher"))
    assert client.get(f"/emergency/alerts/{sent.pk}/").status_code == 200
    login("outsider")
    for url in (
        f"/emergency/alerts/{sent.pk}/",
        f"/emergency/alerts/{sent.pk}/cap.xml",
        f"/emergency/alerts/{sent.pk}/board/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/emergency/alerts/{sent.pk}/act/cancel/").status_code == 404


def test_read_only_roles_are_refused_steps(client, login, region, draft):
    alert = do_transition_alert(draft(), T.SUBMIT, actor=region.user("dispatcher"))
    login("leader")
    # The leader sees nothing pending (not a maker) …
    assert client.get(f"/emergency/alerts/{alert.pk}/").status_code == 404
    alert = do_transition_alert(alert, T.APPROVE, actor=region.user("supervisor"))
    alert = do_transition_alert(alert, T.SEND, actor=region.user("supervisor"))
    # … sees what was sent, and may not act on it.
    assert client.get(f"/emergency/alerts/{alert.pk}/").status_code == 200
    assert client.post(f"/emergency/alerts/{alert.pk}/act/cancel/").status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == S.SENT


def test_the_sweep_expires_alerts_and_queues_waiting_messages(region, approved, people):
    import io
    import json

    from django.core.management import call_command

    alert = do_transition_alert(approved(grids=[region.grid_a]), T.SEND, actor=region.user("dispatcher"))
    assert Acknowledgement.objects.filter(alert=alert, notified_at__isnull=True).exists()  # no task ran
    now = timezone.now()
    Alert.objects.filter(pk=alert.pk).update(
        effective=now - timezone.timedelta(hours=2), expires=now - timezone.timedelta(minutes=1)
    )
    out = io.StringIO()
    call_command("emergency", "sweep", "--json", stdout=out)
    counts = json.loads(out.getvalue())
    assert counts == {"expired": 1, "queued": Acknowledgement.objects.filter(alert=alert).count()}
    assert Alert.objects.get(pk=alert.pk).status == S.EXPIRED
    assert not Acknowledgement.objects.filter(notified_at__isnull=True).exists()


def test_the_alert_list_reads_in_a_fixed_number_of_queries(
    client, login, region, approved, django_assert_max_num_queries
):
    for _n in range(3):
        do_transition_alert(approved(), T.SEND, actor=region.user("dispatcher"))
    login("grid_worker_a")
    with django_assert_max_num_queries(8):
        page = client.get("/emergency/")
    assert page.content.decode().count("/emergency/alerts/") >= 3
