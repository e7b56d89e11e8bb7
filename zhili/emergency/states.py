"""The life of an alert: one transition table, walked only by ``actions.do_transition_alert``.

    draft ──submit──▶ pending ──approve──▶ approved ──send──▶ sent ──expire──▶ expired
      ▲                  │
      └─────reject───────┘            (cancel from draft, pending, approved or sent)

Approval is four-eyes: the approver is never the person who drafted the alert (actions enforce it).
"""

from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AlertStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class AlertTransition(enum.StrEnum):
    SUBMIT = "submit"
    REJECT = "reject"
    APPROVE = "approve"
    SEND = "send"
    CANCEL = "cancel"
    EXPIRE = "expire"


S = AlertStatus
T = AlertTransition

TRANSITIONS: dict[AlertTransition, tuple[frozenset[str], str]] = {
    T.SUBMIT: (frozenset({S.DRAFT}), S.PENDING),
    T.REJECT: (frozenset({S.PENDING}), S.DRAFT),
    T.APPROVE: (frozenset({S.PENDING}), S.APPROVED),
    T.SEND: (frozenset({S.APPROVED}), S.SENT),
    T.CANCEL: (frozenset({S.DRAFT, S.PENDING, S.APPROVED, S.SENT}), S.CANCELLED),
    T.EXPIRE: (frozenset({S.SENT}), S.EXPIRED),
}

# Alerts whose message is out (or about to be): residents and staff may be acting on them.
LIVE_STATUSES = frozenset({S.SENT})
# Alerts that are over: their message is history, and nobody is asked to confirm it any more.
ENDED_STATUSES = frozenset({S.EXPIRED, S.CANCELLED})
# Statuses in which the alert text may still be changed.
EDITABLE_STATUSES = frozenset({S.DRAFT})


def allowed(transition: AlertTransition, status: str) -> bool:
    sources, _target = TRANSITIONS[transition]
    return status in sources


def target_of(transition: AlertTransition) -> str:
    return TRANSITIONS[transition][1]


TRANSITION_LABELS = {
    T.SUBMIT: _("Submit for approval"),
    T.REJECT: _("Send back to the drafter"),
    T.APPROVE: _("Approve"),
    T.SEND: pgettext_lazy("alert", "Send"),
    T.CANCEL: _("Cancel the alert"),
    T.EXPIRE: _("Expire"),
}

EVENT_LABELS = {
    **{t.value: label for t, label in TRANSITION_LABELS.items()},
    "draft": _("Drafted"),
    "edit": _("Changed"),
    "mobilise": _("Check tasks generated"),
}


class CheckOutcome(models.TextChoices):
    SAFE = "safe", _("Safe")
    NEEDS_HELP = "needs_help", _("Needs help")
    UNREACHABLE = "unreachable", _("Cannot be reached")
