from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class HouseholdForm(forms.Form):
    number = forms.CharField(
        label=_("Unit number"),
        max_length=50,
        help_text=_("As written on the door, e.g. 2-301 (unit 2, room 301)."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
