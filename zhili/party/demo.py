"""Demo data of party building, played through the real actions.

The street's 党工委, a 党总支 per community, grid party groups in all grids but three (so the
coverage page has gaps to show), 6-15 members per community (a few of them registered residents of
their grid, who then carry their own names), households kept in touch with, and activities over the
last months (held ones with attendance and volunteer hours, planned ones ahead, one cancelled).
In the demo resident's community (朝阳社区), two upcoming volunteer services are open to residents'
sign-up (社区志愿活动), with a few residents signed up (jumin to one of them).
Safe to call twice (does nothing once an organisation, or an open activity, exists); deterministic
for a seed.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from zhili.accounts.models import Membership
from zhili.accounts.roles import Role
from zhili.core.errors import DomainError
from zhili.territory.models import Node, NodeKind

GRIDS_WITHOUT_GROUP = 3
MEMBERS_PER_COMMUNITY = (6, 15)
LINKED_RESIDENT_SHARE = 0.25

HELD = [
    ("org_life", "{month}月支部党员大会"),
    ("theme_day", "主题党日：重温入党誓词"),
    ("volunteer", "“双报到”志愿服务：清理楼道堆物"),
    ("volunteer", "敬老助老上门服务"),
    ("org_life", "组织生活会：对照检查、相互批评"),
    ("volunteer", "垃圾分类桶前值守"),
    ("theme_day", "主题党日：走访慰问困难党员"),
]
PLANNED = [
    ("theme_day", "主题党日：学习新修订的党章"),
    ("volunteer", "冬季消防安全入户宣传"),
    ("org_life", "年度民主评议党员"),
]
PLACES = ["社区党群服务中心", "社区会议室", "小区广场", "新时代文明实践站", "各楼栋"]


def _staff(role: str, node: Node) -> Any:
    membership = (
        Membership.objects.filter(role=role, active=True, node=node, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


OPEN = [
    # title, days ahead, place, places (None: no limit), residents signed up
    ("周末敬老助老理发志愿服务", 6, "社区党群服务中心", 8, 3),
    ("“周末卫生日”小区环境清洁", 10, "小区广场", None, 4),
]
DEMO_RESIDENT = "jumin"


def load_demo(seed: int) -> None:
    from zhili.party.models import PartyOrg

    street = Node.objects.filter(kind=NodeKind.STREET).order_by("pk").first()
    if street is None:
        return None
    secretary = _staff(Role.PARTY_SECRETARY, street)
    if secretary is None:
        return None
    if not PartyOrg.objects.exists():
        _build(random.Random(f"zhili-demo-party:{seed}"), street, secretary)
    _open_activities(random.Random(f"zhili-demo-party-open:{seed}"), street, secretary)
    return None


def _home_community(street: Node) -> Node | None:
    membership = (
        Membership.objects.filter(user__username=DEMO_RESIDENT, role=Role.RESIDENT, active=True)
        .select_related("node__parent")
        .first()
    )
    if membership is not None and membership.node.parent is not None:
        return membership.node.parent
    return Node.objects.filter(parent=street, kind=NodeKind.COMMUNITY).order_by("sort_key").first()


def _volunteers(rng: random.Random, community: Node, count: int) -> list[Any]:
    """Residents of the community other than the demo resident; a few are added when missing."""
    from zhili.accounts.models import User
    from zhili.demo.people import PeopleFactory

    users = [
        m.user
        for m in Membership.objects.filter(
            role=Role.RESIDENT, active=True, user__is_active=True, node__path__startswith=community.path
        )
        .exclude(user__username=DEMO_RESIDENT)
        .select_related("user")
        .order_by("pk")[:count]
    ]
    grids = list(Node.objects.filter(parent=community, kind=NodeKind.GRID).order_by("sort_key"))
    people = PeopleFactory(rng)
    number = 0
    while len(users) < count and grids:
        number += 1
        username = f"zyz_{community.code.lower()}_{number:02d}"
        if User.objects.filter(username=username).exists():
            continue
        user = User.objects.create_user(username=username, password=None, display_name=_name(people))
        Membership.objects.create(user=user, role=Role.RESIDENT, node=grids[number % len(grids)])
        users.append(user)
    return users


def _open_activities(rng: random.Random, street: Node, secretary: Any) -> None:
    from zhili.accounts.models import User
    from zhili.party.actions import do_plan_activity, do_sign_up
    from zhili.party.models import Activity, ActivityKind, PartyOrg

    if Activity.objects.filter(open_to_residents=True).exists():
        return
    community = _home_community(street)
    if community is None:
        return
    org = PartyOrg.objects.filter(node=community).select_related("node").first()
    if org is None:
        return
    planner = _staff(Role.COMMUNITY_STAFF, community) or secretary
    volunteers = _volunteers(rng, community, max(n for *_rest, n in OPEN))
    resident = User.objects.filter(username=DEMO_RESIDENT, is_active=True).first()
    today = timezone.localdate()
    for index, (title, days, place, places, signed) in enumerate(OPEN):
        activity = do_plan_activity(
            org=org,
            actor=planner,
            kind=ActivityKind.VOLUNTEER,
            title=title,
            date=today + timedelta(days=days),
            place=place,
            note="欢迎社区居民报名参加，请穿着便于活动的衣服。",
            open_to_residents=True,
            places=places,
        )
        signers = volunteers[:signed]
        if index == len(OPEN) - 1 and resident is not None:
            signers = [resident, *signers[: signed - 1]]
        for user in signers:
            try:
                do_sign_up(activity.pk, actor=user)
            except DomainError:
                continue  # e.g. the demo resident lives elsewhere in a trimmed demo


def _build(rng: random.Random, street: Node, secretary: Any) -> None:
    from zhili.demo.people import PeopleFactory
    from zhili.party.actions import do_create_org, grid_group_name
    from zhili.party.models import OrgKind

    people = PeopleFactory(rng)
    do_create_org(
        node=street,
        kind=OrgKind.WORKING_COMMITTEE,
        name=f"{street.name}党工委",
        actor=secretary,
        secretary_name=_name(people),
    )
    communities = list(Node.objects.filter(parent=street, kind=NodeKind.COMMUNITY).order_by("sort_key"))
    all_grids = list(Node.objects.filter(parent__in=communities, kind=NodeKind.GRID).order_by("sort_key"))
    gaps = {g.pk for g in rng.sample(all_grids, min(GRIDS_WITHOUT_GROUP, max(0, len(all_grids) - 1)))}
    for community in communities:
        do_create_org(
            node=community,
            kind=OrgKind.GENERAL_BRANCH,
            name=f"{community.name}党总支",
            actor=secretary,
            secretary_name=_name(people),
        )
        for grid in all_grids:
            # A few grids stay without a party group: the coverage page shows the gaps.
            if grid.parent_id == community.pk and grid.pk not in gaps:
                do_create_org(
                    node=grid,
                    kind=OrgKind.GRID_GROUP,
                    name=grid_group_name(grid),
                    actor=secretary,
                    secretary_name=_name(people) if rng.random() < 0.7 else "",
                )
    for community in communities:
        _members(rng, people, community, secretary)
    for community in communities:
        _activities(rng, community, secretary)
    _activities(rng, street, secretary, held=2, planned=1)


def _name(people: Any) -> str:
    gender = people.rng.choice("MF")
    return str(people.surname() + people.given_name(gender, date(1975, 1, 1)))


def _members(rng: random.Random, people: Any, community: Node, secretary: Any) -> None:
    from zhili.party.actions import do_link_household, do_register_member
    from zhili.party.models import PartyOrg
    from zhili.residents.models import Person
    from zhili.territory.models import Household

    branch = PartyOrg.objects.get(node=community)
    used: set[int] = set()
    groups = list(PartyOrg.objects.filter(node__parent=community).select_related("node").order_by("pk"))
    for _index in range(rng.randint(*MEMBERS_PER_COMMUNITY)):
        org = rng.choice(groups) if groups and rng.random() < 0.8 else branch
        age = rng.randint(24, 82)
        joined = date(timezone.localdate().year - rng.randint(1, max(2, age - 20)), rng.randint(1, 12), 1)
        standing = "probationary" if age < 35 and rng.random() < 0.3 else "full"
        person = None
        if org is not branch and rng.random() < LINKED_RESIDENT_SHARE:
            adults = list(
                Person.objects.filter(household__building__grid=org.node, moved_out_on__isnull=True)
                .filter(birth_date__lte=date(timezone.localdate().year - 25, 1, 1))
                .exclude(pk__in=used)
                .order_by("pk")
                .values_list("pk", flat=True)[:30]
            )
            if adults:
                person = Person.objects.get(pk=rng.choice(adults))
                used.add(person.pk)
        if person is not None:
            name, gender, mobile = person.name, person.gender, person.mobile
        else:
            gender = rng.choice("MF")
            name = people.surname() + people.given_name(gender, date(timezone.localdate().year - age, 6, 1))
            mobile = people.mobile(age)
        member = do_register_member(
            org=org,
            actor=secretary,
            name=name,
            gender=gender,
            joined_on=joined,
            standing=standing,
            mobile=mobile,
            person=person,
        )
        if org is not branch and rng.random() < 0.6:
            households = list(Household.objects.filter(building__grid=org.node).order_by("pk")[:40])
            for household in rng.sample(households, min(len(households), rng.randint(1, 3))):
                do_link_household(member, household, actor=secretary)


def _activities(rng: random.Random, node: Node, secretary: Any, held: int = 4, planned: int = 2) -> None:
    from zhili.party.actions import do_plan_activity, do_record_attendance, do_transition_activity
    from zhili.party.models import PartyMember, PartyOrg
    from zhili.party.states import ActivityTransition, MemberStatus

    org = PartyOrg.objects.select_related("node").get(node=node)
    recorder = _staff(Role.COMMUNITY_STAFF, node) or secretary
    members = list(
        PartyMember.objects.filter(org__node__path__startswith=node.path, status=MemberStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    today = timezone.localdate()
    for index, (kind, title) in enumerate(rng.sample(HELD, held)):
        day = today - timedelta(days=12 + index * rng.randint(20, 35))
        activity = do_plan_activity(
            org=org,
            actor=secretary,
            kind=kind,
            title=title.format(month=day.month),
            date=day,
            place=rng.choice(PLACES),
        )
        if index == held - 1 and node.kind == NodeKind.COMMUNITY and rng.random() < 0.3:
            do_transition_activity(activity, ActivityTransition.CANCEL, actor=secretary)
            continue
        do_transition_activity(activity, ActivityTransition.HOLD, actor=secretary)
        present = rng.sample(members, int(len(members) * rng.uniform(0.5, 0.9))) if members else []
        entries = {pk: _hours(rng, kind) for pk in present}
        do_record_attendance(activity, entries=entries, actor=recorder)
    for index, (kind, title) in enumerate(rng.sample(PLANNED, planned)):
        do_plan_activity(
            org=org,
            actor=secretary,
            kind=kind,
            title=title,
            date=today + timedelta(days=5 + index * 9),
            place=rng.choice(PLACES),
        )


def _hours(rng: random.Random, kind: str) -> Decimal:
    if kind == "volunteer":
        return Decimal(rng.choice(["1.5", "2", "2.5", "3", "4"]))
    if kind == "theme_day":
        return Decimal(rng.choice(["0", "1", "2"]))
    return Decimal(0)
