from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.accounts.models import Department
from zhili.accounts.policies import STAFF_ROLES
from zhili.accounts.selectors import departments_in, node_labels, nodes_in
from zhili.core.errors import DomainError
from zhili.territory.models import Node


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("The username or password is incorrect."),
        "inactive": _("This account has been disabled. Please contact your administrator."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class NodeChoiceField(forms.ModelChoiceField):
    """Nodes of the administrator's subtree, labelled with their path of names."""

    def __init__(self, scope: list[str], **kwargs: Any) -> None:
        nodes = list(nodes_in(scope))
        self.labels = node_labels(nodes)
        super().__init__(queryset=nodes_in(scope), **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        node: Node = obj
        return f"{self.labels.get(node.pk, node.name)} ({node.get_kind_display()})"


def role_choices() -> list[tuple[str, Any]]:
    return [(role.value, role.label) for role in STAFF_ROLES]


class DomainErrorFormMixin:
    def add_domain_error(self, exc: DomainError) -> None:
        form: Any = self
        field = exc.params.get("field")
        form.add_error(field if field in form.fields else None, exc.message)


class GrantMembershipForm(DomainErrorFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=role_choices)
    node = forms.ModelChoiceField(
        label=pgettext_lazy("assigned area", "Territory"), queryset=Node.objects.none()
    )

    def __init__(self, *args: Any, scope: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"] = NodeChoiceField(scope, label=pgettext_lazy("assigned area", "Territory"))


def email_field() -> forms.EmailField:
    return forms.EmailField(
        label=_("E-mail address"),
        required=False,
        max_length=254,
        help_text=_("Optional. Receives e-mail copies of escalation reminders and arbitration requests."),
        error_messages={
            "invalid": _("This is not a valid e-mail address; write it like name@example.gov.cn."),
        },
        widget=forms.EmailInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class SetEmailForm(DomainErrorFormMixin, forms.Form):
    email = email_field()


class CreateUserForm(GrantMembershipForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @/./+/-/_ only; used to log in."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    display_name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    email = email_field()
    department = forms.ModelChoiceField(
        label=pgettext_lazy("organisation unit", "Department"),
        queryset=Department.objects.none(),
        required=False,
    )
    password1 = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password and not all digits."),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = [
        "username",
        "display_name",
        "email",
        "department",
        "role",
        "node",
        "password1",
        "password2",
    ]

    def __init__(self, *args: Any, scope: list[str], **kwargs: Any) -> None:
        super().__init__(*args, scope=scope, **kwargs)
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = departments_in(scope)
        self.fields["role"].label = _("First post: role")
        self.fields["node"].label = _("First post: territory")
        self.order_fields(self.field_order)

    def clean_username(self) -> str:
        from zhili.accounts.models import User

        username = str(self.cleaned_data["username"])
        User.username_validator(username)
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords do not match."))
        return cleaned
