"""Topic states and the one table of allowed transitions.

    draft ─open→ consulting ─close→ deliberating ─decide→ decided ─start→ in_progress ─complete→ completed
    draft | consulting | deliberating ─withdraw→ withdrawn

Every state change goes through ``actions.do_transition_topic``, which refuses an edge missing
from ``TRANSITIONS``; ``tests/test_states.py`` holds the table against the actions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TopicState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("preparation", "Draft")  # 筹备: staff prepare the topic and its documents
    CONSULTING = "consulting", _("Consulting")  # 征求意见: residents propose, comment, support
    DELIBERATING = "deliberating", _("Deliberating")  # 议事协商: the council meets
    DECIDED = "decided", _("Decided")  # 形成决议: decisions recorded, work not started
    IN_PROGRESS = "in_progress", pgettext_lazy("implementation", "In progress")  # 落实中: milestones tracked
    COMPLETED = "completed", _("Completed")  # 已办结
    WITHDRAWN = "withdrawn", _("Withdrawn")  # 已撤回


class Transition(models.TextChoices):
    OPEN = "open", _("Open the consultation")
    CLOSE = "close", _("Close the consultation and deliberate")
    DECIDE = "decide", _("Mark as decided")
    START = "start", _("Start carrying out")
    COMPLETE = "complete", _("Mark as completed")
    WITHDRAW = "withdraw", _("Withdraw the topic")


TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    Transition.OPEN: (frozenset({TopicState.DRAFT}), TopicState.CONSULTING),
    Transition.CLOSE: (frozenset({TopicState.CONSULTING}), TopicState.DELIBERATING),
    Transition.DECIDE: (frozenset({TopicState.DELIBERATING}), TopicState.DECIDED),
    Transition.START: (frozenset({TopicState.DECIDED}), TopicState.IN_PROGRESS),
    Transition.COMPLETE: (frozenset({TopicState.IN_PROGRESS}), TopicState.COMPLETED),
    Transition.WITHDRAW: (
        frozenset({TopicState.DRAFT, TopicState.CONSULTING, TopicState.DELIBERATING}),
        TopicState.WITHDRAWN,
    ),
}

# Residents see a topic once it is opened; a draft is the staff's alone.
VISIBLE_TO_RESIDENTS = frozenset(set(TopicState.values) - {TopicState.DRAFT})
# Proposals and supports are taken while the consultation runs.
PROPOSING = frozenset({TopicState.CONSULTING})
# Comments also while the council deliberates.
COMMENTING = frozenset({TopicState.CONSULTING, TopicState.DELIBERATING})
# Meetings are recorded while deliberating (and later, for follow-up meetings).
MEETING_STATES = frozenset(
    {TopicState.CONSULTING, TopicState.DELIBERATING, TopicState.DECIDED, TopicState.IN_PROGRESS}
)
# Decisions are written while deliberating, and amended until the work is done.
DECISION_STATES = frozenset({TopicState.DELIBERATING, TopicState.DECIDED, TopicState.IN_PROGRESS})
# Milestone progress is reported once a decision exists and until completion.
MILESTONE_STATES = frozenset({TopicState.DELIBERATING, TopicState.DECIDED, TopicState.IN_PROGRESS})
# The accountability board shows topics with an outcome.
OUTCOME_STATES = frozenset({TopicState.DECIDED, TopicState.IN_PROGRESS, TopicState.COMPLETED})
# Documents and the text may change until the consultation closes.
EDITABLE = frozenset({TopicState.DRAFT, TopicState.CONSULTING})


def available(state: str) -> list[str]:
    """Transitions that may leave ``state``, in table order."""
    return [name for name, (sources, _target) in TRANSITIONS.items() if state in sources]
