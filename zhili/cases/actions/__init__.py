"""Every write to a case (see ``base`` for how a transition is taken).

- ``base``: the system actor, ``do_transition`` (lock, authorise, guard, check the edge, record);
- ``submit``: intake from every channel;
- ``transitions``: one action per transition of the table;
- ``events``: contact with the resident and escalation, which change no status.
"""

from __future__ import annotations

from zhili.cases.actions.base import (
    CODE_ALPHABET,
    CODE_LENGTH,
    SYSTEM_ACTOR,
    RejectReason,
    Step,
    clean_photos,
    do_transition,
)
from zhili.cases.actions.events import (
    allowed_transitions,
    do_record_contact,
    do_reveal_contact,
    escalate_if_unclaimed,
    may_record_contact,
    may_reveal_contact,
)
from zhili.cases.actions.submit import CodeClash, do_submit_case, new_code, retry_code_clash
from zhili.cases.actions.transitions import (
    awaiting_arbitration,
    do_accept,
    do_approve_extension,
    do_arbitrate,
    do_close,
    do_deny_extension,
    do_dispatch,
    do_merge,
    do_rate,
    do_rate_by_phone,
    do_rate_default,
    do_reject,
    do_request_extension,
    do_resolve,
    do_resume,
    do_return,
    do_send_back,
    do_sign,
    do_start,
    do_suspend,
    do_transfer,
    do_verify,
)
from zhili.cases.states import CaseStatus, Transition

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "SYSTEM_ACTOR",
    "CaseStatus",
    "CodeClash",
    "RejectReason",
    "Step",
    "Transition",
    "allowed_transitions",
    "awaiting_arbitration",
    "clean_photos",
    "do_accept",
    "do_approve_extension",
    "do_arbitrate",
    "do_close",
    "do_deny_extension",
    "do_dispatch",
    "do_merge",
    "do_rate",
    "do_rate_by_phone",
    "do_rate_default",
    "do_record_contact",
    "do_reject",
    "do_request_extension",
    "do_resolve",
    "do_resume",
    "do_return",
    "do_reveal_contact",
    "do_send_back",
    "do_sign",
    "do_start",
    "do_submit_case",
    "do_suspend",
    "do_transfer",
    "do_transition",
    "do_verify",
    "escalate_if_unclaimed",
    "may_record_contact",
    "may_reveal_contact",
    "new_code",
    "retry_code_clash",
]
