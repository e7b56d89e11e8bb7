"""Administrators edit the loop's configuration here: categories, dispatch rules, SLA policies.

Holders of an ADMIN post (系统管理员) at a root of the territory reach these pages, and only these,
through the admin site (``ConfigurationAdmin``, zhili/accounts/admin.py); superusers too. Every save
and delete goes through ``actions.config`` (one transaction, one audit row), and the rulebook's
stamp changes in the same transaction, so the next intake in every process uses the new
configuration. Cases themselves are not in the admin: they change only through their transitions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhili.accounts.admin import ConfigurationAdmin
from zhili.cases import sla
from zhili.cases.actions.config import do_delete_case_config, do_save_case_config
from zhili.cases.models import Category, DispatchRule, SLAPolicy, WorkdayOverride
from zhili.cases.rulebook import rulebook
from zhili.territory.models import Node, NodeKind


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
    list_select_related = ("parent", "department")


class DispatchRuleForm(forms.ModelForm):
    class Meta:
        model = DispatchRule
        fields = ("category", "area", "department", "grid", "to_case_grid", "priority", "active")

    def clean_priority(self) -> int:
        priority = self.cleaned_data["priority"]
        if priority is not None and priority < 0:
            raise ValidationError(
                _("The priority cannot be negative: 0 is the lowest, a larger number wins."),
                code="negative_priority",
            )
        return priority

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        # The model's constraint (cases_dispatchrule_one_target): exactly one of a department, a
        # grid, or the case's own grid.
        targets = [
            cleaned.get("department") is not None,
            cleaned.get("grid") is not None,
            bool(cleaned.get("to_case_grid")),
        ]
        if sum(targets) != 1 and not ({"department", "grid"} & set(self.errors)):
            raise ValidationError(
                _("A dispatch rule needs exactly one target: a department, a grid, or the case's own grid."),
                code="one_target",
            )
        return cleaned

    def _get_validation_exclusions(self) -> set[str]:
        # The fields the model validation skips: once clean() has refused the targets, the
        # constraint is not checked again (it would add its raw "约束 … 是无效的" to the message).
        exclude: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        if self.has_error(NON_FIELD_ERRORS, "one_target"):
            exclude |= {"department", "grid", "to_case_grid"}
        return exclude


@admin.register(DispatchRule)
class DispatchRuleAdmin(AuditedAdmin):
    form = DispatchRuleForm
    list_display = ("category", "area", "department", "grid", "to_case_grid", "priority", "active")
    list_filter = ("active", "to_case_grid")
    list_select_related = ("category", "area", "department", "grid")

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "grid":  # a rule's grid is a grid, never a street or a community
            kwargs["queryset"] = Node.objects.filter(kind=NodeKind.GRID)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        limits = ("accept_within", "contact_within", "finish_within")
        for name in limits:
            value = cleaned.get(name)
            if value is not None and value <= 0:
                self.add_error(name, ValidationError(_("A time limit must be more than 0."), code="zero"))
        finish = cleaned.get("finish_within")
        if finish is None or "finish_within" in self.errors:
            return cleaned
        accept, contact = cleaned.get("accept_within"), cleaned.get("contact_within")
        if accept is not None and "accept_within" not in self.errors and accept > finish:
            self.add_error(
                "accept_within",
                ValidationError(_("Signing for a case cannot take longer than finishing it."), code="order"),
            )
        if contact is not None and "contact_within" not in self.errors and contact > finish:
            self.add_error(
                "contact_within",
                ValidationError(
                    _("Contacting the resident cannot take longer than finishing the case."), code="order"
                ),
            )
        return cleaned


@admin.register(SLAPolicy)
class SLAPolicyAdmin(AuditedAdmin):
    form = SLAPolicyForm
    list_display = ("category", "urgency", "unit", "accept_within", "contact_within", "finish_within")
    list_filter = ("urgency", "unit")
    list_select_related = ("category",)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        warn_unknown_years(request)
        return super().changelist_view(request, extra_context)


# A holiday notice gives ranges (春节 7 days); more than this in one entry is a typing mistake.
MAX_RANGE_DAYS = 31


class WorkdayOverrideForm(forms.ModelForm):
    through = forms.DateField(
        label=_("Through"),
        required=False,
        help_text=_("Optional: the last day of a range (e.g. the seven days of 春节), one entry per day."),
    )

    class Meta:
        model = WorkdayOverride
        fields = ("day", "through", "is_workday", "name")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        day, through = cleaned.get("day"), cleaned.get("through")
        if day is None or through is None:
            return cleaned
        if through < day:
            message = _("The last day cannot be before the first.")
            raise ValidationError({"through": message}, code="backwards")
        if (through - day).days + 1 > MAX_RANGE_DAYS:
            raise ValidationError(
                {"through": _("At most %(days)d days in one entry.") % {"days": MAX_RANGE_DAYS}},
                code="too_long",
            )
        days = [day + timedelta(days=i) for i in range((through - day).days + 1)]
        taken = WorkdayOverride.objects.filter(day__in=days[1:]).values_list("day", flat=True)
        if taken:
            raise ValidationError(
                {
                    "through": _("Already entered: %(days)s. Change those entries instead.")
                    % {"days": "、".join(f"{d:%Y-%m-%d}" for d in sorted(taken))}
                },
                code="taken",
            )
        return cleaned


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(AuditedAdmin):
    form = WorkdayOverrideForm
    list_display = ("day", "weekday", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "day"
    search_fields = ("name",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["day", "through", "is_workday", "name"]
        return fields if obj is None else [f for f in fields if f != "through"]

    @admin.display(description=_("Weekday"))
    def weekday(self, obj: WorkdayOverride) -> str:
        return "一二三四五六日"[obj.day.weekday()]

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        through = form.cleaned_data.get("through")
        assert isinstance(obj, WorkdayOverride)
        if change or through is None or through == obj.day:
            super().save_model(request, obj, form, change)
            return
        with transaction.atomic():  # a range goes in whole or not at all
            for offset in range((through - obj.day).days + 1):
                entry = WorkdayOverride(
                    day=obj.day + timedelta(days=offset), is_workday=obj.is_workday, name=obj.name
                )
                do_save_case_config(entry, actor=request.user)
        obj.pk = WorkdayOverride.objects.get(day=obj.day).pk  # the admin's "saved" message links the first

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        warn_unknown_years(request)
        return super().changelist_view(request, extra_context)


def warn_unknown_years(request: HttpRequest) -> None:
    """From November on, SLA clocks already reach into the next year: say so when neither the
    package nor an entry here knows its holidays."""
    today = timezone.localdate()
    years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    rulebook()  # brings the entries to the calendar
    for year in years:
        if not sla.calendar_known(year):
            messages.warning(
                request,
                gettext(
                    "The holidays of %(year)d are not known yet: until the State Council's notice is entered "
                    "here, SLA clocks count Monday to Friday as working days, except 元旦, 劳动节 and "
                    "国庆节."
                )
                % {"year": year},
            )
