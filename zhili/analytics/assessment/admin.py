"""Administrators may register indicator sets here too; runs are read-only (they change only through
compute, publish and correct)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from zhili.analytics.assessment.forms import IndicatorForm
from zhili.analytics.assessment.models import AssessmentRun, Indicator, IndicatorSet


class IndicatorInline(admin.TabularInline):
    model = Indicator
    form = IndicatorForm
    extra = 1


@admin.register(IndicatorSet)
class IndicatorSetAdmin(admin.ModelAdmin):
    list_display = ["name", "subject_kind", "node", "valid_from", "valid_to"]
    list_filter = ["subject_kind"]
    inlines = [IndicatorInline]

    def save_related(self, request: Any, form: Any, formsets: Any, change: Any) -> None:
        from zhili.analytics.assessment.actions import do_save_indicator_set

        # One audited step for the set and its indicators, as in the editor page.
        inline = formsets[0] if formsets else None
        if inline is not None:
            do_save_indicator_set(form=form, formset=inline, actor=request.user)
        else:
            super().save_related(request, form, formsets, change)

    def save_model(self, request: Any, obj: Any, form: Any, change: Any) -> None:
        # Saved with its indicators in save_related (do_save_indicator_set).
        return None


@admin.register(AssessmentRun)
class AssessmentRunAdmin(admin.ModelAdmin):
    list_display = ["month", "node", "indicator_set", "version", "state", "computed_at", "published_at"]
    list_filter = ["state"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
