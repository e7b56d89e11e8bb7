"""Delivery wording: residents get the alert's public words, staff a working message; links only by SMS."""

from __future__ import annotations

import pytest

from zhili.emergency.actions import do_mobilise, do_transition_alert
from zhili.emergency.delivery import deliver_alert
from zhili.emergency.models import Acknowledgement
from zhili.emergency.states import AlertTransition
from zhili.notify.models import Notification

pytestmark = pytest.mark.django_db
T = AlertTransition
SITE = "https://zhili.example.gov.cn"
INSTRUCTION = "请勿外出，低洼地带居民注意转移。"


@pytest.fixture
def sent(region, approved, people, settings):
    """An alert over grid A, mobilised for the tagged households, sent and fanned out."""
    settings.ZHILI_PUBLIC_URL = SITE
    alert = approved(grids=[region.grid_a], instruction=INSTRUCTION)
    do_mobilise(alert, actor=region.user("dispatcher"), tag_codes=["elderly_alone", "disabled"])
    alert = do_transition_alert(alert, T.SEND, actor=region.user("dispatcher"))
    deliver_alert(alert.pk)
    return alert


def _inbox(alert, user) -> Notification:
    return Notification.objects.get(topic=f"emergency.alert:{alert.pk}", recipient=user, channel="in_app")


def test_a_resident_and_a_grid_worker_of_the_area_each_get_their_own_wording(region, sent):
    resident = _inbox(sent, region.user("resident"))
    token = Acknowledgement.objects.get(alert=sent, user=region.user("resident")).token
    assert INSTRUCTION in resident.body
    # In the inbox the message's own button confirms: no link to read in the text.
    assert resident.url == f"/emergency/ack/{token}/" and "/emergency/" not in resident.body
    assert "点击下方“查看”" in resident.body and "核查" not in resident.body

    worker = _inbox(sent, region.user("grid_worker_a"))
    assert worker.subject == "应急工作通知：【严重】暴雨红色预警"
    assert "暴雨" in worker.body and "严重" in worker.body  # what the alert is
    assert "Grid A" in worker.body  # where
    assert "核查辖区" in worker.body and "“排查任务”" in worker.body  # what to do, and where
    assert "/emergency/" not in worker.body
    # The public instruction and the token link are the residents'.
    assert INSTRUCTION not in worker.body and "/emergency/ack/" not in worker.body

    # Registered residents reached by SMS read the resident wording too, with their own link.
    texts = Notification.objects.filter(topic=f"emergency.alert:{sent.pk}", channel="sms")
    assert texts and all(INSTRUCTION in t.body and "核查" not in t.body for t in texts)
    assert all(f"{SITE}/emergency/ack/" in t.body and "查看" not in t.body for t in texts)


def test_staff_who_do_not_check_households_are_not_sent_to_do_so(region, sent):
    dispatcher = _inbox(sent, region.user("dispatcher"))
    assert dispatcher.subject.startswith("应急工作通知")
    assert "跟进应急处置" in dispatcher.body
    assert "核查辖区" not in dispatcher.body and "/emergency/tasks/" not in dispatcher.body
    community = _inbox(sent, region.user("community_staff"))  # checks households of community 1
    assert "核查辖区" in community.body


def test_the_staff_message_links_to_the_alert_page_where_they_confirm(client, login, region, sent):
    page = f"/emergency/alerts/{sent.pk}/"
    staff = Notification.objects.filter(
        topic=f"emergency.alert:{sent.pk}",
        recipient__in=Acknowledgement.objects.filter(alert=sent, audience="staff").values("user"),
    ).select_related("recipient")
    assert staff.count() == 7
    for message in staff:
        assert message.url == page and "/emergency/" not in message.body, message.recipient.username
        assert "点击下方“查看”" in message.body
        # The link opens for its reader, and the page offers the confirmation.
        client.force_login(message.recipient)
        response = client.get(message.url)
        assert response.status_code == 200 and 'id="own-ack"' in response.content.decode()
    login("grid_worker_a")
    assert client.get("/emergency/tasks/").status_code == 200
    assert client.post(f"{page}ack/").status_code == 302
    assert Acknowledgement.objects.get(alert=sent, user=region.user("grid_worker_a")).acknowledged_at


def test_no_message_carries_personal_data(region, sent):
    messages = list(Notification.objects.filter(topic=f"emergency.alert:{sent.pk}"))
    assert len(messages) == Acknowledgement.objects.filter(alert=sent).count()
    tokens = list(Acknowledgement.objects.filter(alert=sent).values_list("token", flat=True))
    # Names, numbers and addresses of the area's residents, the tags that made households targets,
    # and who the recipients are.
    forbidden = ["王秀兰", "李建国", "赵明", "13900000001", "13900000002", "测试路", "独居", "残疾"]
    forbidden += [user.username for user in region.users.values()]
    for message in messages:
        text = message.subject + "\n" + message.body
        for word in forbidden:
            assert word not in text, (word, message.pk)
        # An SMS carries its resident's own acknowledgement link only; the inbox messages carry none.
        carried = [t for t in tokens if t in text]
        assert len(carried) == (1 if message.channel == "sms" else 0), message.pk
