"""The outbox and its channel adapters, against a local HTTP stub standing in for the gateways."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from zhili.core import crypto
from zhili.notify import actions
from zhili.notify.actions import do_enqueue_notification, send_due_notifications
from zhili.notify.models import Notification

pytestmark = pytest.mark.django_db


class Stub:
    """An HTTP server on 127.0.0.1 that records POSTs and answers with a scripted status and body."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, bytes]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                stub.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                status, body = stub.answers.pop(0) if stub.answers else (200, b'{"errcode": 0, "ok": true}')
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    server = Stub()
    yield server
    server.close()


def test_in_app_messages_are_their_own_inbox(region):
    user = region.user("handler")
    note = do_enqueue_notification(channel="in_app", recipient=user, subject="新工单", body="请签收")
    assert send_due_notifications() == {"sent": 1, "failed": 0, "skipped": 0}
    note.refresh_from_db()
    assert note.status == "sent" and note.attempts == 1 and note.sent_at is not None
    assert actions.do_mark_read(note, actor=user).read_at is not None


def test_addresses_are_stored_encrypted(region):
    note = do_enqueue_notification(channel="sms", address="13812345678", subject="s", body="b")
    assert "13812345678" not in note.address_enc
    assert crypto.decrypt(note.address_enc) == "13812345678"


def test_sms_goes_to_the_gateway_as_json(stub):
    with override_settings(ZHILI_SMS_GATEWAY_URL=stub.url + "/sms", ZHILI_SMS_GATEWAY_TOKEN="tok"):
        do_enqueue_notification(channel="sms", address="13812345678", subject="s", body="您的诉求已办结")
        assert send_due_notifications()["sent"] == 1
    request = stub.requests[0]
    assert request["path"] == "/sms"
    assert request["body"] == {"to": "13812345678", "content": "您的诉求已办结"}
    assert request["headers"]["Authorization"] == "Bearer tok"


def test_wecom_robot_gets_a_text_message(stub):
    with override_settings(ZHILI_WECOM_WEBHOOK_URL=stub.url + "/cgi-bin/webhook/send?key=abc"):
        do_enqueue_notification(channel="wecom", subject="超期督办", body="编号 ABC")
        assert send_due_notifications()["sent"] == 1
    assert stub.requests[0]["body"] == {"msgtype": "text", "text": {"content": "超期督办\n编号 ABC"}}


def test_failures_are_retried_with_backoff_then_given_up(stub):
    stub.answers = [(500, b"{}"), (200, b'{"errcode": 93000, "errmsg": "invalid webhook url"}')]
    with override_settings(ZHILI_WECOM_WEBHOOK_URL=stub.url, ZHILI_NOTIFY_MAX_ATTEMPTS=3):
        note = do_enqueue_notification(channel="wecom", subject="s", body="b")
        assert send_due_notifications()["failed"] == 1
        note.refresh_from_db()
        assert note.status == "pending" and note.attempts == 1 and "HTTP 500" in note.last_error
        first_retry = note.next_attempt_at
        assert first_retry > timezone.now() + timedelta(seconds=50)
        assert send_due_notifications() == {"sent": 0, "failed": 0, "skipped": 0}  # not due yet
        assert send_due_notifications(now=first_retry)["failed"] == 1
        note.refresh_from_db()
        assert "errcode 93000" in note.last_error and note.next_attempt_at - first_retry >= timedelta(
            minutes=2
        )
        assert send_due_notifications(now=note.next_attempt_at)["sent"] == 1  # the third try works
    note.refresh_from_db()
    assert note.status == "sent" and note.attempts == 3 and len(stub.requests) == 3


def test_the_last_failure_marks_the_message_failed_without_leaking_the_number():
    with override_settings(
        ZHILI_SMS_GATEWAY_URL="http://127.0.0.1:9/unreachable", ZHILI_NOTIFY_MAX_ATTEMPTS=1
    ):
        note = do_enqueue_notification(channel="sms", address="13812345678", subject="s", body="b")
        send_due_notifications()
    note.refresh_from_db()
    assert (
        note.status == "failed" and "unreachable" in note.last_error and "13812345678" not in note.last_error
    )


def test_a_claimed_message_is_not_claimed_twice(region):
    note = do_enqueue_notification(channel="in_app", recipient=region.user("handler"), subject="s", body="b")
    now = timezone.now()
    assert actions._claim(note.pk, now) is True
    assert actions._claim(note.pk, now) is False
    # A worker that died keeps the claim only for the lease.
    assert actions._claim(note.pk, now + actions.LEASE + timedelta(seconds=1)) is True


def test_demo_mode_prints_with_the_recipient_masked(capsys):
    do_enqueue_notification(channel="sms", address="13812345678", subject="s", body="您的诉求已受理")
    send_due_notifications()
    out = capsys.readouterr().out
    assert "138****5678" in out and "13812345678" not in out and "您的诉求已受理" in out


def test_email_goes_through_django_mail(region):
    user = region.user("supervisor")
    user.email = "sup@example.org"
    user.save()
    do_enqueue_notification(channel="email", recipient=user, subject="超期", body="请督办")
    send_due_notifications()
    assert [(m.subject, m.to) for m in mail.outbox] == [("超期", ["sup@example.org"])]


def test_the_sender_runs_after_commit(region, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note = do_enqueue_notification(
            channel="in_app", recipient=region.user("handler"), subject="s", body="b"
        )
        do_enqueue_notification(channel="in_app", recipient=region.user("dispatcher"), subject="s", body="b")
    assert len(callbacks) == 1  # one kick however many messages
    note.refresh_from_db()
    assert note.status == "sent"


def test_the_command_sends_due_messages(region):
    do_enqueue_notification(channel="in_app", recipient=region.user("handler"), subject="s", body="b")
    out = StringIO()
    call_command("notify", "send", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"sent": 1, "failed": 0, "skipped": 0}
    assert Notification.objects.get().status == "sent"


def test_bad_requests_are_refused():
    from zhili.core.errors import DomainError

    with pytest.raises(DomainError):
        do_enqueue_notification(channel="pigeon", subject="s", body="b")
    with pytest.raises(DomainError):
        do_enqueue_notification(channel="in_app", subject="s", body="b")
    with pytest.raises(DomainError):
        do_enqueue_notification(channel="sms", subject="s", body="b")


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_a_sender_that_has_not_started_is_not_queued_again(monkeypatch):
    from django_tasks_db.models import DBTaskResult

    monkeypatch.setattr(actions, "_last_kick", None)
    actions._kick_sender()  # what runs after each commit that queued messages
    actions._kick_sender()  # the first sender waits: it will see these messages too
    assert DBTaskResult.objects.count() == 1
    DBTaskResult.objects.update(status="RUNNING")  # it started: it may have missed the next ones
    actions._kick_sender()
    assert DBTaskResult.objects.count() == 2


def test_messages_queued_in_a_batch_are_written_together_when_it_ends(region):
    with actions.batch():
        first = do_enqueue_notification(
            channel="in_app", recipient=region.user("handler"), subject="s", body="b"
        )
        do_enqueue_notification(channel="sms", address="13800001111", subject="s", body="b")
        assert first.pk is None and not Notification.objects.exists()
    assert Notification.objects.count() == 2 and first.pk is not None
    # Every column as the ORM would have written it.
    stored = Notification.objects.get(pk=first.pk)
    for field in Notification._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(first, field.attname), field.name
    assert stored.created_at is not None and stored.status == "pending" and stored.attempts == 0


def test_a_batch_that_fails_writes_nothing(region):
    with pytest.raises(RuntimeError), actions.batch():
        do_enqueue_notification(channel="in_app", recipient=region.user("handler"), subject="s", body="b")
        raise RuntimeError("the action failed")
    assert not Notification.objects.exists()
