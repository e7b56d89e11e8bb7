"""Forms of the election pages. They only parse input; the actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.participation.elections.models import Election, Post
from zhili.participation.elections.rules import PostSpec
from zhili.territory.models import Node

RULE_FIELDS = [
    "min_age",
    "residence_rule",
    "min_residence_years",
    "allow_ballot_replacement",
    "tie_rule",
    "objection_days",
    "roll_lead_days",
    "runoff_extra_candidates",
]


class ElectionForm(forms.ModelForm):
    class Meta:
        model = Election
        fields = ["kind", "title", "election_day", *RULE_FIELDS]
        widgets = {"election_day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "roll_lead_days": _("The Organic Law asks for 20 days."),
            "objection_days": _("The Organic Law asks for 5 days from publication."),
            "tie_rule": _("How a tie for the last seat is resolved."),
        }


class NewElectionForm(ElectionForm):
    node = forms.ModelChoiceField(queryset=Node.objects.none(), label=_("Community or village"))

    class Meta(ElectionForm.Meta):
        fields = ["node", *ElectionForm.Meta.fields]

    def __init__(self, *args: Any, nodes: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if nodes is not None:
            self.fields["node"].queryset = nodes  # type: ignore[attr-defined]


class PostForm(forms.Form):
    name = forms.CharField(label=_("Post"), max_length=50, help_text=_("e.g. 主任, 副主任, 委员"))
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=30, initial=1)


class BoothForm(forms.Form):
    name = forms.CharField(label=_("Polling station"), max_length=60)


class CandidateForm(forms.Form):
    post = forms.ModelChoiceField(queryset=Post.objects.none(), label=_("Post"))
    entry = forms.IntegerField(widget=forms.HiddenInput)
    statement = forms.CharField(
        label=_("Statement"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    photo = forms.FileField(label=_("Photo (JPEG or PNG, at most 2 MB)"), required=False)

    def __init__(self, *args: Any, election: Election, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = election.posts.order_by("order", "id")  # type: ignore[attr-defined]


class UnechoedInput(forms.TextInput):
    """An ID number typed here is not written back into the page when the form comes back with an
    error: it would sit in the page, the browser's cache and any screenshot."""

    def format_value(self, value: Any) -> str | None:
        return None


class StaffObjectionForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput, required=False)
    id_number = forms.CharField(
        label=_("ID card number of a person missing from the roll"),
        max_length=18,
        required=False,
        widget=UnechoedInput(attrs={"autocomplete": "off"}),
        help_text=_("Leave empty when the objection is about an entry of the roll."),
    )
    text = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("entry") and not data.get("id_number"):
            raise forms.ValidationError(
                _("Choose an entry of the roll or give the ID card number of the person.")
            )
        return data


class VoterObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("What is wrong with your entry on the roll?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class RollObjectionForm(forms.Form):
    """A resident's objection to the posted roll: an entry wrongly on it, or someone missing."""

    entry = forms.IntegerField(widget=forms.HiddenInput, required=False)
    missing_name = forms.CharField(
        label=_("Name of the person missing from the roll"),
        max_length=50,
        required=False,
        help_text=_("Leave empty when the objection is about a name on the roll."),
    )
    text = forms.CharField(
        label=_("Why is the roll wrong?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("entry") and not (data.get("missing_name") or "").strip():
            raise forms.ValidationError(
                _("Choose a name on the roll, or give the name of the person missing from it.")
            )
        return data


class DecisionForm(forms.Form):
    uphold = forms.TypedChoiceField(
        label=pgettext_lazy("objection", "Decision"),
        choices=[("1", _("Uphold: change the roll")), ("0", _("Reject: the roll stays as it is"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    decision = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 2}))
    id_number = forms.CharField(
        label=_("ID card number of the person named"),
        max_length=18,
        required=False,
        widget=UnechoedInput(attrs={"autocomplete": "off"}),
        help_text=_("Needed to uphold an objection that only names someone missing."),
    )


class LinkAccountForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput)
    username = forms.CharField(label=_("Resident's username"), max_length=150)


class CheckInForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput)


def ballot_field_name(post_id: int) -> str:
    return f"post_{post_id}"


class BallotForm(forms.Form):
    """One field per post: radio buttons for one seat, check boxes for several; none = abstain."""

    credential = forms.CharField(label=_("Replacement code"), required=False, max_length=64)

    def __init__(self, *args: Any, posts: list[PostSpec], replacing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.posts = posts
        for spec in posts:
            choices = [(str(c.id), c.name) for c in spec.candidates]
            name = ballot_field_name(spec.id)
            if spec.seats == 1:
                self.fields[name] = forms.ChoiceField(
                    label=spec.name, choices=choices, required=False, widget=forms.RadioSelect
                )
            else:
                self.fields[name] = forms.MultipleChoiceField(
                    label=spec.name, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
                )
        if not replacing:
            del self.fields["credential"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for spec in self.posts:
            name = ballot_field_name(spec.id)
            picked = data.get(name) or []
            if isinstance(picked, str):
                picked = [picked]
            if len(picked) > spec.seats:
                self.add_error(
                    name,
                    _("Choose at most %(seats)s for %(post)s.") % {"seats": spec.seats, "post": spec.name},
                )
            data[name] = [int(value) for value in picked]
        return data

    def choices(self) -> dict[int, list[int]]:
        return {spec.id: self.cleaned_data[ballot_field_name(spec.id)] for spec in self.posts}


class BoothCountForm(forms.Form):
    """The count sheet of one polling station: papers in the box, then per post valid papers and votes."""

    ballots_cast = forms.IntegerField(label=_("Ballot papers in the box"), min_value=0)

    def __init__(self, *args: Any, posts: list[PostSpec], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.posts = posts
        for spec in posts:
            self.fields[f"valid_{spec.id}"] = forms.IntegerField(
                label=_("%(post)s: valid ballots") % {"post": spec.name}, min_value=0
            )
            for candidate in spec.candidates:
                self.fields[f"votes_{spec.id}_{candidate.id}"] = forms.IntegerField(
                    label=candidate.name, min_value=0, initial=0
                )

    def figures(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "ballots_cast": data["ballots_cast"],
            "posts": {
                str(spec.id): {
                    "valid": data[f"valid_{spec.id}"],
                    "votes": {str(c.id): data[f"votes_{spec.id}_{c.id}"] for c in spec.candidates},
                }
                for spec in self.posts
            },
        }

    def sections(self) -> list[tuple[PostSpec, Any, list[Any]]]:
        """(post, its valid-ballots field, its candidates' fields) for the template."""
        return [
            (
                spec,
                self[f"valid_{spec.id}"],
                [self[f"votes_{spec.id}_{c.id}"] for c in spec.candidates],
            )
            for spec in self.posts
        ]
