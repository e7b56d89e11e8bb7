"""Acknowledging an alert that is over: the page says it ended, and nothing is recorded any more."""

from __future__ import annotations

import pytest
from django.utils import timezone

from zhili.core.errors import DomainError
from zhili.emergency.actions import (
    do_acknowledge,
    do_acknowledge_as_user,
    do_expire_alerts,
    do_transition_alert,
)
from zhili.emergency.models import Acknowledgement, Alert
from zhili.emergency.states import AlertStatus, AlertTransition

pytestmark = pytest.mark.django_db
T = AlertTransition
BUTTON = "我已收到此预警"


def _sent(region, approved):
    return do_transition_alert(approved(grids=[region.grid_a]), T.SEND, actor=region.user("dispatcher"))


def _expired(region, approved):
    alert = _sent(region, approved)
    assert do_expire_alerts(now=alert.expires) == 1
    return Alert.objects.get(pk=alert.pk)


def _cancelled(region, approved):
    alert = _sent(region, approved)
    return do_transition_alert(alert, T.CANCEL, actor=region.user("supervisor"), note="解除")


def _sms(alert):
    return Acknowledgement.objects.filter(alert=alert, channel="sms").first()


def _when(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def test_a_live_alert_is_confirmed_through_its_link(client, region, approved, people):
    sms = _sms(_sent(region, approved))
    page = client.get(f"/emergency/ack/{sms.token}/").content.decode()
    assert BUTTON in page and 'id="ack-ended"' not in page
    done = client.post(f"/emergency/ack/{sms.token}/")
    assert done.status_code == 200 and 'id="ack-done"' in done.content.decode()
    sms.refresh_from_db()
    assert sms.acknowledged_at is not None


def test_the_link_of_an_expired_alert_says_it_ended_and_offers_no_button(client, region, approved, people):
    alert = _expired(region, approved)
    sms = _sms(alert)
    page = client.get(f"/emergency/ack/{sms.token}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert f"此预警已于{_when(alert.expires)}结束" in text and "无需确认收到" in text
    assert BUTTON not in text and "<form" not in text.split('id="ack-ended"')[1]
    # The alert's public words are still there, so the resident knows what it was about.
    assert "暴雨红色预警" in text and "请勿外出，低洼地带居民注意转移。" in text


def test_confirming_an_expired_alert_through_its_link_is_refused(client, region, approved, people):
    alert = _expired(region, approved)
    sms = _sms(alert)
    refused = client.post(f"/emergency/ack/{sms.token}/")
    assert refused.status_code == 409
    assert "结束" in refused.content.decode() and BUTTON not in refused.content.decode()
    with pytest.raises(DomainError) as info:
        do_acknowledge(sms.token)
    assert info.value.code == "alert_ended" and info.value.status == 409
    assert not Acknowledgement.objects.filter(alert=alert, acknowledged_at__isnull=False).exists()


def test_the_link_of_a_cancelled_alert_says_it_was_withdrawn(client, region, approved, people):
    alert = _cancelled(region, approved)
    sms = _sms(alert)
    text = client.get(f"/emergency/ack/{sms.token}/").content.decode()
    assert f"此预警已于{_when(alert.cancelled_at)}撤销" in text and BUTTON not in text
    assert "暴雨红色预警" in text
    assert client.post(f"/emergency/ack/{sms.token}/").status_code == 409
    sms.refresh_from_db()
    assert sms.acknowledged_at is None


def test_an_alert_past_its_end_is_not_confirmed_before_the_sweep_runs(region, approved, people):
    alert = _sent(region, approved)
    sms = _sms(alert)
    with pytest.raises(DomainError) as info:
        do_acknowledge(sms.token, now=alert.expires + timezone.timedelta(minutes=1))
    assert info.value.code == "alert_ended"
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.SENT
    sms.refresh_from_db()
    assert sms.acknowledged_at is None


def test_a_confirmation_made_while_the_alert_was_live_stays_shown(client, region, approved, people):
    alert = _sent(region, approved)
    sms = _sms(alert)
    do_acknowledge(sms.token)
    do_expire_alerts(now=alert.expires)
    text = client.get(f"/emergency/ack/{sms.token}/").content.decode()
    assert 'id="ack-done"' in text and 'id="ack-ended"' in text and BUTTON not in text


def test_staff_cannot_acknowledge_an_ended_alert_on_its_page(client, login, region, approved, people):
    alert = _expired(region, approved)
    user = login("grid_worker_a")
    page = client.get(f"/emergency/alerts/{alert.pk}/").content.decode()
    own = page.split('id="own-ack"')[1].split("</section>")[0]
    assert f"此预警已于{_when(alert.expires)}结束" in own and "<form" not in own and BUTTON not in own

    refused = client.post(f"/emergency/alerts/{alert.pk}/ack/", follow=True)
    assert refused.redirect_chain[-1][1] == 302
    assert "无需确认收到" in refused.content.decode()
    with pytest.raises(DomainError) as info:
        do_acknowledge_as_user(alert, actor=user)
    assert info.value.code == "alert_ended" and info.value.status == 409
    assert Acknowledgement.objects.get(alert=alert, user=user).acknowledged_at is None


def test_staff_form_of_a_cancelled_alert_says_it_was_withdrawn(client, login, region, approved, people):
    alert = _cancelled(region, approved)
    login("grid_worker_a")
    page = client.get(f"/emergency/alerts/{alert.pk}/").content.decode()
    own = page.split('id="own-ack"')[1].split("</section>")[0]
    assert "撤销" in own and "<form" not in own


def test_staff_acknowledge_a_live_alert_on_its_page(client, login, region, approved, people):
    alert = _sent(region, approved)
    user = login("grid_worker_a")
    own = client.get(f"/emergency/alerts/{alert.pk}/").content.decode().split('id="own-ack"')[1]
    assert BUTTON in own.split("</section>")[0] and 'id="own-ack-ended"' not in own
    assert client.post(f"/emergency/alerts/{alert.pk}/ack/").status_code == 302
    assert Acknowledgement.objects.get(alert=alert, user=user).acknowledged_at is not None


def test_the_inbox_says_under_an_old_alert_message_that_there_is_nothing_to_confirm(
    client, login, region, approved, people
):
    from zhili.emergency.delivery import deliver_alert

    live, ended = _sent(region, approved), _sent(region, approved)
    deliver_alert(live.pk)
    deliver_alert(ended.pk)
    ended = do_transition_alert(ended, T.CANCEL, actor=region.user("supervisor"), note="解除")
    login("grid_worker_a")
    page = client.get("/notifications/").content.decode()
    assert page.count('id="message-') == 2
    notes = page.split('class="message-note"')
    assert len(notes) == 2, page  # only the withdrawn alert's message has one
    assert f"此预警已于{_when(ended.cancelled_at)}撤销" in notes[1] and "无需确认" in notes[1]
    do_transition_alert(live, T.CANCEL, actor=region.user("supervisor"), note="解除")
    assert client.get("/notifications/").content.decode().count('class="message-note"') == 2
