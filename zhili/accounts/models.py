from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.accounts.roles import Role


class User(AbstractUser):
    """A person who logs in. Staff scope comes only from memberships, never from is_staff."""

    display_name = models.CharField(pgettext_lazy("person", "Name"), max_length=50, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=pgettext_lazy("organisation unit", "Department"),
    )

    class Meta:
        verbose_name = _("User")
        verbose_name_plural = _("User")

    def __str__(self) -> str:
        return self.display_name or self.username


class Department(models.Model):
    """A functional department (职能部门) that handles cases, e.g. 城管科, 民政科."""

    name = models.CharField(_("Name"), max_length=100, unique=True)
    code = models.CharField(_("Code"), max_length=32, unique=True)
    node = models.ForeignKey(
        "territory.Node",
        on_delete=models.PROTECT,
        related_name="departments",
        verbose_name=pgettext_lazy("assigned area", "Territory"),
    )

    class Meta:
        verbose_name = pgettext_lazy("organisation unit", "Department")
        verbose_name_plural = pgettext_lazy("organisation unit", "Department")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """(user, role, node): the user acts in ``role`` over ``node``'s subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("User")
    )
    role = models.CharField(_("Role"), max_length=32, choices=Role.choices)
    node = models.ForeignKey(
        "territory.Node",
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=pgettext_lazy("assigned area", "Territory"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(_("Granted at"), auto_now_add=True)
    active = models.BooleanField(pgettext_lazy("staff post", "Active"), default=True)

    class Meta:
        verbose_name = _("Membership")
        verbose_name_plural = _("Membership")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "node"],
                condition=models.Q(active=True),
                name="accounts_membership_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.node}"
