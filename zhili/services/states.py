"""The life of an outreach task (主动服务任务): one table, walked only by ``actions.transition_task``.

open ──record──▶ done          (a grid worker recorded what happened)
  └───withdraw──▶ withdrawn    (the generator found the person no longer needs the service:
                                moved out, no longer tagged, the service switched off)
"""

from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("outreach", "Open")
    DONE = "done", pgettext_lazy("outreach", "Done")
    WITHDRAWN = "withdrawn", _("No longer needed")


class TaskTransition(enum.StrEnum):
    RECORD = "record"
    WITHDRAW = "withdraw"


S = TaskStatus
T = TaskTransition

TRANSITIONS: dict[TaskTransition, tuple[frozenset[str], str]] = {
    T.RECORD: (frozenset({S.OPEN}), S.DONE),
    T.WITHDRAW: (frozenset({S.OPEN}), S.WITHDRAWN),
}


def allowed(transition: TaskTransition, status: str) -> bool:
    sources, _target = TRANSITIONS[transition]
    return status in sources


def target_of(transition: TaskTransition) -> str:
    return TRANSITIONS[transition][1]


class Outcome(models.TextChoices):
    INFORMED = "informed", _("Reached and informed")
    APPLIED = "applied", _("Applied on their behalf")
    NOT_NEEDED = "not_needed", _("Not needed")
    UNREACHABLE = "unreachable", _("Could not reach")


# Outcomes after which the person counts as reached: no new task until the service's interval has
# passed. After "could not reach" the next generation run asks again.
REACHED_OUTCOMES = frozenset({Outcome.INFORMED, Outcome.APPLIED, Outcome.NOT_NEEDED})
