"""Forms of the indicator set editor and the run actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.analytics.assessment import registry
from zhili.analytics.assessment.models import Indicator, IndicatorSet, Rule
from zhili.territory.models import Node

MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]


class MonthField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", MONTH_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day else None


class IndicatorSetForm(forms.ModelForm):
    valid_from = MonthField(label=_("Valid from (month)"))
    valid_to = MonthField(label=_("Valid to (month)"), required=False)

    class Meta:
        model = IndicatorSet
        fields = ["name", "subject_kind", "node", "valid_from", "valid_to", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, nodes: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if nodes is not None:
            self.fields["node"].queryset = nodes  # type: ignore[attr-defined]
        self.fields["node"].label_from_instance = lambda n: n.name  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", pgettext_lazy("months", "The period ends before it starts."))
        return data


class IndicatorForm(forms.ModelForm):
    code = forms.ChoiceField(label=_("Indicator"), choices=registry.indicator_choices)

    class Meta:
        model = Indicator
        fields = [
            "code",
            "weight",
            "rule",
            "floor",
            "target",
            "points_per_item",
            "cap",
            "no_data",
            "position",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rule = data.get("rule")
        if rule == Rule.LINEAR and (data.get("floor") is None or data.get("target") is None):
            self.add_error("target", _("A linear rule needs a floor and a target."))
        if rule == Rule.LINEAR and data.get("floor") is not None and data.get("floor") == data.get("target"):
            self.add_error("target", _("The target must differ from the floor."))
        if rule == Rule.THRESHOLD and data.get("target") is None:
            self.add_error("target", _("A threshold rule needs a target."))
        if rule == Rule.PER_ITEM and data.get("points_per_item") is None:
            self.add_error("points_per_item", _("Give the points per item."))
        return data


class BaseIndicatorFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kind = getattr(self, "subject_kind", "")
        codes: list[str] = []
        total = 0
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            code = form.cleaned_data.get("code")
            if code in codes:
                raise forms.ValidationError(_("Each indicator may appear once in a set."))
            definition = registry.REGISTRY.get(code or "")
            if kind and definition is not None and kind not in definition.kinds:
                form.add_error("code", _("This indicator cannot be computed for the subjects of this set."))
            codes.append(code or "")
            total += form.cleaned_data.get("weight") or 0
        if not codes:
            raise forms.ValidationError(_("Add at least one indicator."))
        if total != 100:
            raise forms.ValidationError(
                _("The weights add up to %(total)s; they must add up to 100.") % {"total": total}
            )


IndicatorFormSet = inlineformset_factory(
    IndicatorSet, Indicator, form=IndicatorForm, formset=BaseIndicatorFormSet, extra=2, can_delete=True
)


class ComputeForm(forms.Form):
    indicator_set = forms.ModelChoiceField(label=_("Indicator set"), queryset=IndicatorSet.objects.none())
    month = MonthField(label=_("Month"))

    def __init__(self, *args: Any, sets: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if sets is not None:
            self.fields["indicator_set"].queryset = sets  # type: ignore[attr-defined]


class CorrectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


def manageable_nodes(user: Any) -> Any:
    from zhili.analytics.assessment.policies import MANAGE_ROLES, _paths
    from zhili.authz.policies import path_q
    from zhili.territory.models import NodeKind

    return (
        Node.objects.filter(path_q(_paths(user, MANAGE_ROLES), "path"))
        .exclude(kind=NodeKind.GRID)
        .order_by("sort_key")
    )
