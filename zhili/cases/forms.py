"""Forms of the case pages: the resident's report, the tracking look-up, and the transition form."""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhili.accounts.models import Department
from zhili.accounts.roles import Role
from zhili.cases.actions import RejectReason
from zhili.cases.contact import MOBILE_RE, PHONE_RE, normalise_phone
from zhili.cases.models import Case, Category, Rating, Urgency
from zhili.cases.policies import staff_paths
from zhili.cases.states import Transition
from zhili.territory.models import Node, NodeKind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to six photos; their content is checked by the action (JPEG/PNG by bytes, EXIF removed)."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png", "capture": "environment"})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(PhotosField, self).clean(f, initial) for f in files if f]


def read_photos(files: list[Any]) -> list[bytes]:
    from zhili.cases.photos import max_bytes

    out = []
    for upload in files:
        # Read one byte past the limit so that the action sees an oversized photo as oversized.
        out.append(upload.read(max_bytes() + 1))
    return out


class IndentedCategoryField(forms.ModelChoiceField):
    """Sub-categories sit indented under their main category, as in the workbench's filter."""

    def label_from_instance(self, obj: Any) -> str:
        return ("· " * (obj.level - 1)) + obj.name


class ReportForm(forms.Form):
    """The resident's H5 form (居民随手拍/网上反映)."""

    title = forms.CharField(label=_("What is the problem?"), max_length=100)
    body = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    category = IndentedCategoryField(
        label=_("Category (if you know it)"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Not sure"),
    )
    address = forms.CharField(label=_("Where?"), max_length=200, required=False)
    lat = forms.FloatField(widget=forms.HiddenInput, required=False)
    lng = forms.FloatField(widget=forms.HiddenInput, required=False)
    photos = PhotosField(label=_("Photos"), required=False, help_text=_("Up to 6 photos, JPEG or PNG."))
    contact_name = forms.CharField(
        label=_("Your name"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        # Text with the phone keypad: the site's stylesheet styles text inputs, not tel ones.
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    anonymous = forms.BooleanField(
        label=_("Hide my name and number from the staff who handle it"), required=False
    )

    def __init__(self, *args: Any, logged_in: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = Category.objects.filter(active=True, level__lte=2).order_by("code")
        if not logged_in:
            # Without an account the number is how the resident follows the case and is called back.
            self.fields["contact_mobile"].required = True
            self.fields["contact_mobile"].help_text = _("Needed to track your request and for the call back.")

    def clean_contact_mobile(self) -> str:
        # The number receives the SMS with the tracking code and its last four digits open the
        # tracking page: a landline would do neither, so a resident gives a mobile number.
        value = normalise_phone(self.cleaned_data.get("contact_mobile") or "")
        if value and not MOBILE_RE.match(value):
            raise forms.ValidationError(
                _("Enter an 11-digit mobile number: it receives the SMS with your tracking code.")
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("lat") is None and data.get("lng") is None and not data.get("address"):
            raise forms.ValidationError(_("Mark the place with “Use my location” or give an address."))
        return data


class AreaField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return ("· " * max(0, obj.depth - 1)) + obj.name


class HotlineForm(forms.Form):
    """来电登记: the operator types while the caller speaks. The keyboard alone fills it: the number
    first, then the words, Tab from field to field, Ctrl+Enter sends."""

    caller_phone = forms.CharField(
        label=_("Caller's number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off", "autofocus": True}),
    )
    caller_name = forms.CharField(
        label=_("Caller's name"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    title = forms.CharField(label=_("What is it about?"), max_length=100)
    body = forms.CharField(
        label=_("What the caller says"), widget=forms.Textarea(attrs={"rows": 5}), max_length=2000
    )
    address = forms.CharField(
        label=_("Where?"),
        max_length=200,
        required=False,
        help_text=_("As the caller says it: street, community, building."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    area = AreaField(
        label=_("Area"),
        queryset=Node.objects.none(),
        required=False,
        empty_label=_("From the address"),
        help_text=_("Used when the address does not name a grid."),
    )
    category = IndentedCategoryField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Let the system suggest"),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    anonymous = forms.BooleanField(
        label=_("The caller asks that the handlers do not see their name and number"), required=False
    )

    def __init__(self, *args: Any, areas: list[Node], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ModelChoiceField)
        area.queryset = Node.objects.filter(pk__in=[n.pk for n in areas]).order_by("path")
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = Category.objects.filter(active=True, level__lte=2).order_by("code")

    def clean_caller_phone(self) -> str:
        # Callers often ring from a landline: it is taken (the case can still be tracked with its
        # last four digits), but it gets no SMS, so the page says a call-back is needed.
        value = normalise_phone(self.cleaned_data.get("caller_phone") or "")
        digits = sum(ch.isdigit() for ch in value)
        if not (MOBILE_RE.match(value) or (PHONE_RE.match(value) and digits >= 7)):
            raise forms.ValidationError(
                _("Enter the caller's number: a mobile, or a landline with its area code.")
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("address") or "").strip() and data.get("area") is None:
            raise forms.ValidationError(_("Ask where it is: give an address or pick the area."))
        return data


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    phone4 = forms.CharField(
        label=_("Last four digits of the phone number you gave"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_phone4(self) -> str:
        # A Chinese keyboard in full-width mode types ０-９: read them as the digits they are.
        digits = unicodedata.normalize("NFKC", self.cleaned_data.get("phone4") or "").strip()
        if len(digits) != 4 or not (digits.isascii() and digits.isdigit()):
            raise forms.ValidationError(
                _("Enter the last four digits of the phone number you gave (mobile or landline).")
            )
        return digits


# Which inputs each transition asks for on the case page.
TRANSITION_FIELDS: dict[str, tuple[str, ...]] = {
    Transition.ACCEPT: ("category", "note"),
    Transition.REJECT: ("reject_reason", "note"),
    Transition.DISPATCH: ("department", "grid", "category", "note"),
    Transition.SIGN: ("note",),
    Transition.START: ("note",),
    Transition.RETURN: ("reason",),
    Transition.ARBITRATE: ("department", "grid", "category", "note"),
    Transition.TRANSFER: ("department", "grid", "category", "reason"),
    Transition.REQUEST_EXTENSION: ("until", "reason"),
    Transition.APPROVE_EXTENSION: ("note",),
    Transition.DENY_EXTENSION: ("note",),
    Transition.SUSPEND: ("reason",),
    Transition.RESUME: ("note",),
    Transition.RESOLVE: ("feedback", "photos"),
    Transition.VERIFY: ("note", "photos"),
    Transition.SEND_BACK: ("reason", "photos"),
    Transition.RATE: ("rating", "comment"),
    Transition.RATE_BY_PHONE: ("rating", "comment"),
    Transition.CLOSE: ("note",),
    Transition.MERGE: ("into", "note"),
}


class TransitionForm(forms.Form):
    """All inputs any transition may need; the page shows the ones of ``TRANSITION_FIELDS``."""

    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reject_reason = forms.ChoiceField(label=_("Reason"), required=False, choices=RejectReason.CHOICES)
    feedback = forms.CharField(label=_("Feedback"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Node.objects.none(), required=False)
    # The dispatcher's confirmation or correction of the category (the classifier learns from it).
    category = IndentedCategoryField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        help_text=_("Choose the case's category to confirm it, or another one to correct it."),
    )
    until = forms.DateTimeField(
        label=_("New deadline"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    rating = forms.ChoiceField(label=_("Rating"), required=False, choices=[("", "—"), *Rating.choices])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)
    into = forms.CharField(label=_("Tracking code of the main case"), required=False, max_length=16)
    photos = PhotosField(label=_("Photos"), required=False)

    def __init__(self, *args: Any, case: Case, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ancestors = case.node.ancestors()
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = Department.objects.filter(node_id__in=ancestors).order_by("code")
        paths = staff_paths(user, {Role.DISPATCHER, Role.SUPERVISOR})
        grids = Node.objects.filter(kind=NodeKind.GRID)
        if paths:
            from django.db.models import Q

            scope = Q()
            for path in paths:
                scope |= Q(path__startswith=path)
            grids = grids.filter(scope)
        else:
            grids = grids.none()
        grid = self.fields["grid"]
        assert isinstance(grid, forms.ModelChoiceField)
        grid.queryset = grids.order_by("sort_key")
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = Category.objects.filter(active=True).order_by("code")
        current = case.category if case.category_id else None
        category.empty_label = (
            _("Keep “%(name)s”") % {"name": current.name} if current is not None else _("Not chosen")
        )

    def clean_until(self) -> Any:
        until = self.cleaned_data.get("until")
        if until is not None and timezone.is_naive(until):
            until = timezone.make_aware(until)
        if until is None and self.prefix == Transition.REQUEST_EXTENSION and not self.has_error("until"):
            # The page's own words (the API's error speaks of ISO times with their time zone).
            raise forms.ValidationError(_("Choose the new deadline."), code="required")
        return until


class WorkbenchFilterForm(forms.Form):
    """The workbench's filters (GET). Choices are the user's area; a bad value is a form error."""

    queue = forms.CharField(required=False, max_length=16)
    # A search box: the list follows as one types (the form's keyup trigger listens to search inputs).
    q = forms.CharField(
        label=_("Code or text"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    phone = forms.CharField(
        label=_("Reporter's phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    sla_state = forms.ChoiceField(label=_("Time limit"), required=False)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    grid = forms.TypedChoiceField(label=_("Grid"), required=False, coerce=int, empty_value=None)
    department = forms.TypedChoiceField(label=_("Department"), required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    mine = forms.BooleanField(required=False)

    def __init__(self, *args: Any, choices: dict[str, Any], queues: list[str], **kwargs: Any) -> None:
        from zhili.cases.models import SlaState
        from zhili.cases.states import CaseStatus

        super().__init__(*args, **kwargs)
        self.queues = queues
        every = [("", _("All"))]
        self.fields["status"].choices = every + list(CaseStatus.choices)  # type: ignore[attr-defined]
        self.fields["sla_state"].choices = every + list(SlaState.choices)  # type: ignore[attr-defined]
        self.fields["category"].choices = every + [  # type: ignore[attr-defined]
            (str(c.pk), ("· " * (c.level - 1)) + c.name) for c in choices["categories"]
        ]
        self.fields["grid"].choices = every + [(str(g.pk), g.name) for g in choices["grids"]]  # type: ignore[attr-defined]
        self.fields["department"].choices = every + [  # type: ignore[attr-defined]
            (str(d.pk), d.name) for d in choices["departments"]
        ]

    def clean_queue(self) -> str:
        queue = self.cleaned_data.get("queue") or ""
        return queue if queue in self.queues else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class BulkDispatchForm(forms.Form):
    """Several cases of the dispatcher's queue to one department or grid."""

    ids = forms.TypedMultipleChoiceField(
        label=_("Cases"),
        coerce=int,
        choices=(),
        error_messages={"required": _("Tick the cases to dispatch first.")},
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Node.objects.none(), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, targets: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = Department.objects.filter(pk__in=[d.pk for d in targets["departments"]])
        grid = self.fields["grid"]
        assert isinstance(grid, forms.ModelChoiceField)
        grid.queryset = Node.objects.filter(pk__in=[g.pk for g in targets["grids"]])
        # Any id is accepted here; each case is loaded through the user's scope when it is dispatched.
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw[:200]]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("department")) == bool(data.get("grid")):
            raise forms.ValidationError(_("Choose either a department or a grid."))
        return data


class PatrolForm(forms.Form):
    """巡查上报 in three taps: the place comes from the phone, a chip picks the category (and the
    title), the photo and the note are optional."""

    category = forms.ModelChoiceField(
        label=_("What did you find?"), queryset=Category.objects.none(), widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = PhotosField(label=_("Photo"), required=False)
    lat = forms.FloatField(widget=forms.HiddenInput, required=False)
    lng = forms.FloatField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = Category.objects.filter(pk__in=[c.pk for c in categories]).order_by("code")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise forms.ValidationError(_("The location is incomplete: try again."))
        return data


class TrackRateForm(TrackForm):
    """The resident's rating from the tracking page (the code and the digits prove who they are)."""

    rating = forms.ChoiceField(
        label=_("How satisfied are you?"), choices=Rating.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class SupportForm(forms.Form):
    token = forms.CharField(max_length=200)
    contact_mobile = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
