"""Early-warning states and the one table of allowed transitions.

A warning is raised ``new``; a person who knows the area confirms it (a real risk, followed up) or
dismisses it (a false alarm, a known cause). Every change goes through
``zhili.intelligence.actions.do_decide_warning``, which refuses anything not in ``TRANSITIONS``;
``tests/test_warnings.py`` holds the table against the action.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhili.accounts.roles import Role


class WarningState(models.TextChoices):
    NEW = "new", _("New")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class WarningKind(models.TextChoices):
    SPIKE = "spike", _("Unusual rise")  # 异常激增: category × area × day
    REPEATED = "repeated", _("Repeated reports")  # 矛盾纠纷苗头: one caller or one place, again and again


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


# transition name → (from state, to state)
TRANSITIONS: dict[str, tuple[str, str]] = {
    "confirm": (WarningState.NEW, WarningState.CONFIRMED),
    "dismiss": (WarningState.NEW, WarningState.DISMISSED),
}

TRANSITION_LABELS = {"confirm": _("Confirm"), "dismiss": _("Dismiss")}

# Who sees warnings of their subtree, and who may decide them (leaders read only).
VIEW_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.SUPERVISOR, Role.LEADER})
DECIDE_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.SUPERVISOR})

OPEN_STATES = frozenset({WarningState.NEW})


def allowed(state: str) -> list[str]:
    """Transitions that may leave ``state``, in table order."""
    return [name for name, (source, _target) in TRANSITIONS.items() if source == state]
