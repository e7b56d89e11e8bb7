from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhili.audit.models import AuditAction
from zhili.audit.selectors import EventFilters, audit_nodes
from zhili.territory.models import Node

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class NodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Node) -> str:
        return "\u3000" * obj.depth + obj.name  # indented by an ideographic space per level


class EventFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False)
    node = NodeChoiceField(label=_("Territory"), required=False, queryset=Node.objects.none())
    occurred_from = forms.DateTimeField(label=_("From"), required=False, widget=DATETIME_INPUT)
    occurred_to = forms.DateTimeField(label=_("To"), required=False, widget=DATETIME_INPUT)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action_field = self.fields["action"]
        assert isinstance(action_field, forms.ChoiceField)
        action_field.choices = [("", _("All actions")), *AuditAction.choices]
        node_field = self.fields["node"]
        assert isinstance(node_field, NodeChoiceField)
        node_field.queryset = audit_nodes(user)
        node_field.empty_label = str(_("All territory"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("occurred_from"), cleaned.get("occurred_to")
        if start and end and start > end:
            self.add_error("occurred_to", _("The end must not be before the start."))
        return cleaned

    def filters(self) -> EventFilters:
        """The filters from the valid fields (an invalid field filters nothing)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return EventFilters(
            actor=(data.get("actor") or "").strip(),
            action=data.get("action") or "",
            node=data.get("node"),
            occurred_from=data.get("occurred_from"),
            occurred_to=data.get("occurred_to"),
        )
