"""Election statuses and the one table of allowed transitions.

    draft ─publish_roll→ roll_published ─freeze_roll→ roll_frozen ─open_voting→ voting
          ─close_voting→ closed ─publish_results→ published

A run-off (另行选举) is an election of its own that starts at ``roll_frozen`` with the first
round's frozen roll copied in (``start_runoff``). Every status change goes through
``actions._transition``, which refuses an edge missing from ``TRANSITIONS``;
``tests/elections/test_states.py`` holds the table against the actions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ElectionStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("preparation", "Draft")  # 筹备: posts and settings
    ROLL_PUBLISHED = "roll_published", _("Roll published")  # 选民名单公布, objections open
    ROLL_FROZEN = "roll_frozen", _("Roll frozen")  # 名单确定: candidates, then voting
    VOTING = "voting", _("Voting")  # 投票中
    CLOSED = "closed", _("Voting closed")  # 投票结束: paper booths are counted
    PUBLISHED = "published", _("Results published")  # 结果公布: board signed and public


class Transition(models.TextChoices):
    PUBLISH_ROLL = "publish_roll", _("Publish the voter roll")
    FREEZE_ROLL = "freeze_roll", _("Freeze the voter roll")
    OPEN_VOTING = "open_voting", _("Open voting")
    CLOSE_VOTING = "close_voting", _("Close voting")
    PUBLISH_RESULTS = "publish_results", _("Publish the results")


TRANSITIONS: dict[str, tuple[str, str]] = {
    Transition.PUBLISH_ROLL: (ElectionStatus.DRAFT, ElectionStatus.ROLL_PUBLISHED),
    Transition.FREEZE_ROLL: (ElectionStatus.ROLL_PUBLISHED, ElectionStatus.ROLL_FROZEN),
    Transition.OPEN_VOTING: (ElectionStatus.ROLL_FROZEN, ElectionStatus.VOTING),
    Transition.CLOSE_VOTING: (ElectionStatus.VOTING, ElectionStatus.CLOSED),
    Transition.PUBLISH_RESULTS: (ElectionStatus.CLOSED, ElectionStatus.PUBLISHED),
}

# The roll may change (objection decisions) only while it is published and not yet frozen.
ROLL_EDITABLE = frozenset({ElectionStatus.DRAFT, ElectionStatus.ROLL_PUBLISHED})
# Candidates may be nominated once the roll exists and until their list is published.
NOMINATION_OPEN = frozenset({ElectionStatus.ROLL_PUBLISHED, ElectionStatus.ROLL_FROZEN})
# Residents see the election from the roll's publication on.
VISIBLE_TO_VOTERS = frozenset(
    {
        ElectionStatus.ROLL_PUBLISHED,
        ElectionStatus.ROLL_FROZEN,
        ElectionStatus.VOTING,
        ElectionStatus.CLOSED,
        ElectionStatus.PUBLISHED,
    }
)
# The roll is posted for everyone in the community from its publication until voting closes.
ROLL_POSTED = frozenset({ElectionStatus.ROLL_PUBLISHED, ElectionStatus.ROLL_FROZEN, ElectionStatus.VOTING})
