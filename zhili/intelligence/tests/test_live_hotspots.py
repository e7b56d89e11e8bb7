from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from zhili.intelligence import selectors
from zhili.intelligence.actions import KEEP_SNAPSHOTS, do_refresh_hotspots
from zhili.intelligence.models import Hotspot, HotspotSnapshot
from zhili.intelligence.tests.history import add_cases

pytestmark = pytest.mark.django_db

LIFT = [
    ("金桂苑3栋电梯故障", "金桂苑小区3栋电梯又坏了，老人上下楼困难"),
    ("金桂苑电梯坏了", "金桂苑3栋电梯停运一周无人修"),
]
NOISE = [
    ("东风路工地夜间施工噪音", "东风路工地半夜施工噪音扰民"),
    ("东风路工地噪音扰民", "东风路工地夜间施工声音太大"),
]


def live(region, now):
    rows = []
    for k in range(6):
        title, body = LIFT[k % 2]
        rows.append(
            {"node": region.grid_a, "title": title, "body": body, "created_at": now - timedelta(days=k)}
        )
    for k in range(3):
        title, body = NOISE[k % 2]
        rows.append(
            {"node": region.grid_c, "title": title, "body": body, "created_at": now - timedelta(days=k + 1)}
        )
    # old and finished: not live; old but still open: live
    old = now - timedelta(days=90)
    rows.append(
        {
            "node": region.grid_a,
            "title": LIFT[0][0],
            "body": LIFT[0][1],
            "created_at": old,
            "status": "closed",
        }
    )
    rows.append({"node": region.grid_d, "title": "其他街道的路灯不亮", "body": "路灯坏了", "created_at": now})
    return add_cases(rows)


def test_refresh_groups_live_cases_into_a_scoped_snapshot(region):
    now = timezone.now()
    cases = live(region, now)
    snapshot = do_refresh_hotspots(now=now)
    spots = list(snapshot.hotspots.order_by("-heat"))
    assert snapshot.n_cases == len(cases) - 1  # the closed case of three months ago is not live
    lift = spots[0]
    assert "金桂苑" in lift.label and lift.size == 6 and lift.node_id == region.grid_a.pk
    assert sorted(lift.case_ids) == sorted(c.pk for c in cases[:6])
    noise = next(h for h in spots if "东风路" in h.label)
    assert noise.size == 3 and noise.node_id == region.grid_c.pk
    assert spots == sorted(spots, key=lambda h: -h.heat)
    # the cockpit's interface: hottest first, scoped to the user's nodes
    assert selectors.top_hotspots(region.user("supervisor")) == spots
    assert selectors.top_hotspots(region.user("supervisor"), node=region.c2) == [noise]
    assert selectors.top_hotspots(region.user("community_staff")) == [lift]  # community 1 only
    assert selectors.top_hotspots(region.user("outsider")) == []
    assert selectors.top_hotspots(region.user("leader"), limit=1) == [lift]


def test_only_the_latest_snapshots_are_kept_and_read(region):
    now = timezone.now()
    live(region, now)
    for k in range(KEEP_SNAPSHOTS + 2):
        last = do_refresh_hotspots(now=now + timedelta(minutes=k))
    assert HotspotSnapshot.objects.count() == KEEP_SNAPSHOTS
    assert selectors.latest_snapshot() == last
    assert {h.snapshot_id for h in selectors.visible_hotspots(region.user("supervisor"))} == {last.pk}
    assert Hotspot.objects.filter(snapshot=last).count() >= 2


def test_no_cases_no_hotspots(region):
    snapshot = do_refresh_hotspots()
    assert snapshot.n_cases == 0 and selectors.top_hotspots(region.user("supervisor")) == []


def test_live_cases_carry_their_address_or_grid_as_place_and_their_support_as_weight(region):
    from zhili.cases.models import CaseSupport
    from zhili.intelligence.scan import live_messages

    now = timezone.now()
    rows = [
        {"node": region.grid_a, "title": "垃圾桶满了几天没人清", "body": "垃圾堆满了", "created_at": now,
         "address": f"朝阳北街{n}号"}
        for n in (13, 23)
    ] + [
        {"node": region.grid_b, "title": "垃圾桶满了几天没人清", "body": "垃圾堆满了", "created_at": now,
         "address": "Test street 幸福里3号院"},
        {"node": region.grid_b, "title": "垃圾桶满了几天没人清", "body": "垃圾堆满了", "created_at": now,
         "address": "Community 1"},
    ]  # fmt: skip
    cases = add_cases(rows)
    for k in range(3):
        CaseSupport.objects.create(case=cases[0], contact_mobile_bidx=f"b{k}")
    by_id = {m.id: m for items in live_messages(now=now).values() for m, _path in items}
    first, second, courtyard, bare = (by_id[str(c.pk)] for c in cases)
    assert (first.place, first.weight) == ("朝阳北街", 3.0)
    assert (second.place, second.weight) == ("朝阳北街", 0.0)
    assert courtyard.place == "幸福里3号院"
    assert bare.place == "Grid B"  # an address that names only the community says nothing more
    # grouped by place: the two of 朝阳北街 together, the others not with them
    snapshot = do_refresh_hotspots(now=now)
    [spot] = snapshot.hotspots.all()
    assert sorted(spot.case_ids) == sorted(c.pk for c in cases[:2]) and spot.place == "朝阳北街"


@pytest.mark.parametrize(
    ("address", "place"),
    [
        ("幸福里5栋2单元302室", "Grid A"),  # names no place: the grid, never the home address
        ("朝阳路12号3单元501", "朝阳路"),
        ("王家村三组5号", "王家村三组"),
    ],
)
def test_a_hotspot_never_names_a_residents_home(region, address, place):
    now = timezone.now()
    rows = [
        {"node": region.grid_a, "title": title, "body": body, "created_at": now, "address": address}
        for title, body in (
            ("楼上装修噪音扰民", "楼上装修噪音太大扰民"),
            ("装修噪音扰民", "楼上装修噪音扰民"),
        )
    ]
    add_cases(rows)
    snapshot = do_refresh_hotspots(now=now)
    [spot] = snapshot.hotspots.all()
    assert spot.place == place and spot.label.startswith(f"{place}：")
    for part in ("5栋", "单元", "302", "501", "5号"):
        assert part not in spot.label and part not in spot.place
