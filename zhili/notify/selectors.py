"""Reads of the in-app inbox: a user's own in-app messages, newest first."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhili.notify.models import Notification, NotifyChannel

INBOX_SIZE = 100


def inbox_q(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk, channel=NotifyChannel.IN_APP)


def inbox(user: Any, *, unread_only: bool = False) -> list[Notification]:
    messages = inbox_q(user)
    if unread_only:
        messages = messages.filter(read_at=None)
    # Newest first by when they were written (a message may be filed with an earlier time).
    return list(messages.order_by("-created_at", "-id")[:INBOX_SIZE])


def unread_count(user: Any) -> int:
    return inbox_q(user).filter(read_at=None).count()


def own_message(user: Any, pk: int) -> Notification | None:
    return inbox_q(user).filter(pk=pk).first()
