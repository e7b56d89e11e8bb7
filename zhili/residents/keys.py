"""Key rotation: re-encrypt every stored token with the current (first) data key.

Which columns: every text column named ``*_enc`` of every installed model (the registry's ID
numbers, mobiles and sealed tags, case contacts, notification addresses …), so that an app adding
an encrypted column is covered without registering it.

Resumable and idempotent: a run only picks tokens whose key id is not the current one, walks
each table by primary key in batches, and commits every batch with its own audit row. Stopped
half-way, the next run carries on with what is left; run twice, the second finds nothing.

Blind indexes are not touched: they are keyed from ZHILI_INDEX_KEY_ID, which must stay the key the
indexes were made with. ``index_key_matches`` checks a sample before a run so that a forgotten pin
is caught before anyone's search stops working.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.crypto import blind_index, current_key_id, decrypt, encrypt, token_key_id

DEFAULT_BATCH = 1000
SAMPLE = 20


def encrypted_columns() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_models():
        names = [
            f.name
            for f in model._meta.concrete_fields
            if f.name.endswith("_enc") and isinstance(f, models.TextField | models.CharField)
        ]
        if names and not model._meta.proxy:
            found.append((model, names))
    return sorted(found, key=lambda item: item[0]._meta.label)


def _stale_q(names: list[str], prefix: str) -> Q:
    q = Q()
    for name in names:
        q |= Q(**{f"{name}__gt": ""}) & ~Q(**{f"{name}__startswith": prefix})
    return q


@dataclass
class RotationResult:
    key_id: str
    batches: int = 0
    rows: int = 0
    values: int = 0
    per_column: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "batches": self.batches,
            "rows": self.rows,
            "values": self.values,
            "per_column": self.per_column,
        }


def key_status() -> dict[str, dict[str, int]]:
    """For every encrypted column, how many tokens each key id holds."""
    status: dict[str, dict[str, int]] = {}
    for model, names in encrypted_columns():
        for name in names:
            counts: dict[str, int] = {}
            tokens = model._default_manager.filter(**{f"{name}__gt": ""}).values_list(name, flat=True)
            for token in tokens.iterator(chunk_size=5000):
                kid = token_key_id(token)
                counts[kid] = counts.get(kid, 0) + 1
            status[f"{model._meta.label}.{name}"] = counts
    return status


def index_key_matches() -> bool | None:
    """Do stored blind indexes still match the configured index key? None when nothing to compare."""
    from zhili.residents.models import ID_NUMBER_INDEX, MOBILE_INDEX, Person

    sample = (
        Person.objects.exclude(id_number_enc="")
        .exclude(id_number_bidx="")
        .values_list("id_number_enc", "id_number_bidx")[:SAMPLE]
    )
    pairs = [(ID_NUMBER_INDEX, token, bidx) for token, bidx in sample]
    if not pairs:
        mobiles = Person.objects.exclude(mobile_enc="").exclude(mobile_bidx="")
        pairs = [
            (MOBILE_INDEX, token, bidx)
            for token, bidx in mobiles.values_list("mobile_enc", "mobile_bidx")[:SAMPLE]
        ]
    if not pairs:
        return None
    return all(blind_index(kind, decrypt(token)) == bidx for kind, token, bidx in pairs)


def rotate_keys(
    *,
    batch: int = DEFAULT_BATCH,
    actor: Any = None,
    progress: Callable[[str, int], None] | None = None,
) -> RotationResult:
    if batch < 1:
        raise ValueError("batch must be at least 1")
    key_id = current_key_id()
    prefix = f"{key_id}:"
    result = RotationResult(key_id=key_id)
    for model, names in encrypted_columns():
        label = model._meta.label
        manager = model._default_manager
        stale = _stale_q(names, prefix)
        last_pk: Any = None
        while True:
            page = manager.filter(stale)
            if last_pk is not None:
                page = page.filter(pk__gt=last_pk)
            pks = list(page.order_by("pk").values_list("pk", flat=True)[:batch])
            if not pks:
                break
            last_pk = pks[-1]
            with transaction.atomic():
                rows = list(manager.select_for_update().filter(pk__in=pks).only("pk", *names))
                changed_values = 0
                columns: dict[str, int] = {}
                for row in rows:
                    for name in names:
                        token = getattr(row, name)
                        if token and not token.startswith(prefix):
                            setattr(row, name, encrypt(decrypt(token)))
                            changed_values += 1
                            columns[name] = columns.get(name, 0) + 1
                manager.bulk_update(rows, names)
                record_audit(
                    AuditAction.KEYS_ROTATED,
                    actor=actor,
                    details={"model": label, "rows": len(rows), "values": columns, "key_id": key_id},
                )
            result.batches += 1
            result.rows += len(rows)
            result.values += changed_values
            for name, count in columns.items():
                key = f"{label}.{name}"
                result.per_column[key] = result.per_column.get(key, 0) + count
            if progress is not None:
                progress(label, len(rows))
    return result
