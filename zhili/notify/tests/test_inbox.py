"""The in-app inbox: each user reads, opens and marks only their own in-app messages."""

from __future__ import annotations

import pytest

from zhili.notify.actions import do_enqueue_notification
from zhili.notify.models import Notification

pytestmark = pytest.mark.django_db


def _note(user, subject="新工单待签收：ABC123", url="/cases/field/", channel="in_app"):
    if channel != "in_app":
        return do_enqueue_notification(channel=channel, address="13812345678", subject=subject, body="b")
    return do_enqueue_notification(channel="in_app", recipient=user, subject=subject, body="请签收", url=url)


def test_the_inbox_lists_only_my_in_app_messages(client, login, region):
    worker = login("grid_worker_a")
    mine = _note(worker, subject="我的消息一")
    _note(region.user("dispatcher"), subject="别人的消息")
    _note(None, subject="短信消息", channel="sms")
    page = client.get("/notifications/").content.decode()
    assert "我的消息一" in page and "别人的消息" not in page and "短信消息" not in page
    assert f'id="message-{mine.pk}"' in page and "1 条未读" in page
    assert client.get("/cases/field/").content.decode().count('class="unread-count">1<') == 1


def test_opening_a_message_marks_it_read_and_goes_where_it_points(client, login, region):
    worker = login("grid_worker_a")
    note = _note(worker)
    response = client.post(f"/notifications/{note.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/cases/field/"
    note.refresh_from_db()
    assert note.read_at is not None
    # Mark read without opening: back to the inbox. Another site's address is never followed.
    outside = _note(worker, url="https://evil.example/")
    response = client.post(f"/notifications/{outside.pk}/read/", {"open": "1"})
    assert response["Location"] == "/notifications/"


def test_nobody_reads_another_users_message(client, login, region):
    other = _note(region.user("dispatcher"))
    login("grid_worker_a")
    assert client.post(f"/notifications/{other.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{other.pk}/read/").status_code == 405
    other.refresh_from_db()
    assert other.read_at is None


def test_mark_all_read_and_the_unread_filter(client, login, region):
    dispatcher = login("dispatcher")
    first, second = _note(dispatcher, subject="第一条"), _note(dispatcher, subject="第二条")
    client.post(f"/notifications/{first.pk}/read/")
    page = client.get("/notifications/?show=unread").content.decode()
    assert "第二条" in page and "第一条" not in page
    other = _note(region.user("grid_worker_a"))
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=dispatcher, read_at=None).exists()
    assert Notification.objects.get(pk=other.pk).read_at is None
    assert "全部标为已读" not in client.get("/notifications/").content.decode()
    second.refresh_from_db()
    assert second.read_at is not None


def test_the_inbox_needs_a_login(client, region):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_inbox_is_newest_first_by_time_not_by_filing_order(client, login, region):
    from datetime import timedelta

    from django.utils import timezone

    worker = login("grid_worker_a")
    _note(worker, subject="十一月的消息")
    late_filed = _note(worker, subject="九月的预警")  # filed after, dated two months before
    Notification.objects.filter(pk=late_filed.pk).update(created_at=timezone.now() - timedelta(days=60))
    page = client.get("/notifications/").content.decode()
    assert page.index("十一月的消息") < page.index("九月的预警")
