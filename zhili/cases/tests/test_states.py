"""The transition table against the actions: every edge is walked by its action, nothing else is allowed."""

from __future__ import annotations

import inspect
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from zhili.cases import actions as a
from zhili.cases.models import CaseEvent, Channel
from zhili.cases.states import EDGE_SET, EDGES, NEW, RULES, CaseStatus, Transition
from zhili.cases.tests.conftest import IN_GRID_A
from zhili.core.errors import DomainError

S = CaseStatus
T = Transition

pytestmark = pytest.mark.django_db


def _submit_dispatched(w, rule_needed=True):
    from zhili.cases.models import DispatchRule

    DispatchRule.objects.create(category=w.cats.garbage, area=w.region.street, department=w.region.department)
    return a.do_submit_case(
        actor=w.u("dispatcher"),
        channel=Channel.HOTLINE,
        title="垃圾",
        body="垃圾堆放",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        category=w.cats.pile,
    )


# (transition, source, target) → how to take exactly that edge from a fresh case.
RECIPES: dict[Any, Any] = {
    (T.SUBMIT, NEW, S.PENDING): lambda w: w.new(),
    (T.SUBMIT, NEW, S.DISPATCHED): _submit_dispatched,
    (T.ACCEPT, S.PENDING, S.ACCEPTED): lambda w: a.do_accept(w.to(S.PENDING), actor=w.u("dispatcher")),
    (T.REJECT, S.PENDING, S.REJECTED): lambda w: a.do_reject(
        w.to(S.PENDING), actor=w.u("dispatcher"), reason="duplicate"
    ),
    (T.REJECT, S.ACCEPTED, S.REJECTED): lambda w: a.do_reject(
        w.to(S.ACCEPTED), actor=w.u("dispatcher"), reason="other", note="见说明"
    ),
    **{
        (T.DISPATCH, src, S.DISPATCHED): (
            lambda w, src=src: a.do_dispatch(
                w.to(src), actor=w.u("dispatcher"), department=w.region.department
            )
        )
        for src in (S.PENDING, S.ACCEPTED, S.RETURNED)
    },
    (T.SIGN, S.DISPATCHED, S.SIGNED): lambda w: a.do_sign(w.to(S.DISPATCHED), actor=w.u("handler")),
    (T.START, S.SIGNED, S.IN_PROGRESS): lambda w: a.do_start(w.to(S.SIGNED), actor=w.u("handler")),
    **{
        (T.RETURN, src, S.RETURNED): (
            lambda w, src=src: a.do_return(w.to(src), actor=w.u("handler"), reason="非本部门")
        )
        for src in (S.DISPATCHED, S.SIGNED)
    },
    (T.ARBITRATE, S.RETURNED, S.DISPATCHED): lambda w: a.do_arbitrate(
        w.to("returned_twice"), actor=w.u("supervisor"), department=w.region.department
    ),
    **{
        (T.TRANSFER, src, S.DISPATCHED): (
            lambda w, src=src: a.do_transfer(
                w.to(src), actor=w.u("dispatcher"), reason="属网格事项", grid=w.region.grid_a
            )
        )
        for src in (S.DISPATCHED, S.SIGNED, S.IN_PROGRESS)
    },
    **{
        (T.REQUEST_EXTENSION, src, S.EXTENSION_PENDING): (
            lambda w, src=src: w.to(S.EXTENSION_PENDING, via=src)
        )
        for src in (S.SIGNED, S.IN_PROGRESS)
    },
    **{
        (T.APPROVE_EXTENSION, S.EXTENSION_PENDING, via): (
            lambda w, via=via: a.do_approve_extension(
                w.to(S.EXTENSION_PENDING, via=via), actor=w.u("supervisor")
            )
        )
        for via in (S.SIGNED, S.IN_PROGRESS)
    },
    **{
        (T.DENY_EXTENSION, S.EXTENSION_PENDING, via): (
            lambda w, via=via: a.do_deny_extension(
                w.to(S.EXTENSION_PENDING, via=via), actor=w.u("dispatcher")
            )
        )
        for via in (S.SIGNED, S.IN_PROGRESS)
    },
    **{
        (T.SUSPEND, src, S.SUSPENDED): (lambda w, src=src: w.to(S.SUSPENDED, via=src))
        for src in (S.ACCEPTED, S.DISPATCHED, S.SIGNED, S.IN_PROGRESS)
    },
    **{
        (T.RESUME, S.SUSPENDED, via): (
            lambda w, via=via: a.do_resume(w.to(S.SUSPENDED, via=via), actor=w.u("dispatcher"))
        )
        for via in (S.ACCEPTED, S.DISPATCHED, S.SIGNED, S.IN_PROGRESS)
    },
    (T.RESOLVE, S.IN_PROGRESS, S.RESOLVED): lambda w: w.to(S.RESOLVED),
    (T.VERIFY, S.RESOLVED, S.VERIFIED): lambda w: w.to(S.VERIFIED),
    (T.SEND_BACK, S.RESOLVED, S.IN_PROGRESS): lambda w: a.do_send_back(
        w.to(S.RESOLVED), actor=w.u("grid_worker_a"), reason="现场仍有垃圾"
    ),
    (T.RATE, S.VERIFIED, S.RATED): lambda w: w.to(S.RATED),
    (T.RATE, S.VERIFIED, S.DISPATCHED): lambda w: a.do_rate(
        w.to(S.VERIFIED), actor=w.u("resident"), rating="unsatisfied", comment="没有解决"
    ),
    (T.RATE_BY_PHONE, S.VERIFIED, S.RATED): lambda w: a.do_rate_by_phone(
        w.to(S.VERIFIED), actor=w.u("dispatcher"), rating="basically"
    ),
    (T.RATE_BY_PHONE, S.VERIFIED, S.DISPATCHED): lambda w: a.do_rate_by_phone(
        w.to(S.VERIFIED), actor=w.u("community_staff"), rating="unsatisfied"
    ),
    (T.RATE_DEFAULT, S.VERIFIED, S.RATED): lambda w: a.do_rate_default(
        w.to(S.VERIFIED), actor=a.SYSTEM_ACTOR, now=timezone.now() + timedelta(days=8)
    ),
    (T.CLOSE, S.RATED, S.CLOSED): lambda w: w.to(S.CLOSED),
    **{
        (T.MERGE, src, S.MERGED): (
            lambda w, src=src: a.do_merge(w.to(src), actor=w.u("dispatcher"), into=w.to(S.PENDING))
        )
        for src in (S.PENDING, S.ACCEPTED, S.DISPATCHED)
    },
}


def test_every_edge_of_the_table_has_a_recipe_and_every_recipe_is_an_edge():
    assert set(RECIPES) == set(EDGE_SET)


def test_every_transition_has_exactly_one_action_and_a_rule():
    for transition in Transition:
        name = "do_submit_case" if transition == T.SUBMIT else f"do_{transition.value}"
        assert inspect.isfunction(getattr(a, name, None)), name
        assert transition in RULES


@pytest.mark.parametrize("edge", EDGES, ids=lambda e: f"{e.transition.value}:{e.source or 'new'}->{e.target}")
def test_each_edge_is_taken_by_its_action_and_recorded(walker, edge):
    case = RECIPES[(edge.transition, edge.source, edge.target)](walker)
    case.refresh_from_db()
    assert case.status == edge.target
    last = CaseEvent.objects.filter(case=case, kind=edge.transition.value).latest("id")
    assert (last.from_status, last.to_status) == (edge.source, edge.target)


# Who acts for each transition in the refusal test below (someone allowed, so only the status refuses).
ACTORS = {
    T.ACCEPT: "dispatcher",
    T.REJECT: "dispatcher",
    T.DISPATCH: "dispatcher",
    T.SIGN: "handler",
    T.START: "handler",
    T.RETURN: "handler",
    T.ARBITRATE: "supervisor",
    T.TRANSFER: "dispatcher",
    T.REQUEST_EXTENSION: "handler",
    T.APPROVE_EXTENSION: "supervisor",
    T.DENY_EXTENSION: "dispatcher",
    T.SUSPEND: "dispatcher",
    T.RESUME: "dispatcher",
    T.RESOLVE: "handler",
    T.VERIFY: "supervisor",
    T.SEND_BACK: "supervisor",
    T.RATE: "resident",
    T.RATE_BY_PHONE: "dispatcher",
    T.RATE_DEFAULT: None,
    T.CLOSE: "supervisor",
    T.MERGE: "dispatcher",
}


def _call(transition, case, actor, w):
    r = w.region
    later = timezone.now() + timedelta(days=60)
    calls = {
        T.ACCEPT: lambda: a.do_accept(case, actor=actor),
        T.REJECT: lambda: a.do_reject(case, actor=actor, reason="other"),
        T.DISPATCH: lambda: a.do_dispatch(case, actor=actor, department=r.department),
        T.SIGN: lambda: a.do_sign(case, actor=actor),
        T.START: lambda: a.do_start(case, actor=actor),
        T.RETURN: lambda: a.do_return(case, actor=actor, reason="x"),
        T.ARBITRATE: lambda: a.do_arbitrate(case, actor=actor, department=r.department),
        T.TRANSFER: lambda: a.do_transfer(case, actor=actor, reason="x", department=r.department),
        T.REQUEST_EXTENSION: lambda: a.do_request_extension(case, actor=actor, until=later, reason="x"),
        T.APPROVE_EXTENSION: lambda: a.do_approve_extension(case, actor=actor),
        T.DENY_EXTENSION: lambda: a.do_deny_extension(case, actor=actor),
        T.SUSPEND: lambda: a.do_suspend(case, actor=actor, reason="x"),
        T.RESUME: lambda: a.do_resume(case, actor=actor),
        T.RESOLVE: lambda: a.do_resolve(case, actor=actor, feedback="x"),
        T.VERIFY: lambda: a.do_verify(case, actor=actor, note="现场核实"),
        T.SEND_BACK: lambda: a.do_send_back(case, actor=actor, reason="x"),
        T.RATE: lambda: a.do_rate(case, actor=actor, rating="satisfied"),
        T.RATE_BY_PHONE: lambda: a.do_rate_by_phone(case, actor=actor, rating="satisfied"),
        T.RATE_DEFAULT: lambda: a.do_rate_default(case, now=later),
        T.CLOSE: lambda: a.do_close(case, actor=actor),
        T.MERGE: lambda: a.do_merge(case, actor=actor, into=w.new()),
    }
    return calls[transition]()


def test_no_action_leaves_the_table(walker, region):
    """Every (transition, status) pair without an edge is refused with 409, and nothing changes."""
    case = walker.new()
    from zhili.cases.models import Case

    Case.objects.filter(pk=case.pk).update(department=region.department)
    refused = 0
    for transition in Transition:
        if transition == T.SUBMIT:
            continue
        persona = ACTORS[transition]
        actor = a.SYSTEM_ACTOR if persona is None else region.user(persona)
        sources = {e.source for e in EDGES if e.transition == transition}
        for status in CaseStatus:
            if status in sources:
                continue
            Case.objects.filter(pk=case.pk).update(status=status)
            events = CaseEvent.objects.filter(case=case).count()
            with pytest.raises(DomainError) as err:
                _call(transition, case.pk, actor, walker)
            assert err.value.code == "invalid_transition", (transition, status, err.value.code)
            assert err.value.status == 409
            assert Case.objects.get(pk=case.pk).status == status
            assert CaseEvent.objects.filter(case=case).count() == events
            refused += 1
    assert refused > 200
