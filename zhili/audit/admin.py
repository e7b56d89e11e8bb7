"""Read-only admin for the audit log: nothing here may add, change or delete an event."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from zhili.audit.models import AuditEvent, ChainVerification


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "actor_label", "action", "target_type", "target_id", "node_path"]
    list_filter = ["action"]
    search_fields = ["actor_label", "target_id", "node_path"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False  # a COUNT over millions of rows on every page is not worth it
    ordering = ["-id"]


@admin.register(ChainVerification)
class ChainVerificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "requested_at", "requested_by", "status", "ok", "count", "first_bad_id", "reason"]
