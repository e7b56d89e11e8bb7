"""Statuses of party members and activities, and the one transition table of each.

Members::

    active (在册) ──move_out──▶ moved_out (转出)

    A transfer between organisations (组织关系转接) keeps the member active; it is history, not a
    status change.

Activities::

    planned ──hold──▶ held        (attendance and volunteer hours are recorded on held activities)
       └────cancel──▶ cancelled
"""

from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MemberStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("party member", "On the register")
    MOVED_OUT = "moved_out", pgettext_lazy("party member", "Moved out")


class MemberTransition(enum.StrEnum):
    MOVE_OUT = "move_out"


MEMBER_TRANSITIONS: dict[MemberTransition, tuple[frozenset[str], str]] = {
    MemberTransition.MOVE_OUT: (frozenset({MemberStatus.ACTIVE}), MemberStatus.MOVED_OUT),
}


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("activity", "Planned")
    HELD = "held", pgettext_lazy("activity", "Held")
    CANCELLED = "cancelled", pgettext_lazy("activity", "Cancelled")


class ActivityTransition(enum.StrEnum):
    HOLD = "hold"
    CANCEL = "cancel"


ACTIVITY_TRANSITIONS: dict[ActivityTransition, tuple[frozenset[str], str]] = {
    ActivityTransition.HOLD: (frozenset({ActivityStatus.PLANNED}), ActivityStatus.HELD),
    ActivityTransition.CANCEL: (frozenset({ActivityStatus.PLANNED}), ActivityStatus.CANCELLED),
}

ACTIVITY_TRANSITION_LABELS = {
    ActivityTransition.HOLD: _("Mark as held"),
    ActivityTransition.CANCEL: _("Cancel the activity"),
}

# Attendance and volunteer hours are recorded only on activities that took place.
ATTENDANCE_STATUSES = frozenset({ActivityStatus.HELD})


def member_allowed(transition: MemberTransition, status: str) -> bool:
    return status in MEMBER_TRANSITIONS[transition][0]


def activity_allowed(transition: ActivityTransition, status: str) -> bool:
    return status in ACTIVITY_TRANSITIONS[transition][0]
