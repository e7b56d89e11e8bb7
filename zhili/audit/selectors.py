"""Reading the audit log: scope, filters and rows ready for a page, an export or the API."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import pgettext, pgettext_lazy

from zhili.audit.models import AuditAction, AuditEvent, ChainVerification
from zhili.audit.policies import visible_events
from zhili.authz.policies import Action, path_q, scope_paths
from zhili.territory.models import Node


@dataclass(frozen=True)
class EventFilters:
    actor: str = ""  # part of the actor's user name
    action: str = ""  # an AuditAction value
    node: Node | None = None  # the node and its subtree
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None

    def describe(self) -> dict[str, Any]:
        """What was asked for, as JSON for the audit row of an export."""
        described: dict[str, Any] = {}
        if self.actor:
            described["actor"] = self.actor
        if self.action:
            described["action"] = self.action
        if self.node is not None:
            described["node_id"] = self.node.pk
        if self.occurred_from is not None:
            described["from"] = self.occurred_from.isoformat()
        if self.occurred_to is not None:
            described["to"] = self.occurred_to.isoformat()
        return described


def audit_nodes(user: Any) -> QuerySet[Node]:
    """The nodes an auditor may filter by: their subtrees."""
    return Node.objects.filter(path_q(scope_paths(user, Action.VIEW_AUDIT), "path")).order_by("sort_key")


def events_for_user(user: Any, filters: EventFilters) -> QuerySet[AuditEvent]:
    """The events ``user`` may read that match ``filters``, newest first (ids follow the chain)."""
    events = visible_events(user)
    if filters.actor:
        events = events.filter(actor_label__icontains=filters.actor)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.node is not None:
        events = events.filter(node_path__startswith=filters.node.path)
    if filters.occurred_from is not None:
        events = events.filter(occurred_at__gte=filters.occurred_from)
    if filters.occurred_to is not None:
        events = events.filter(occurred_at__lte=filters.occurred_to)
    return events.order_by("-id")


def action_label(action: str) -> str:
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return action  # an action since renamed or removed: show the stored code


def compact_json(details: Any) -> str:
    return json.dumps(details, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def target_model(target_type: str) -> type[models.Model] | None:
    """The model a stored ``app_label.model`` names; None for one since renamed or removed."""
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def target_type_label(target_type: str) -> str:
    """What kind of object an event is about, in the reader's language (诉求, 用户, 居民…)."""
    model = target_model(target_type)
    return str(model._meta.verbose_name) if model is not None else target_type


# Labels of the keys that actions write into ``details``; others are shown as they are stored.
DETAIL_LABELS: dict[str, Any] = {
    "code": pgettext_lazy("audit detail", "Code"),
    "event": pgettext_lazy("audit detail", "Event"),
    "kind": pgettext_lazy("audit detail", "Kind"),
    "transition": pgettext_lazy("audit detail", "Transition"),
    "status": pgettext_lazy("audit detail", "Status"),
    "reason": pgettext_lazy("audit detail", "Reason"),
    "note": pgettext_lazy("audit detail", "Note"),
    "count": pgettext_lazy("audit detail", "Count"),
    "field": pgettext_lazy("audit detail", "Field"),
    "fields": pgettext_lazy("audit detail", "Fields"),
    "person_id": pgettext_lazy("audit detail", "Resident id"),
    "person": pgettext_lazy("audit detail", "Resident id"),
    "person_ids": pgettext_lazy("audit detail", "Resident ids"),
    "found": pgettext_lazy("audit detail", "Residents found"),
    "revealed": pgettext_lazy("audit detail", "Shown in full"),
    "format": pgettext_lazy("audit detail", "Format"),
    "name": pgettext_lazy("audit detail", "Name"),
    "title": pgettext_lazy("audit detail", "Title"),
    "version": pgettext_lazy("audit detail", "Version"),
    "department": pgettext_lazy("audit detail", "Department id"),
    "grid": pgettext_lazy("audit detail", "Grid id"),
    "rule": pgettext_lazy("audit detail", "Dispatch rule id"),
    "auto": pgettext_lazy("audit detail", "Automatic"),
    "into": pgettext_lazy("audit detail", "Merged into"),
    "rating": pgettext_lazy("audit detail", "Rating"),
    "username": pgettext_lazy("audit detail", "User name"),
    "role": pgettext_lazy("audit detail", "Role"),
    "decision": pgettext_lazy("audit detail", "Decision"),
    "active": pgettext_lazy("audit detail", "Active"),
    "topic": pgettext_lazy("audit detail", "Topic id"),
    "user": pgettext_lazy("audit detail", "User id"),
    "approved": pgettext_lazy("audit detail", "Approved"),
    "filters": pgettext_lazy("audit detail", "Filters"),
    "tags": pgettext_lazy("audit detail", "Tags"),
    "ip": pgettext_lazy("audit detail", "IP address"),
    "month": pgettext_lazy("audit detail", "Month"),
    "subjects": pgettext_lazy("audit detail", "Subjects assessed"),
    "indicators": pgettext_lazy("audit detail", "Indicators"),
    "supersedes": pgettext_lazy("audit detail", "Replaces run id"),
    "day": pgettext_lazy("audit detail", "Day"),
    "severity": pgettext_lazy("audit detail", "Severity"),
    "outcome": pgettext_lazy("audit detail", "Outcome"),
    "channel": pgettext_lazy("audit detail", "Channel"),
    "change": pgettext_lazy("audit detail", "Change"),
    "changed": pgettext_lazy("audit detail", "Changed"),
    "hidden": pgettext_lazy("audit detail", "Hidden"),
    "anonymous": pgettext_lazy("audit detail", "Anonymous"),
    "alert": pgettext_lazy("audit detail", "Alert id"),
    "case": pgettext_lazy("audit detail", "Case id"),
    "proposal": pgettext_lazy("audit detail", "Proposal id"),
    "entry": pgettext_lazy("audit detail", "Roll entry id"),
    "previous_version": pgettext_lazy("audit detail", "Previous version"),
    "n_train": pgettext_lazy("audit detail", "Training cases"),
    "macro_f1": pgettext_lazy("audit detail", "Macro-F1"),
    "content_type": pgettext_lazy("audit detail", "File type"),
    "size": pgettext_lazy("audit detail", "Size (bytes)"),
}
# Keys whose meaning depends on what the event is about.
CASE_DETAIL_LABELS: dict[str, Any] = {
    "event": pgettext_lazy("audit detail", "Timeline entry id"),
    "kind": pgettext_lazy("audit detail", "Step"),
}
CASE_TARGET = "cases.case"


def case_event_label(kind: str) -> str:
    """A case timeline entry in the words of the case page (已签收, 已办结, 已联系居民…)."""
    # Imported here: the cases app writes the audit log, so it imports this app first.
    from zhili.cases.selectors import event_label

    return event_label(kind)


CLASSIFIER_TARGET = "intelligence.classifiermodel"


def classifier_decision_label(decision: str) -> str:
    """Why a classifier version was (not) activated, as the classifier page says it."""
    from zhili.intelligence.decisions import decision_label

    return decision_label(decision)


# Keys whose values are states of the target (a case's status, a survey's state…).
STATE_KEYS = ("from", "to", "status")


def state_labels(model: type[models.Model] | None) -> dict[str, str]:
    """The labels of the target's ``status`` or ``state`` choices (诉求: 处理中, 已办结…)."""
    if model is None:
        return {}
    for name in ("status", "state"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.Field) and field.choices:
            return {str(value): str(label) for value, label in field.flatchoices}
    return {}


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return pgettext("audit detail", "yes") if value else pgettext("audit detail", "no")
    if isinstance(value, list) and all(not isinstance(item, dict | list) for item in value):
        return pgettext("list separator", ", ").join(_text(item) for item in value) if value else "—"
    if isinstance(value, dict | list):
        return compact_json(value)
    return str(value)


# Events whose "kind", "field" or "fields" name fields of a resident's record (id_number, mobile...).
PERSON_FIELD_ACTIONS = frozenset(
    {
        AuditAction.PERSONS_FOUND_BY_NUMBER.value,
        AuditAction.PERSON_VIEWED.value,
        AuditAction.PII_REVEALED.value,
    }
)


def _person_field_label(name: str) -> str:
    from zhili.residents.fields import FIELD_LABELS

    return str(FIELD_LABELS.get(name, name))


def detail_lines(event: AuditEvent) -> list[tuple[str, str]]:
    """The details as (label, value) lines an auditor reads; the stored JSON stays beside them."""
    details = event.details if isinstance(event.details, dict) else {"": event.details}
    model = target_model(event.target_type) if event.target_type else None
    states = state_labels(model)
    is_case = event.target_type == CASE_TARGET
    lines = []
    for key, value in details.items():
        label: Any = (is_case and CASE_DETAIL_LABELS.get(key)) or DETAIL_LABELS.get(key, key)
        text = _text(value)
        if key in STATE_KEYS and isinstance(value, str) and value in states:
            text = states[value]
        if key == "from":
            label = pgettext("audit detail", "From state") if states else pgettext("audit detail", "Was")
        elif key == "to":
            label = pgettext("audit detail", "To state") if states else pgettext("audit detail", "Now")
        elif key == "kind" and is_case and isinstance(value, str):
            text = case_event_label(value)
        elif key in ("kind", "field") and event.action in PERSON_FIELD_ACTIONS and isinstance(value, str):
            text = _person_field_label(value)
        elif key == "fields" and event.action in PERSON_FIELD_ACTIONS and isinstance(value, list):
            text = "、".join(_person_field_label(str(v)) for v in value)
        elif key == "decision" and event.target_type == CLASSIFIER_TARGET and isinstance(value, str):
            text = classifier_decision_label(value)
        lines.append((str(label), text))
    return lines


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    action_label: str
    node_name: str
    details_json: str

    @property
    def target(self) -> str:
        if not self.event.target_type:
            return ""
        return f"{target_type_label(self.event.target_type)} #{self.event.target_id}"

    @property
    def details(self) -> list[tuple[str, str]]:
        return detail_lines(self.event)


def node_names(node_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {node_id for node_id in node_ids if node_id is not None}
    if not wanted:
        return {}
    return dict(Node.objects.filter(id__in=wanted).values_list("id", "name"))


def event_rows(events: Iterable[AuditEvent]) -> list[EventRow]:
    """Rows for display, with node names fetched in one query (a node may since be gone)."""
    events = list(events)
    names = node_names(event.node_id for event in events)
    return [
        EventRow(
            event=event,
            action_label=action_label(event.action),
            node_name=names.get(event.node_id, "") if event.node_id is not None else "",
            details_json=compact_json(event.details),
        )
        for event in events
    ]


def last_verification() -> ChainVerification | None:
    return ChainVerification.objects.select_related("requested_by").first()
