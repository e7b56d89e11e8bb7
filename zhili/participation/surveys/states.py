"""Survey statuses and the one table of allowed transitions.

    draft ─publish→ open ─close→ closed

Questions change only in ``draft``. An open survey takes answers between ``opens_at`` and
``closes_at``; closing is an explicit step (an official's, or ``close_due_surveys`` once the
closing time has passed). Every status change goes through ``actions._transition``, which refuses
an edge missing from ``TRANSITIONS``; ``tests/test_states.py`` holds the table against the actions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("survey status", "Draft")  # questions and audience are being written
    OPEN = (
        "open",
        pgettext_lazy("survey status", "Open"),
    )  # residents of the audience answer (within the time window)
    CLOSED = "closed", pgettext_lazy("survey status", "Closed")  # no more answers; results stay


class Transition(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    CLOSE = "close", _("Close")


TRANSITIONS: dict[str, tuple[str, str]] = {
    Transition.PUBLISH: (SurveyStatus.DRAFT, SurveyStatus.OPEN),
    Transition.CLOSE: (SurveyStatus.OPEN, SurveyStatus.CLOSED),
}

EDITABLE = frozenset({SurveyStatus.DRAFT})
# Results exist (live while open, final once closed).
HAS_RESULTS = frozenset({SurveyStatus.OPEN, SurveyStatus.CLOSED})
