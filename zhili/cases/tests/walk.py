"""Bring a fresh case to any status through the real actions (shared by the table and e2e tests)."""

from __future__ import annotations

from datetime import timedelta

from zhili.cases import actions as a
from zhili.cases.models import Case, Channel
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A


class Walker:
    def __init__(self, region, cats):
        self.region = region
        self.cats = cats

    def u(self, persona):
        return self.region.user(persona)

    def new(self) -> Case:
        """A resident's H5 report (so the resident can rate it); no rule applies: pending."""
        return a.do_submit_case(
            actor=self.u("resident"),
            channel=Channel.H5,
            title="路灯不亮",
            body="小区门口路灯坏了一周。",
            lat=IN_GRID_A[0],
            lng=IN_GRID_A[1],
            category=self.cats.pile,
            contact_mobile="13912345678",
        )

    def to(self, status: str, *, via: str = "") -> Case:
        """A case in ``status``; ``via`` picks the status a suspension/extension came from."""
        r = self.region
        d, h, sup, res = self.u("dispatcher"), self.u("handler"), self.u("supervisor"), self.u("resident")
        if status == S.PENDING:
            return self.new()
        if status == S.ACCEPTED:
            return a.do_accept(self.new(), actor=d)
        if status == S.DISPATCHED:
            return a.do_dispatch(self.new(), actor=d, department=r.department)
        if status == S.SIGNED:
            return a.do_sign(self.to(S.DISPATCHED), actor=h)
        if status == S.IN_PROGRESS:
            return a.do_start(self.to(S.SIGNED), actor=h)
        if status == S.RESOLVED:
            return a.do_resolve(self.to(S.IN_PROGRESS), actor=h, feedback="已清运")
        if status == S.VERIFIED:
            return a.do_verify(self.to(S.RESOLVED), actor=sup, note="现场核实")
        if status == S.RATED:
            return a.do_rate(self.to(S.VERIFIED), actor=res, rating="satisfied")
        if status == S.CLOSED:
            return a.do_close(self.to(S.RATED), actor=d)
        if status == S.RETURNED:
            return a.do_return(self.to(S.DISPATCHED), actor=h, reason="不属于本部门职责")
        if status == "returned_twice":
            once = a.do_dispatch(self.to(S.RETURNED), actor=d, department=r.department)
            return a.do_return(once, actor=h, reason="仍不属于本部门")
        if status == S.EXTENSION_PENDING:
            case = self.to(via or S.IN_PROGRESS)
            assert case.finish_due_at is not None
            until = case.finish_due_at + timedelta(days=10)
            return a.do_request_extension(case, actor=h, until=until, reason="需要协调产权单位")
        if status == S.SUSPENDED:
            return a.do_suspend(self.to(via or S.IN_PROGRESS), actor=d, reason="等待法院判决")
        if status == S.REJECTED:
            return a.do_reject(self.new(), actor=d, reason="not_in_remit")
        if status == S.MERGED:
            return a.do_merge(self.new(), actor=d, into=self.new())
        raise AssertionError(f"no walk to {status}")
