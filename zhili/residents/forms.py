"""Forms of the registry pages. They only clean input; the actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from zhili.accounts.roles import Role
from zhili.residents.actions import CORRECTABLE
from zhili.residents.fields import FIELD_LABELS, REVEAL_FIELDS
from zhili.residents.models import (
    Gender,
    HouseUse,
    IdType,
    RelationToHead,
    ResidenceStatus,
    Tag,
    Tenure,
    VisitKind,
)
from zhili.residents.validation import normalise_document, normalise_mobile

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, full ID number or mobile"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
    )


class PersonForm(forms.Form):
    """Register or edit a person. ID number and mobile are never pre-filled (a grid worker sees them
    masked): left empty on edit, they stay as they are."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    birth_date = forms.DateField(label=_("Date of birth"), widget=DATE_INPUT)
    id_type = forms.ChoiceField(label=_("Document type"), choices=IdType.choices, initial=IdType.RESIDENT_ID)
    id_number = forms.CharField(
        label=_("Document number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    clear_mobile = forms.BooleanField(label=_("Remove the mobile number"), required=False)
    relation_to_head = forms.ChoiceField(
        label=_("Relation to head of household"), choices=RelationToHead.choices
    )
    residence_status = forms.ChoiceField(label=_("Residence status"), choices=ResidenceStatus.choices)
    moved_in_on = forms.DateField(label=_("Moved in on"), required=False, widget=DATE_INPUT)
    moved_out_on = forms.DateField(label=_("Moved out on"), required=False, widget=DATE_INPUT)

    def __init__(
        self, *args: Any, editing: bool = False, masked: dict[str, str] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.editing = editing
        masked = masked or {}
        if editing:
            for name in ("id_number", "mobile"):
                self.fields[name].widget.attrs["placeholder"] = masked.get(name, "")
                self.fields[name].help_text = _("Leave empty to keep the current value.")
            if "birth_date" in masked:
                # Shown as its year only, like on the record: the full date would give away the
                # masked ID number. Typing a date still changes it.
                self.fields["birth_date"].required = False
                self.fields["birth_date"].help_text = _(
                    "Born in %(year)s. Leave empty to keep the current date."
                ) % {"year": masked["birth_date"]}
        else:
            del self.fields["clear_mobile"]
            del self.fields["moved_out_on"]

    def clean_id_number(self) -> str:
        return normalise_document(self.cleaned_data.get("id_type", ""), self.cleaned_data["id_number"])

    def clean_mobile(self) -> str:
        return normalise_mobile(self.cleaned_data["mobile"])

    def changes(self) -> dict[str, Any]:
        """The values to give do_update_person (ID number and mobile only when typed)."""
        data = dict(self.cleaned_data)
        clear = data.pop("clear_mobile", False)
        if not data.get("id_number"):
            data.pop("id_number", None)
        if self.editing and data.get("birth_date") is None:
            data.pop("birth_date", None)
        if clear:
            data["mobile"] = ""
        elif not data.get("mobile"):
            data.pop("mobile", None)
        return data


class TagsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=Tag.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, editable: list[Tag], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["tags"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Tag.objects.filter(pk__in=[t.pk for t in editable], active=True).order_by("code")


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        choices=[(name, FIELD_LABELS[name]) for name in REVEAL_FIELDS], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Why do you need the full value?"),
        max_length=200,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": _("e.g. checking the low-income application")}
        ),
    )


class VisitForm(forms.Form):
    visited_at = forms.DateTimeField(
        label=_("Time of the visit"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=VisitKind.choices, initial=VisitKind.ROUTINE)
    person = forms.TypedChoiceField(
        label=pgettext_lazy("visit", "About"), required=False, coerce=int, empty_value=None
    )
    note = forms.CharField(
        label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("The whole household")), *members]
        if not self.is_bound:
            self.initial.setdefault("visited_at", timezone.localtime().replace(second=0, microsecond=0))


class HouseholdInfoForm(forms.Form):
    floor = forms.IntegerField(label=_("Floor"), required=False, min_value=-10, max_value=200)
    area = forms.DecimalField(
        label=_("Floor area (m²)"), required=False, min_value=0, max_digits=7, decimal_places=2
    )
    use = forms.ChoiceField(label=_("Use"), choices=HouseUse.choices)
    tenure = forms.ChoiceField(
        label=_("Owner or tenant"), choices=[("", "—"), *Tenure.choices], required=False
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label=_("What is wrong"))
    value = forms.CharField(label=_("The correct value"), max_length=100)
    reason = forms.CharField(
        label=_("Anything staff should know"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, correction_choice_label(name)) for name in CORRECTABLE]

    def clean(self) -> dict[str, Any]:
        """A resident writes 男, 子女 or 流动人口, not the codes the registry stores."""
        cleaned = super().clean() or {}
        choices = CORRECTION_CHOICES.get(cleaned.get("field", ""))
        value = (cleaned.get("value") or "").strip()
        if choices is not None and value:
            by_text = {str(label).casefold(): code for code, label in choices}
            by_text.update({code.casefold(): code for code, _label in choices})
            code = by_text.get(value.casefold())
            if code is None:
                self.add_error(
                    "value",
                    gettext("Write one of: %(choices)s.")
                    % {"choices": _list(label for _code, label in choices)},
                )
            else:
                cleaned["value"] = code
        return cleaned


CORRECTION_LABELS: dict[str, Any] = {
    "name": pgettext_lazy("person", "Name"),
    "gender": _("Gender"),
    "birth_date": _("Date of birth"),
    "id_number": _("ID number"),
    "mobile": _("Mobile"),
    "relation_to_head": _("Relation to head of household"),
    "residence_status": _("Residence status"),
    "moved_in_on": _("Moved in on"),
}
# Fields a resident corrects by choosing among the registry's values (written as their labels).
CORRECTION_CHOICES: dict[str, Any] = {
    "gender": Gender.choices,
    "relation_to_head": RelationToHead.choices,
    "residence_status": ResidenceStatus.choices,
}
DATE_EXAMPLE = "2024-03-01"


def _list(items: Any) -> str:
    return pgettext("list separator", ", ").join(str(item) for item in items)


def correction_choice_label(name: str) -> str:
    """The field's label with what to write: its values, or the date format."""
    label = CORRECTION_LABELS[name]
    if name in CORRECTION_CHOICES:
        hint = _list(text for _code, text in CORRECTION_CHOICES[name])
    elif name in ("birth_date", "moved_in_on"):
        hint = gettext("for example %(date)s") % {"date": DATE_EXAMPLE}
    else:
        return str(label)
    return gettext("%(field)s (%(hint)s)") % {"field": label, "hint": hint}


def correction_value_label(name: str, value: str) -> str:
    """A stored correction value as staff read it: the label of a choice, else the value."""
    return str(dict(CORRECTION_CHOICES.get(name, ())).get(value, value))


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=pgettext_lazy("correction", "Decision"),
        choices=[("1", _("Approve and apply")), ("0", _("Reject"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    response = forms.CharField(label=_("Answer to the resident"), max_length=500, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Workbook (.xlsx)"))

    MAX_BYTES = 50 * 1024 * 1024

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx workbook (save it from Excel or WPS as .xlsx)."))
        return upload


class ExportForm(forms.Form):
    node = forms.TypedChoiceField(label=_("Area"), coerce=int)
    reveal = forms.MultipleChoiceField(
        label=_("Full values"),
        required=False,
        choices=[(name, FIELD_LABELS[name]) for name in REVEAL_FIELDS],
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(label=_("Reason for full values"), max_length=200, required=False)

    def __init__(self, *args: Any, nodes: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["node"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(n.pk, f"{'　' * n.depth}{n.name}") for n in nodes]


class TagForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=50)
    description = forms.CharField(
        label=pgettext_lazy("explanatory text", "Description"), max_length=200, required=False
    )
    sensitive = forms.BooleanField(
        label=_("Sensitive (encrypted, shown only to the roles below)"), required=False
    )
    visible_roles = forms.MultipleChoiceField(
        label=_("Visible to roles"),
        required=False,
        choices=[
            (role, label)
            for role, label in Role.choices
            if role in (Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.LEADER)
        ],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Empty: every role that sees tags."),
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)
