"""Forms of the party pages. They only shape input; the actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.authz.policies import path_q
from zhili.party import policies
from zhili.party.models import ActivityKind, OrgKind, PartyMember, PartyOrg
from zhili.party.policies import Perm
from zhili.residents.models import Gender
from zhili.territory.models import Node

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NodeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{'　' * max(0, obj.depth - 1)}{obj.name}"


class OrgChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{'　' * max(0, obj.node.depth - 1)}{obj.name}"


def _staff_users(user: Any) -> Any:
    """Logins of staff working in the user's scope; residents are never offered. One filter call, so
    that activity, role and place are those of one and the same membership."""
    paths = policies.scope(user, Perm.MANAGE)
    return (
        get_user_model()
        .objects.filter(
            path_q(paths, "memberships__node__path"),
            is_active=True,
            memberships__active=True,
            memberships__role__in=policies.STAFF_ROLES,
        )
        .distinct()
        .order_by("username")
    )


class OrgForm(forms.Form):
    node = NodeChoice(label=_("Territory"), queryset=Node.objects.none())
    kind = forms.ChoiceField(label=pgettext_lazy("party organisation", "Kind"), choices=OrgKind.choices)
    name = forms.CharField(label=pgettext_lazy("party organisation", "Name"), max_length=100)
    secretary_name = forms.CharField(label=_("Secretary"), max_length=50, required=False)
    secretary_user = forms.ModelChoiceField(
        label=_("Secretary's login"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        node = self.fields["node"]
        assert isinstance(node, forms.ModelChoiceField)
        node.queryset = Node.objects.filter(
            path_q(policies.scope(user, Perm.MANAGE), "path"), party_org__isnull=True
        ).order_by("sort_key")
        if editing:
            del self.fields["node"]
        secretary = self.fields["secretary_user"]
        assert isinstance(secretary, forms.ModelChoiceField)
        secretary.queryset = _staff_users(user)


class MemberForm(forms.Form):
    org = OrgChoice(label=_("Party organisation"), queryset=PartyOrg.objects.none())
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    joined_on = forms.DateField(label=_("Joined the party on"), widget=DATE)
    standing = forms.ChoiceField(label=_("Standing"), choices=PartyMember.Standing.choices)
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    clear_mobile = forms.BooleanField(label=_("Remove the mobile number"), required=False)
    person_id = forms.IntegerField(
        label=_("Registered resident (number of the record)"), required=False, min_value=1
    )

    def __init__(
        self, *args: Any, user: Any, editing: bool = False, masked_mobile: str = "", **kwargs: Any
    ) -> None:
        """The mobile is never pre-filled: on edit it shows masked as a hint, and left empty it stays."""
        super().__init__(*args, **kwargs)
        org = self.fields["org"]
        assert isinstance(org, forms.ModelChoiceField)
        org.queryset = (
            policies.orgs_within(user, Perm.MANAGE).select_related("node").order_by("node__sort_key")
        )
        if editing:
            del self.fields["org"]
            self.fields["mobile"].widget.attrs["placeholder"] = masked_mobile
            self.fields["mobile"].help_text = _("Leave empty to keep the current value.")
        else:
            del self.fields["clear_mobile"]


class TransferForm(forms.Form):
    to_org = OrgChoice(label=_("Transfer to"), queryset=PartyOrg.objects.none())
    on = forms.DateField(label=_("Date"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, member: PartyMember, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = self.fields["to_org"]
        assert isinstance(org, forms.ModelChoiceField)
        org.queryset = (
            policies.orgs_within(user, Perm.MANAGE)
            .exclude(pk=member.org_id)
            .select_related("node")
            .order_by("node__sort_key")
        )


class MoveOutForm(forms.Form):
    on = forms.DateField(label=_("Moved out on"), widget=DATE)
    destination = forms.CharField(label=_("Moved to"), max_length=200)


class ActivityForm(forms.Form):
    org = OrgChoice(label=_("Party organisation"), queryset=PartyOrg.objects.none())
    kind = forms.ChoiceField(label=pgettext_lazy("party activity", "Kind"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    date = forms.DateField(label=_("Date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=120, required=False)
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    open_to_residents = forms.BooleanField(
        label=_("Open to residents' sign-up"),
        required=False,
        help_text=_("Volunteer services only: residents where the organisation stands can sign up."),
    )
    places = forms.IntegerField(
        label=_("Places"),
        required=False,
        min_value=1,
        max_value=9999,
        help_text=_("Leave empty for no limit."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = self.fields["org"]
        assert isinstance(org, forms.ModelChoiceField)
        org.queryset = policies.orgs_within(user, Perm.PLAN).select_related("node").order_by("node__sort_key")
