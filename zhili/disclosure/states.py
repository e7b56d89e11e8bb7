"""The life of a publication (公开事项): one transition table, walked only by
``actions.do_transition_publication``.

    draft ──publish──▶ published ──correct──▶ corrected   (a new version replaces it)
                           │
                           └──withdraw──▶ withdrawn          (title and reason stay visible)

A published publication is never edited in place: what the public saw stays on record.
"""

from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import pgettext_lazy


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("disclosure", "Draft")
    PUBLISHED = "published", pgettext_lazy("disclosure", "Published")
    CORRECTED = "corrected", pgettext_lazy("disclosure", "Corrected")
    WITHDRAWN = "withdrawn", pgettext_lazy("disclosure", "Withdrawn")


class PublicationTransition(enum.StrEnum):
    PUBLISH = "publish"
    CORRECT = "correct"
    WITHDRAW = "withdraw"


S = PublicationStatus
T = PublicationTransition

TRANSITIONS: dict[PublicationTransition, tuple[frozenset[str], str]] = {
    T.PUBLISH: (frozenset({S.DRAFT}), S.PUBLISHED),
    T.CORRECT: (frozenset({S.PUBLISHED}), S.CORRECTED),
    T.WITHDRAW: (frozenset({S.PUBLISHED}), S.WITHDRAWN),
}

# Statuses the public (or the residents of the audience) may read: once out, it stays on record.
OUT_STATUSES = frozenset({S.PUBLISHED, S.CORRECTED, S.WITHDRAWN})
# Statuses listed on the board (a corrected version is reached from the version that replaced it).
BOARD_STATUSES = frozenset({S.PUBLISHED, S.WITHDRAWN})
# Statuses in which the text may still be changed.
EDITABLE_STATUSES = frozenset({S.DRAFT})
# Transitions that need a reason.
REASON_REQUIRED = frozenset({T.CORRECT, T.WITHDRAW})


def allowed(transition: PublicationTransition, status: str) -> bool:
    sources, _target = TRANSITIONS[transition]
    return status in sources


def target_of(transition: PublicationTransition) -> str:
    return TRANSITIONS[transition][1]


TRANSITION_LABELS = {
    T.PUBLISH: pgettext_lazy("disclosure", "Publish"),
    T.CORRECT: pgettext_lazy("disclosure", "Correct"),
    T.WITHDRAW: pgettext_lazy("disclosure", "Withdraw"),
}
