"""Forms of the disclosure pages. They only shape input; the actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.disclosure import policies
from zhili.disclosure.models import Audience, Kind, Publication, fen_to_yuan, quarter_label
from zhili.territory.models import Node

QUARTERS_OFFERED = 8


def quarter_choices() -> list[tuple[str, str]]:
    today = timezone.localdate()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    out: list[tuple[str, str]] = [("", str(_("No quarter")))]
    for _i in range(QUARTERS_OFFERED):
        out.append((f"{year}-{quarter}", quarter_label(year, quarter)))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return out


def items_text(publication: Publication) -> str:
    return "\n".join(f"{i['label']} {fen_to_yuan(int(i['fen']))}" for i in publication.items or [])


def parse_items(text: str) -> list[dict[str, str]]:
    """One item a line: its name, a space, the amount in yuan ("保洁服务费 12000.00")."""
    rows = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        label, _sep, amount = line.rpartition(" ")
        if not label:  # one word: a name without an amount (the action says so)
            label, amount = line, ""
        rows.append({"label": label, "amount": amount})
    return rows


class PublicationForm(forms.Form):
    node = forms.ModelChoiceField(label=_("Published for"), queryset=Node.objects.none())
    kind = forms.ChoiceField(label=pgettext_lazy("disclosure", "Kind"), choices=Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=pgettext_lazy("disclosure", "Text"), widget=forms.Textarea(attrs={"rows": 8}), required=False
    )
    period = forms.CharField(
        label=_("Period covered"),
        max_length=60,
        required=False,
        help_text=_("For example: 2026, third quarter. Leave empty to use the quarter below."),
    )
    quarter = forms.ChoiceField(
        label=_("Quarter"),
        required=False,
        help_text=_("Finances are published every quarter: name the quarter they cover."),
    )
    items = forms.CharField(
        label=_("Line items"),
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "保洁服务费 12000.00"}),
        required=False,
        help_text=_("One item a line: its name, a space, the amount in yuan. The total is computed."),
    )
    audience = forms.ChoiceField(
        label=pgettext_lazy("disclosure", "Audience"),
        choices=Audience.choices,
        initial=Audience.PUBLIC,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, user: Any, fixed_node: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        node = self.fields["node"]
        assert isinstance(node, forms.ModelChoiceField)
        node.queryset = policies.publishable_nodes(user)
        if fixed_node:
            del self.fields["node"]
        else:
            choices = list(node.queryset[:2])
            if len(choices) == 1:  # a community's staff publish for their community: no choice to make
                node.initial = choices[0].pk
                node.empty_label = None
        quarter = self.fields["quarter"]
        assert isinstance(quarter, forms.ChoiceField)
        quarter.choices = quarter_choices()

    def action_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        year: int | None = None
        quarter: int | None = None
        if data.get("quarter"):
            y, _sep, q = str(data["quarter"]).partition("-")
            year, quarter = int(y), int(q)
        return {
            "kind": data["kind"],
            "title": data["title"],
            "body": data.get("body", ""),
            "period": data.get("period", ""),
            "period_year": year,
            "period_quarter": quarter,
            "items": parse_items(data.get("items", "")),
            "audience": data["audience"],
        }

    @staticmethod
    def initial_of(publication: Publication) -> dict[str, Any]:
        quarter = (
            f"{publication.period_year}-{publication.period_quarter}"
            if publication.period_year and publication.period_quarter
            else ""
        )
        return {
            "node": publication.node,
            "kind": publication.kind,
            "title": publication.title,
            "body": publication.body,
            "period": publication.period,
            "quarter": quarter,
            "items": items_text(publication),
            "audience": publication.audience,
        }


class CorrectionForm(PublicationForm):
    reason = forms.CharField(
        label=_("Reason for the correction"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawing"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown under the item with the answer, without your name."),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=pgettext_lazy("disclosure", "Answer"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
