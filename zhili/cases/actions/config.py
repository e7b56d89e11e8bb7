"""Configuration of the loop (categories, dispatch rules, SLA policies, holiday arrangements): saved
with an audit row."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.cases.models import Category, DispatchRule, SLAPolicy, WorkdayOverride

CONFIG_MODELS = (Category, DispatchRule, SLAPolicy, WorkdayOverride)


def _details(obj: models.Model, verb: str) -> dict[str, Any]:
    fields = {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in ("id", "keywords")  # keyword lists can be long; their change is enough
    }
    return {"model": obj._meta.label_lower, "verb": verb, "fields": fields}


def do_save_case_config(obj: models.Model, *, actor: Any) -> models.Model:
    if not isinstance(obj, CONFIG_MODELS):
        raise TypeError(f"{type(obj).__name__} is not case configuration")
    with transaction.atomic():
        verb = "changed" if obj.pk else "created"
        if isinstance(obj, Category):
            obj.level = obj.parent.level + 1 if obj.parent_id and obj.parent else 1
        obj.full_clean()
        obj.save()
        record_audit(AuditAction.CASE_CONFIG_CHANGED, actor=actor, target=obj, details=_details(obj, verb))
    return obj


def do_delete_case_config(obj: models.Model, *, actor: Any) -> None:
    if not isinstance(obj, CONFIG_MODELS):
        raise TypeError(f"{type(obj).__name__} is not case configuration")
    with transaction.atomic():
        record_audit(
            AuditAction.CASE_CONFIG_CHANGED, actor=actor, target=obj, details=_details(obj, "deleted")
        )
        obj.delete()
