"""Writing to the outbox and sending from it.

``do_enqueue_notification`` writes a row in the caller's transaction and, once that commits,
starts the sender task (unless one this process started is still waiting to run: it will see the
row). Inside ``batch()`` the rows are written together, with one INSERT, when the block ends.
``send_due_notifications`` (run by the task, or ``zhili manage notify send``) claims due rows one
by one with a conditional UPDATE, so two workers never send a message twice, and retries failures
with exponential backoff.

Queueing a message is not audited: it is the side effect of an action that already was.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhili.core import crypto, prepared
from zhili.core.errors import DomainError
from zhili.core.rows import insert_new
from zhili.notify.channels import ADAPTERS, ChannelError
from zhili.notify.models import Notification, NotificationStatus, NotifyChannel

logger = logging.getLogger(__name__)

# After this long a claimed row counts as abandoned (its worker died) and may be claimed again.
LEASE = timedelta(minutes=5)
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600


def max_attempts() -> int:
    return int(getattr(settings, "ZHILI_NOTIFY_MAX_ATTEMPTS", 6))


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failure, at most an hour."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


# The rows of the ``batch()`` under way in this thread (None: write each row at once).
_batch: ContextVar[list[Notification] | None] = ContextVar("zhili_notify_batch", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """Write the messages queued inside the block with one INSERT when it ends (and kick once).

    Rows queued inside have no primary key until the block ends; an exception inside writes none.
    """
    if _batch.get() is not None:  # nested: the outer block writes them
        yield
        return
    rows: list[Notification] = []
    reset = _batch.set(rows)
    try:
        yield
    finally:
        _batch.reset(reset)
    if rows:
        insert_new(rows)  # one plain INSERT: intake queues two or three messages per case
        _kick_sender_on_commit()


def do_enqueue_notification(
    *,
    channel: str,
    subject: str,
    body: str,
    recipient: Any = None,
    recipient_id: int | None = None,
    address: str = "",
    topic: str = "",
    url: str = "",
) -> Notification:
    """``recipient`` (a user) or ``recipient_id`` (its id, when only the id is at hand)."""
    if channel not in NotifyChannel.values:
        raise DomainError("unknown_channel", f"unknown channel {channel!r}")
    if channel == NotifyChannel.IN_APP and recipient is None and recipient_id is None:
        raise DomainError("recipient_required", "an in-app message needs a recipient user")
    if channel == NotifyChannel.EMAIL and not address and recipient is not None:
        address = getattr(recipient, "email", "") or ""
    if channel in (NotifyChannel.EMAIL, NotifyChannel.SMS) and not address:
        raise DomainError("address_required", "an e-mail or SMS needs an address")
    notification = Notification(
        recipient=recipient,
        recipient_id=recipient_id if recipient is None else recipient.pk,
        address_enc=crypto.encrypt(address) if address else "",
        channel=channel,
        subject=str(subject)[:200],
        body=str(body),
        topic=topic[:64],
        url=url[:200],
        next_attempt_at=timezone.now(),
    )
    rows = _batch.get()
    if rows is not None:
        rows.append(notification)
        return notification
    notification.save(force_insert=True)  # one statement: no transaction of its own needed
    _kick_sender_on_commit()
    return notification


def do_email_staff(users: Iterable[Any], *, subject: str, url: str = "", topic: str = "") -> int:
    """An e-mail copy of a staff alert (an escalation) for each of ``users`` (users or their ids)
    that is active, holds an active staff post and has an e-mail address; returns how many.

    Callers opt in per message: the in-app message stays the record, the e-mail only points at it.
    Its body is the subject and a link, never the case's title or text (residents write names and
    addresses into those, and mail leaves our servers).
    """
    from zhili.accounts.models import User
    from zhili.accounts.roles import Role

    ids = {user if isinstance(user, int) else getattr(user, "pk", None) for user in users}
    ids.discard(None)
    if not ids:
        return 0
    staff_roles = [role for role in Role if role != Role.RESIDENT]
    recipients = list(
        User.objects.filter(
            pk__in=ids, is_active=True, memberships__active=True, memberships__role__in=staff_roles
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        if url:
            base = str(getattr(settings, "ZHILI_PUBLIC_URL", "") or "").rstrip("/")
            footer = _("Open it in zhili: %(link)s") % {"link": base + url}
        else:
            footer = _("Sign in to zhili to see it.")
        body = f"{subject}\n\n{footer}"
    for user in recipients:
        do_enqueue_notification(
            channel=NotifyChannel.EMAIL,
            recipient=user,
            address=user.email,
            subject=subject,
            body=body,
            topic=topic,
            url=url,
        )
    return len(recipients)


# The sender this process enqueued last; while it waits to start, it will also send rows committed
# after it was enqueued, so a busy process does not queue one sender run per message.
_kick_lock = threading.RLock()
_last_kick: Any = None


def _sender_waiting(result: Any) -> bool:
    from django_tasks.base import TaskResultStatus

    try:
        from django_tasks_db.backend import DatabaseBackend

        if isinstance(result.task.get_backend(), DatabaseBackend):
            # The status alone, in one small read (``refresh`` loads and decodes the whole row).
            from django_tasks_db.models import DBTaskResult

            meta = DBTaskResult._meta
            pk = meta.get_field("id").get_db_prep_value(result.id, connection)  # type: ignore[union-attr]
            with prepared.cursor() as cursor:
                cursor.execute(
                    f"SELECT status FROM {connection.ops.quote_name(meta.db_table)} WHERE id = %s", [pk]
                )
                row = cursor.fetchone()
            return row is not None and row[0] == TaskResultStatus.READY
        result.refresh()
    except Exception:  # the result is gone or the backend cannot say: queue another
        return False
    return bool(result.status == TaskResultStatus.READY)


def _kick_sender() -> None:
    """Runs after the commit of the rows, so a sender that has not started yet is sure to see them."""
    global _last_kick
    from zhili.notify.tasks import send_notifications

    with _kick_lock:
        last = _last_kick
        if last is not None and _sender_waiting(last):
            return
        try:
            _last_kick = send_notifications.enqueue()
        except Exception:  # the rows are safe in the outbox; the next run or the periodic sweep sends them
            _last_kick = None
            logger.exception("could not enqueue the notification sender")


def _kick_sender_on_commit() -> None:
    # One kick per transaction however many messages it queued.
    pending = getattr(connection, "run_on_commit", [])
    if any(entry[1] is _kick_sender for entry in pending):
        return
    transaction.on_commit(_kick_sender)


def do_mark_read(notification: Notification, *, actor: Any) -> Notification:
    if notification.recipient_id != getattr(actor, "pk", None):
        from zhili.core.errors import NotFound

        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def do_mark_all_read(*, actor: Any) -> int:
    """Every unread in-app message of the actor; returns how many."""
    return Notification.objects.filter(
        recipient_id=getattr(actor, "pk", None), channel=NotifyChannel.IN_APP, read_at=None
    ).update(read_at=timezone.now())


def _claim(pk: int, now: datetime) -> bool:
    due = Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=NotificationStatus.SENDING, claimed_until__lt=now
    )
    claimed = Notification.objects.filter(due, pk=pk).update(
        status=NotificationStatus.SENDING,
        claimed_until=now + LEASE,
        attempts=F("attempts") + 1,
    )
    return claimed == 1


def send_one(notification: Notification, *, now: datetime | None = None) -> bool:
    """Deliver a claimed row; True when sent. Failures are recorded for a later retry."""
    now = now or timezone.now()
    try:
        address = crypto.decrypt(notification.address_enc) if notification.address_enc else ""
        ADAPTERS[notification.channel](address, notification.subject, notification.body)
    except (ChannelError, crypto.CryptoError) as exc:
        error = str(exc)[:300]
        final = notification.attempts >= max_attempts()
        Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
            status=NotificationStatus.FAILED if final else NotificationStatus.PENDING,
            next_attempt_at=now + backoff(notification.attempts),
            claimed_until=None,
            last_error=error,
        )
        logger.warning(
            "notification %s (%s) attempt %s failed: %s",
            notification.pk,
            notification.channel,
            notification.attempts,
            error,
        )
        return False
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
        status=NotificationStatus.SENT, sent_at=now, claimed_until=None, last_error=""
    )
    return True


def send_due_notifications(*, limit: int = 200, now: datetime | None = None) -> dict[str, int]:
    """Claim and send due messages. Safe to run in several workers at once."""
    now = now or timezone.now()
    due = Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=NotificationStatus.SENDING, claimed_until__lt=now
    )
    ids = list(
        Notification.objects.filter(due)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for pk in ids:
        if not _claim(pk, now):
            counts["skipped"] += 1  # another worker has it
            continue
        notification = Notification.objects.get(pk=pk)
        counts["sent" if send_one(notification, now=now) else "failed"] += 1
    return counts


def next_retry_at() -> datetime | None:
    return (
        Notification.objects.filter(status=NotificationStatus.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
