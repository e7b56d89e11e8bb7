"""附议 (+1): a resident adds their voice to an open case instead of filing a duplicate."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zhili.audit.models import AuditAction
from zhili.cases.actions.base import _actor_user, _lock, _record
from zhili.cases.contact import MOBILE_RE, normalise_phone, phone_index, seal
from zhili.cases.models import Case, CaseSupport
from zhili.cases.states import OPEN_STATUSES
from zhili.core.errors import DomainError


def do_support_case(case: Case | int, *, actor: Any, contact_mobile: str = "") -> Case:
    """Count one more voice on an open case. It takes an account or a mobile number: the supporter
    hears about the case's milestones (like the reporter of a merged duplicate), and the same account
    or number counts once. Anyone may do it: the public form finds the case for them and passes it
    signed."""
    mobile = normalise_phone(contact_mobile) if contact_mobile else ""
    if mobile and not MOBILE_RE.match(mobile):
        raise DomainError("mobile_invalid", _("The phone number is not valid."), status=422)
    user = _actor_user(actor)
    if user is None and not mobile:
        # Without an account or a number, a second browser would count the same person again.
        raise DomainError(
            "mobile_required",
            _("Type your mobile number in the form first: each number counts once."),
            status=422,
        )
    with transaction.atomic():
        locked = _lock(case)
        if locked.status not in OPEN_STATUSES or locked.merged_into_id is not None:
            raise DomainError("case_not_open", _("The case is no longer open."), status=409)
        try:
            with transaction.atomic():
                CaseSupport.objects.create(
                    case=locked,
                    supporter=user,
                    contact_mobile_enc=seal(mobile),
                    contact_mobile_bidx=phone_index(mobile),
                )
        except IntegrityError:
            raise DomainError(
                "already_supported", _("You have already added your voice to this request."), status=409
            ) from None
        count = CaseSupport.objects.filter(case=locked).count()
        # The number stays out of the event and the audit row; only the count is recorded.
        _record(
            locked,
            "support",
            actor=actor,
            data={"supports": count, "notify": bool(mobile or user)},
            audit_action=AuditAction.CASE_EVENT,
        )
    return locked
