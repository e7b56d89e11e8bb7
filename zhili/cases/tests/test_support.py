"""附议 (+1) and the reporter's proof (tracking code + last four digits) as an actor."""

from __future__ import annotations

import pytest

from zhili.audit.models import AuditEvent
from zhili.cases import actions as a
from zhili.cases.actions.base import ReporterProof
from zhili.cases.actions.support import do_support_case
from zhili.cases.models import Case, CaseSupport
from zhili.cases.states import CaseStatus as S
from zhili.core import crypto
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_a_supporter_is_counted_once_per_number_and_hears_about_the_case(walker, region):
    case = walker.to(S.PENDING)
    do_support_case(case, actor=None, contact_mobile="13700001111")
    with pytest.raises(DomainError) as again:
        do_support_case(case, actor=None, contact_mobile="137 0000 1111")
    assert again.value.code == "already_supported"
    with pytest.raises(DomainError) as nameless:
        do_support_case(case, actor=None)  # neither an account nor a number: it could be anyone, again
    assert nameless.value.code == "mobile_required"
    do_support_case(case, actor=region.user("grid_worker_b"))
    assert CaseSupport.objects.filter(case=case).count() == 2
    event = case.events.get(kind="support", data__supports=2)
    assert "13700001111" not in str(event.data)
    assert AuditEvent.objects.filter(target_id=str(case.pk), action="cases.event").exists()

    def sms_to_supporter():
        return [
            n
            for n in Notification.objects.filter(channel="sms")
            if crypto.decrypt(n.address_enc) == "13700001111"
        ]

    assert sms_to_supporter() == []
    a.do_dispatch(case, actor=region.user("dispatcher"), department=region.department)
    told = sms_to_supporter()
    assert len(told) == 1 and case.code in told[0].subject
    assert Notification.objects.filter(recipient=region.user("grid_worker_b"), subject__contains=case.code)


def test_closed_cases_take_no_support(walker):
    case = walker.to(S.MERGED)
    with pytest.raises(DomainError) as refused:
        do_support_case(case, actor=None, contact_mobile="13700001111")
    assert refused.value.code == "case_not_open"
    assert not CaseSupport.objects.exists()


def test_the_reporters_proof_rates_only_its_own_case_and_only_rates(walker):
    case = walker.to(S.VERIFIED)
    other = walker.to(S.VERIFIED)
    with pytest.raises(NotFound):
        a.do_rate(other, actor=ReporterProof(case.pk), rating="satisfied")
    with pytest.raises(Forbidden):
        a.do_close(case, actor=ReporterProof(case.pk))
    a.do_rate(case, actor=ReporterProof(case.pk), rating="basically", comment="还行")
    case = Case.objects.get(pk=case.pk)
    assert case.status == S.RATED
    evaluation = case.evaluations.get()
    assert evaluation.rating == "basically" and evaluation.actor is None and evaluation.source == "resident"
