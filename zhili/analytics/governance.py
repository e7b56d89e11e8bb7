"""The cockpit's grassroots overview (基层治理一览): party groups in the grids, proactive services
and finances made public on time, for the cockpit's node. Counts only, no person: whoever sees
the cockpit may see them; the links show only to those who may open the pages behind them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from zhili.accounts.roles import Role
from zhili.authz.policies import roles_of
from zhili.territory.models import Node, NodeKind

PARTY_PAGE_ROLES = frozenset({Role.PARTY_SECRETARY, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.LEADER})
SERVICES_PAGE_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.LEADER})
DISCLOSURE_PAGE_ROLES = frozenset(
    {Role.COMMUNITY_STAFF, Role.LEADER, Role.PARTY_SECRETARY, Role.SUPERVISOR, Role.DISPATCHER}
)


@dataclass(frozen=True)
class Governance:
    grids: int
    party_groups: int
    outreach_open: int
    outreach_overdue: int
    outreach_coverage: int | None  # percent; None when no one needs a service here
    finance_period: str  # 2026年第三季度
    finance_communities: int  # communities under the node (0 at a grid)
    finance_late: list[str]  # their names
    links: dict[str, str]

    @property
    def party_missing(self) -> int:
        return self.grids - self.party_groups

    @property
    def finance_on_time(self) -> int:
        return self.finance_communities - len(self.finance_late)


def governance(user: Any, node: Node) -> Governance:
    from zhili.disclosure.models import quarter_label
    from zhili.disclosure.selectors import overdue_finances_in
    from zhili.party.selectors import coverage_counts
    from zhili.services.selectors import overview_under

    grids, covered = coverage_counts(node.path)
    outreach = overview_under([node.path]).total
    communities = Node.objects.filter(path__startswith=node.path, kind=NodeKind.COMMUNITY)
    (year, quarter), late = overdue_finances_in(communities)
    roles = roles_of(user)
    links = {}
    if roles & PARTY_PAGE_ROLES:
        links["party"] = reverse("party:coverage")
    if roles & SERVICES_PAGE_ROLES:
        links["services"] = reverse("services:overview")
    if roles & DISCLOSURE_PAGE_ROLES:
        links["disclosure"] = reverse("disclosure:list")
    return Governance(
        grids=grids,
        party_groups=covered,
        outreach_open=outreach.open,
        outreach_overdue=outreach.overdue,
        outreach_coverage=outreach.coverage,
        finance_period=str(quarter_label(year, quarter)),
        finance_communities=communities.count(),
        finance_late=[c.name for c in late],
        links=links,
    )
