"""The outbox: every message is a row first, sent later by the worker with retries.

Writing the row inside the action's transaction means a message exists exactly when the change it
announces was committed; the sender claims rows with a conditional UPDATE so that several workers
never send one message twice. In-app messages are their own inbox: a row with channel ``in_app``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class NotifyChannel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom group robot")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("Recipient"),
    )
    # An e-mail address, a mobile number or a webhook URL: personal data (or a secret), so encrypted.
    address_enc = models.TextField(blank=True)
    channel = models.CharField(_("Channel"), max_length=16, choices=NotifyChannel.choices)
    subject = models.CharField(_("Subject"), max_length=200)
    body = models.TextField(_("Message"))
    # What the message is about ("cases.case:12"), for the inbox link; never personal data.
    topic = models.CharField(max_length=64, blank=True)
    url = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        _("Status"), max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("Attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("Next attempt"))
    # A worker that claimed the row and died leaves it SENDING; after this moment another may retry.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("Sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("Read at"), null=True, blank=True)
    last_error = models.CharField(_("Last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Notification")
        verbose_name_plural = _("Notification")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notify_due",
            ),
            models.Index(fields=["recipient", "read_at"], condition=Q(channel="in_app"), name="notify_inbox"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} {self.status}"
