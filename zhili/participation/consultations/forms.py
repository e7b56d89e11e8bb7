"""Forms of the consultation pages; they only shape input, the actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.participation.consultations.models import AttendeeRole, HideReason, MilestoneStatus

DATE = forms.DateInput(attrs={"type": "date"})


class TopicForm(forms.Form):
    node: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None, label=_("Area concerned"))  # type: ignore[arg-type]
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=pgettext_lazy("explanatory text", "Description"), widget=forms.Textarea(attrs={"rows": 8})
    )
    opens_on = forms.DateField(label=_("Consultation opens on"), required=False, widget=DATE)
    closes_on = forms.DateField(label=_("Consultation closes on"), required=False, widget=DATE)

    def __init__(self, *args: Any, nodes: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if nodes is None:
            del self.fields["node"]
        else:
            self.fields["node"].queryset = nodes  # type: ignore[attr-defined]


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    file = forms.FileField(label=_("File (PDF, image, Word, Excel, PowerPoint)"))


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Your proposal"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Your comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    proposal = forms.IntegerField(required=False, widget=forms.HiddenInput)


class HideForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=HideReason.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawal"), max_length=300)


def _lines(text: str) -> list[tuple[str, str]]:
    """One participant a line: "name" or "name, organisation" (either comma)."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        name, _sep, organisation = line.replace("，", ",").partition(",")
        rows.append((name.strip(), organisation.strip()))
    return rows


class MeetingForm(forms.Form):
    held_at = forms.DateTimeField(
        label=_("Held at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label=_("Place"), max_length=120)
    agenda = forms.CharField(label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 8}))
    expected_count = forms.IntegerField(label=_("Participants expected"), min_value=1, max_value=1000)
    resident_reps = forms.CharField(
        label=_("Residents' representatives present"),
        help_text=_("One a line: name, or name, organisation."),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    staff = forms.CharField(
        label=_("Staff present"),
        help_text=_("One a line: name, or name, organisation."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    outside = forms.CharField(
        label=_("Outside parties present"),
        help_text=_("One a line: name, or name, organisation."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def attendees(self) -> list[tuple[str, str, str]]:
        data = self.cleaned_data
        rows: list[tuple[str, str, str]] = []
        for key, role in (
            ("resident_reps", AttendeeRole.RESIDENT_REP),
            ("staff", AttendeeRole.STAFF),
            ("outside", AttendeeRole.OUTSIDE),
        ):
            rows += [(name, str(role), org) for name, org in _lines(data.get(key) or "")]
        return rows


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 4}))
    meeting = forms.TypedChoiceField(
        label=_("Decided at the meeting"), required=False, coerce=int, empty_value=None
    )
    responsible_unit = forms.CharField(label=_("Responsible unit"), max_length=100)
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=50)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    note = forms.CharField(label=_("Why the change (kept in the history)"), max_length=300, required=False)

    def __init__(self, *args: Any, meetings: Any = (), editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (m.pk, f"{m.held_at:%Y-%m-%d} {m.place}") for m in meetings
        ]
        if not editing:
            del self.fields["note"]


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)


class ProgressForm(forms.Form):
    percent = forms.IntegerField(label=_("Percent done"), min_value=0, max_value=100)
    status = forms.ChoiceField(label=_("Status"), choices=MilestoneStatus.choices)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    note = forms.CharField(label=_("Note (kept in the history)"), max_length=300, required=False)
