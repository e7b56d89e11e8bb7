"""Forms of the emergency pages. They only shape input; the actions decide."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.emergency import policies
from zhili.emergency.models import CapCategory, CapStatus, CapUrgency, Certainty, MsgType, Scope, Severity
from zhili.emergency.policies import Perm
from zhili.emergency.states import CheckOutcome
from zhili.territory.models import Node, NodeKind

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _scope_nodes(user: Any, perm: Perm) -> Any:
    from django.db.models import Q

    q = Q(pk__in=[])
    for path in policies.scope(user, perm):
        q |= Q(path__startswith=path)
    return Node.objects.filter(q).order_by("sort_key")


class AlertForm(forms.Form):
    node = forms.ModelChoiceField(label=_("Issued for"), queryset=Node.objects.none())
    cap_status = forms.ChoiceField(label=_("CAP status"), choices=CapStatus.choices, initial=CapStatus.ACTUAL)
    msg_type = forms.ChoiceField(label=_("Message type"), choices=MsgType.choices, initial=MsgType.ALERT)
    scope = forms.ChoiceField(label=_("Scope"), choices=Scope.choices, initial=Scope.PUBLIC)
    category = forms.ChoiceField(
        label=pgettext_lazy("alert", "Category"), choices=CapCategory.choices, initial=CapCategory.MET
    )
    event = forms.CharField(label=pgettext_lazy("alert", "Event"), max_length=100)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=CapUrgency.choices, initial=CapUrgency.EXPECTED)
    severity = forms.ChoiceField(
        label=pgettext_lazy("alert", "Severity"), choices=Severity.choices, initial=Severity.SEVERE
    )
    certainty = forms.ChoiceField(label=_("Certainty"), choices=Certainty.choices, initial=Certainty.LIKELY)
    headline = forms.CharField(label=_("Headline"), max_length=160)
    description = forms.CharField(
        label=pgettext_lazy("alert", "Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )
    instruction = forms.CharField(
        label=_("Instruction"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    effective = forms.DateTimeField(label=_("Effective from"), widget=DATETIME)
    expires = forms.DateTimeField(label=_("Expires at"), widget=DATETIME)
    area_desc = forms.CharField(label=_("Area description"), max_length=200, required=False)
    grids = forms.ModelMultipleChoiceField(
        label=_("Grids"), queryset=Node.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    polygon = forms.CharField(widget=forms.HiddenInput, required=False)
    references = forms.CharField(
        label=_("References (for an update or cancel)"), max_length=300, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        nodes = _scope_nodes(user, Perm.DRAFT)
        node, grids = self.fields["node"], self.fields["grids"]
        assert isinstance(node, forms.ModelChoiceField) and isinstance(grids, forms.ModelMultipleChoiceField)
        node.queryset = nodes.exclude(kind=NodeKind.GRID)
        grids.queryset = nodes.filter(kind=NodeKind.GRID)
        if not self.is_bound and "effective" not in self.initial:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("effective", now)
            self.initial.setdefault("expires", now + timedelta(hours=24))

    def clean_polygon(self) -> dict[str, Any] | None:
        raw = (self.cleaned_data.get("polygon") or "").strip()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("The drawn area cannot be read.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The drawn area cannot be read."))
        return value

    def action_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("node", None)
        data["grids"] = list(data.get("grids") or [])
        return data


class MobiliseForm(forms.Form):
    tags = forms.MultipleChoiceField(label=_("Check households with"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, tags: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tags"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(t.code, t.name) for t in tags]


class CheckForm(forms.Form):
    outcome = forms.ChoiceField(choices=CheckOutcome.choices)
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ModeForm(forms.Form):
    node = forms.ModelChoiceField(label=_("Territory"), queryset=Node.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=300)
    alert = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        node = self.fields["node"]
        assert isinstance(node, forms.ModelChoiceField)
        node.queryset = _scope_nodes(user, Perm.SWITCH_MODE).exclude(kind=NodeKind.GRID)
