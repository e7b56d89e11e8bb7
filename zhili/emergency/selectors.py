"""Reads of emergency mode, used by other apps (the cockpit, the SLA clock)."""

from __future__ import annotations

from typing import Any


def active_emergency(node: Any) -> Any | None:
    """The emergency in force at this node or above it, or None. (Interface; filled by the emergency work.)"""
    return None
