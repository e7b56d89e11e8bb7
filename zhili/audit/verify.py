"""Checking the hash chain: every row's hash recomputed from its fields, every link followed.

The rows are read in id order, ``batch_size`` at a time by keyset (``id > last``), so memory stays
flat for any length of log and no long-running cursor or transaction is held. Ids follow chain
order because ``record_audit`` takes the chain lock before it inserts.

What the chain proves and what it does not: a row changed, removed, reordered, or inserted with a
hash that does not fit is found, at the first row where it shows. Someone with database access
who rewrites every hash from some row to the end is not found by the chain alone; the head hash
in the result is there to be written down outside the database (a report, a ticket) and compared
later.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from zhili.audit.actions import GENESIS_HASH, compute_hash, payload_of
from zhili.audit.models import AuditEvent

DEFAULT_BATCH_SIZE = 2000


class Reason(enum.StrEnum):
    # The row's fields no longer give its stored hash: edited in place, or written with a made-up hash.
    CHANGED = "changed"
    # The row's prev_hash is not the hash of the row before it: rows removed in between, or moved.
    REMOVED_OR_REORDERED = "removed-or-reordered"
    # The chain runs past the row as if it were not there (the next row links to the row before
    # it): the row was added outside record_audit.
    INSERTED = "inserted"


REASON_LABELS = {
    Reason.CHANGED: _("changed after it was written"),
    Reason.REMOVED_OR_REORDERED: _("rows before it removed or reordered"),
    Reason.INSERTED: _("inserted out of band"),
}


@dataclass(frozen=True)
class ChainResult:
    ok: bool
    count: int  # rows checked (all rows when ok; up to and including the first bad one otherwise)
    first_bad_id: int | None = None
    reason: str | None = None
    head_hash: str = GENESIS_HASH  # hash of the last good row: write it down to anchor the chain

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reason"] = str(self.reason) if self.reason else None
        return data


def _next_after(event_id: int) -> AuditEvent | None:
    return AuditEvent.objects.filter(id__gt=event_id).order_by("id").first()


def _is_later_hash(hash_: str, event_id: int) -> bool:
    return AuditEvent.objects.filter(hash=hash_, id__gt=event_id).exists()


def verify_chain(*, batch_size: int = DEFAULT_BATCH_SIZE) -> ChainResult:
    expected = GENESIS_HASH  # what the next row's prev_hash must be
    before: tuple[int, str] | None = None  # (id, prev_hash) of the last good row
    count = 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return ChainResult(ok=True, count=count, head_hash=expected)
        for event in batch:
            count += 1
            linked = event.prev_hash == expected
            intact = compute_hash(event.prev_hash, payload_of(event)) == event.hash
            if linked and intact:
                before = (event.id, event.prev_hash)
                expected = event.hash
                continue
            if not linked and before is not None and event.prev_hash == before[1]:
                # This row links to the row before the last good one: that one is the stranger,
                # even though its own hash is consistent.
                stranger_id, head = before
                return ChainResult(
                    ok=False,
                    count=count - 1,
                    first_bad_id=stranger_id,
                    reason=Reason.INSERTED,
                    head_hash=head,
                )
            following = _next_after(event.id)
            if not linked and _is_later_hash(event.prev_hash, event.id):
                reason = Reason.REMOVED_OR_REORDERED  # it links to a row that comes after it: moved
            elif following is not None and following.prev_hash == expected:
                reason = Reason.INSERTED
            elif not linked:
                reason = Reason.REMOVED_OR_REORDERED
            else:
                reason = Reason.CHANGED
            return ChainResult(
                ok=False, count=count, first_bad_id=event.id, reason=reason, head_hash=expected
            )
        last_id = batch[-1].id
