"""The cockpit's emergency panel: what it shows for the emergency in force."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from zhili.emergency.models import Alert, EmergencyMode
from zhili.emergency.selectors import Board, active_emergency, board
from zhili.territory.models import Node

register = template.Library()


@dataclass
class Panel:
    mode: EmergencyMode
    alert: Alert | None
    board: Board | None


@register.simple_tag
def emergency_panel(value: Any) -> Panel | None:
    """``value`` is what active_emergency returned, or a node to look it up for."""
    if isinstance(value, Node):
        value = active_emergency(value)
    if not isinstance(value, EmergencyMode):
        return None
    alert = value.alert
    return Panel(mode=value, alert=alert, board=board(alert) if alert is not None else None)
