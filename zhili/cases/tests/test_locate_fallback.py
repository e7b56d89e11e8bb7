"""Where a report with no pin lands: an address naming no single grid still gives its community or
street, and a report no one could place waits with a dispatcher, never at a district nobody works at."""

from __future__ import annotations

import pytest

from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.cases import actions as a
from zhili.cases.models import Case, Channel
from zhili.cases.policies import visible_cases
from zhili.territory.actions import do_create_building, do_create_node
from zhili.territory.locate import locate_area
from zhili.territory.models import NodeKind

pytestmark = pytest.mark.django_db


def _public(address: str) -> Case:
    return a.do_submit_case(
        actor=None,
        channel=Channel.H5,
        title="路灯不亮",
        body="晚上一片漆黑",
        address=address,
        contact_mobile="13612345678",
    )


def test_an_address_naming_a_community_lands_there(region, cats):
    case = _public("Community 2 东门口")
    assert case.node_id == region.c2.pk and case.grid_id is None
    assert case in visible_cases(region.user("dispatcher"))


def test_an_address_matching_buildings_in_two_grids_lands_in_their_community(region):
    do_create_building(region.grid_a, "1号楼", "幸福路1号", None, None, actor=None)
    do_create_building(region.grid_b, "2号楼", "幸福路2号", None, None, actor=None)
    assert locate_area("幸福路") == region.c1
    # One grid is a grid; nothing named is nothing.
    assert locate_area("幸福路2号") == region.grid_b
    assert locate_area("不知道在哪") is None
    # Two places named at the same depth: the area holding both.
    assert locate_area("Community 1 和 Community 2 交界") == region.street


@pytest.fixture
def district(db):
    """示范区 → 和平街道 (dispatcher) → 朝阳社区 → 第1网格: the demo's shape, one street."""
    root = do_create_node(kind=NodeKind.DISTRICT, name="示范区", code="D", parent=None, actor=None)
    street = do_create_node(kind=NodeKind.STREET, name="和平街道", code="D-S", parent=root, actor=None)
    community = do_create_node(
        kind=NodeKind.COMMUNITY, name="朝阳社区", code="D-S-C", parent=street, actor=None
    )
    do_create_node(kind=NodeKind.GRID, name="朝阳社区第1网格", code="D-S-C-1", parent=community, actor=None)
    dispatcher = User.objects.create_user(username="paidan", password="x")
    Membership.objects.create(user=dispatcher, role=Role.DISPATCHER, node=street)
    return root, street, community, dispatcher


def test_an_unplaceable_report_waits_with_the_first_dispatcher_down_the_tree(district):
    _root, street, community, dispatcher = district
    case = _public("不知道在哪里")
    assert case.node_id == street.pk
    assert case in visible_cases(dispatcher)
    # The community's name in the address is enough to place it there.
    assert _public("朝阳社区3号楼东侧").node_id == community.pk


def test_without_a_dispatcher_it_waits_where_the_tree_branches(district):
    root, _street, _community, dispatcher = district
    Membership.objects.filter(user=dispatcher).update(active=False)
    do_create_node(kind=NodeKind.STREET, name="光明街道", code="D-T", parent=root, actor=None)
    assert _public("不知道在哪里").node_id == root.pk
