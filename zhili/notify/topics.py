"""What the inbox adds to a message after it was sent: a message stays as written, but the thing it
talks about may have moved on (an alert that has since ended asks for no confirmation any more).

An app registers, for the topics starting with its prefix, a function from the topics shown to a
note per topic (one query for the whole page, not one per message).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_NOTES: dict[str, Callable[[list[str]], dict[str, str]]] = {}


def register(prefix: str, notes: Callable[[list[str]], dict[str, str]]) -> None:
    """Called from an app's ``ready``: ``notes(topics)`` gives the note of each topic that has one."""
    _NOTES[prefix] = notes


def attach_notes(messages: Iterable[Any]) -> None:
    """Set ``later_note`` on each message ("" when its topic has nothing to add)."""
    messages = list(messages)
    by_prefix: dict[str, list[str]] = {}
    for message in messages:
        message.later_note = ""
        for prefix in _NOTES:
            if message.topic.startswith(prefix):
                by_prefix.setdefault(prefix, []).append(message.topic)
    found: dict[str, str] = {}
    for prefix, topics in by_prefix.items():
        found.update(_NOTES[prefix](sorted(set(topics))))
    for message in messages:
        message.later_note = found.get(message.topic, "")
