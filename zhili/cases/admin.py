"""Administrators edit the loop's configuration here: categories, dispatch rules, SLA policies.

Holders of an ADMIN post (系统管理员) reach these pages, and only these, through the admin site
(``ConfigurationAdmin``, zhili/accounts/admin.py); superusers too. Every save and delete goes through
``actions.config`` (one transaction, one audit row), and the rulebook's stamp changes in the same
transaction, so the next intake in every process uses the new configuration. Cases themselves are
not in the admin: they change only through their transitions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zhili.accounts.admin import ConfigurationAdmin
from zhili.cases.actions.config import do_delete_case_config, do_save_case_config
from zhili.cases.models import Category, DispatchRule, SLAPolicy


class AuditedAdmin(ConfigurationAdmin):
    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        do_save_case_config(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        do_delete_case_config(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            do_delete_case_config(obj, actor=request.user)


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("code", "name", "level", "parent", "department", "requires_photo_on_feedback", "active")
    list_filter = ("level", "active", "requires_photo_on_feedback")
    search_fields = ("code", "name", "keywords")
    readonly_fields = ("level",)


@admin.register(DispatchRule)
class DispatchRuleAdmin(AuditedAdmin):
    list_display = ("category", "area", "department", "grid", "to_case_grid", "priority", "active")
    list_filter = ("active", "to_case_grid")


class SLAPolicyForm(forms.ModelForm):
    class Meta:
        model = SLAPolicy
        fields = (
            "category",
            "urgency",
            "unit",
            "accept_within",
            "contact_within",
            "finish_within",
            "emergency_mode",
        )
        labels = {"category": _("Category")}  # the model field has no verbose name of its own


@admin.register(SLAPolicy)
class SLAPolicyAdmin(AuditedAdmin):
    form = SLAPolicyForm
    list_display = ("policy_category", "urgency", "unit", "accept_within", "contact_within", "finish_within")
    list_filter = ("urgency", "unit")

    @admin.display(description=_("Category"), ordering="category")
    def policy_category(self, obj: SLAPolicy) -> Any:
        return obj.category
