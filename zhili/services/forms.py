"""Forms of the services pages. They only shape input; the actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.residents.models import Tag
from zhili.services import policies
from zhili.services.models import DEFAULT_DUE_DAYS
from zhili.services.policies import Perm
from zhili.services.states import Outcome
from zhili.territory.models import Node


def manage_nodes(user: Any) -> Any:
    q = Q(pk__in=[])
    for path in policies.scope(user, Perm.MANAGE):
        q |= Q(path__startswith=path)
    return Node.objects.filter(q).order_by("sort_key")


class ServiceForm(forms.Form):
    node = forms.ModelChoiceField(label=_("Applies in"), queryset=Node.objects.none())
    name = forms.CharField(label=pgettext_lazy("service", "Name"), max_length=100)
    description = forms.CharField(
        label=pgettext_lazy("service", "Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    department = forms.CharField(label=_("Responsible department"), max_length=100, required=False)
    tag_codes = forms.MultipleChoiceField(
        label=_("Residents with any of these tags"), required=False, widget=forms.CheckboxSelectMultiple
    )
    min_age = forms.IntegerField(label=_("Aged at least"), required=False, min_value=0, max_value=120)
    interval_days = forms.IntegerField(
        label=_("Reach out again after (days, 0 = once)"), min_value=0, max_value=3650, initial=0
    )
    due_days = forms.IntegerField(
        label=_("Days to complete a task"), min_value=1, max_value=365, initial=DEFAULT_DUE_DAYS
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        node, tags = self.fields["node"], self.fields["tag_codes"]
        assert isinstance(node, forms.ModelChoiceField) and isinstance(tags, forms.MultipleChoiceField)
        node.queryset = manage_nodes(user)
        tags.choices = [(t.code, t.name) for t in Tag.objects.filter(active=True).order_by("code")]

    def action_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("node", None)
        return data


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
