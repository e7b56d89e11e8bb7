"""One finished election for the demo region: ``load_demo_election(seed)``.

The residents' committee of the demo resident's community (朝阳社区 in the standard demo) held its
election a few months before the demo's reference date: the roll came from the register, two
objections were decided, candidates were nominated for 主任, 副主任 and 委员, voters voted online
and at one polling station, two officials entered the station's count, and the results and the
signed bulletin board are published. Every status change goes through the election actions (so
it carries its audit rows); the few thousand online ballots and turnout rows are bulk inserted,
the same documented exception as the demo region itself: one generated event, not thousands of
audit rows. The demo resident login ("jumin") is linked to a registered adult and voted online
through the real action, so "my elections" shows a finished election with its results, and their
inbox holds the messages the steps sent to voters (the candidates, voting open, the results),
dated when each step happened and read, as the election is months old.

Counts follow from the seed; trackers do not (their nonces are random, as in a real election).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.notify.models import Notification
from zhili.participation.elections import actions, board, notifications, rules, selectors
from zhili.participation.elections.models import (
    Ballot,
    Election,
    ElectionKind,
    ResidentAccount,
    RollEntry,
    Turnout,
    VoteChannel,
)
from zhili.territory.models import Node, NodeKind

DEMO_RESIDENT = "jumin"
ELECTION_DAY = date(2026, 6, 20)  # before the demo's reference date (2026-09-30)
TITLE = "第十二届居民委员会换届选举"
VILLAGE_TITLE = "第十二届村民委员会换届选举"
TURNOUT = 0.78
PAPER_SHARE = 0.15  # of those who vote, at the polling station
BATCH_SIZE = 2000
POSTS = (("主任", 1, 3), ("副主任", 1, 2), ("委员", 3, 4))
STATEMENTS = (
    "扎根社区二十年，熟悉每一栋楼、每一户人家。当选后推进老旧小区加装电梯，办好老年食堂。",
    "做好居民的贴心人：每周接待日风雨无阻，诉求件件有回音。",
    "推动垃圾分类和停车治理，让小区更整洁、更有序。",
    "关心一老一小，办好四点半课堂和助老服务。",
    "公开透明管好社区经费，每季度向居民公开账目。",
    "协调物业和业委会，及时解决漏水、供暖等急难愁盼问题。",
    "组建志愿服务队，开展邻里互助和应急演练。",
    "发挥党员先锋作用，带头化解邻里矛盾。",
    "推进智慧社区建设，让居民少跑腿、好办事。",
)
# Weights of each candidate's share (in nomination order), then of abstaining, per post.
WEIGHTS = {"主任": (58, 29, 9, 4), "副主任": (63, 32, 5)}


def _community() -> Node:
    """The community of the demo resident's grid, else the first community of the region."""
    membership = (
        Membership.objects.filter(user__username=DEMO_RESIDENT, role=Role.RESIDENT, active=True)
        .select_related("node__parent")
        .first()
    )
    if membership is not None and membership.node.parent is not None:
        return membership.node.parent
    community = Node.objects.filter(kind=NodeKind.COMMUNITY).order_by("code").first()
    if community is None:
        raise ValueError("load the demo region first: there is no community")
    return community


def _official(community: Node, *, other_than: Any = None) -> Any:
    """A community staff member of the community, or an administrator above it."""
    ancestors = [int(part) for part in community.path.strip("/").split("/") if part]
    memberships = (
        Membership.objects.filter(active=True)
        .filter(Q(role=Role.COMMUNITY_STAFF, node=community) | Q(role=Role.ADMIN, node_id__in=ancestors))
        .select_related("user")
        .order_by("role", "id")
    )
    for membership in memberships:
        if other_than is None or membership.user_id != getattr(other_than, "pk", None):
            return membership.user
    return None


@contextmanager
def _told_at(election: Election, day: date, hour: int) -> Iterator[None]:
    """The voters' messages a step writes are dated when the step happened, and have been read."""
    mark = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    yield
    moment = timezone.make_aware(datetime.combine(day, time(hour, 0)))
    Notification.objects.filter(pk__gt=mark, topic=notifications.topic_of(election)).update(
        created_at=moment, next_attempt_at=moment, read_at=moment + timedelta(hours=2)
    )


def _ballot_for(rng: random.Random, specs: list[rules.PostSpec]) -> dict[str, list[int]]:
    contents: dict[str, list[int]] = {}
    for spec in specs:
        ids = [c.id for c in spec.candidates]
        if spec.name in WEIGHTS:
            pick = rng.choices([*ids, None], weights=WEIGHTS[spec.name])[0]
            contents[str(spec.id)] = [] if pick is None else [pick]
        else:
            # 委员: most ballots name the three best liked; some swap one of them for the fourth.
            chosen = ids[:3]
            if rng.random() < 0.3:
                chosen = [c for c in chosen if c != rng.choice(chosen)] + [ids[3]]
            if rng.random() < 0.05:
                chosen = chosen[:2]
            contents[str(spec.id)] = sorted(chosen)
    return contents


def _paper_figures(ballots: list[dict[str, list[int]]], specs: list[rules.PostSpec]) -> dict[str, Any]:
    posts: dict[str, Any] = {}
    for spec in specs:
        key = str(spec.id)
        votes: dict[str, int] = {str(c.id): 0 for c in spec.candidates}
        for contents in ballots:
            for choice in contents[key]:
                votes[str(choice)] += 1
        posts[key] = {"valid": len(ballots), "votes": votes}
    return {"ballots_cast": len(ballots), "posts": posts}


def load_demo_election(seed: int) -> Election:
    """Create (once) the finished demo election; returns it. Needs the demo region loaded."""
    community = _community()
    existing = Election.objects.filter(node=community, title__in=[TITLE, VILLAGE_TITLE]).first()
    if existing is not None:
        return existing
    rng = random.Random(f"zhili-demo-election:{seed}")
    village = community.name.endswith("村")
    first = _official(community)
    if first is None:
        raise ValueError("load the demo region first: the community has no staff account")
    # The second official of the polling station's double entry; without one, everyone votes online.
    second = _official(community, other_than=first)
    published_on = ELECTION_DAY - timedelta(days=30)
    with transaction.atomic():
        election = actions.do_create_election(
            node=community,
            kind=ElectionKind.VILLAGERS if village else ElectionKind.RESIDENTS,
            title=VILLAGE_TITLE if village else TITLE,
            election_day=ELECTION_DAY,
            actor=first,
            residence_rule=rules.ResidenceRule.REGISTERED_OR_RESIDENT,
            tie_rule=rules.TieRule.RUNOFF,
        )
        posts = {
            name: actions.do_add_post(election, name=name, seats=seats, actor=first)
            for name, seats, _n in POSTS
        }
        booth = actions.do_add_booth(
            election, name="村委会投票站" if village else "社区居委会投票站", actor=first
        )
        actions.do_publish_roll(election, actor=first, today=published_on)

        eligible = list(
            RollEntry.objects.filter(election=election, eligible=True)
            .select_related("person")
            .order_by("person_id")
        )
        # Two objections during the period: one upheld (a move not yet in the register), one rejected.
        moved, contested = rng.sample(eligible, 2)
        upheld = actions.do_submit_objection(
            election,
            actor=first,
            entry=moved,
            text="该居民已于今年初迁往外地居住。",
            today=published_on + timedelta(days=2),
        )
        actions.do_decide_objection(
            upheld, actor=first, uphold=True, decision="经入户核实，已迁出，从名单中除名。"
        )
        rejected = actions.do_submit_objection(
            election,
            actor=first,
            entry=contested,
            text="该居民长期不在本社区居住。",
            today=published_on + timedelta(days=3),
        )
        actions.do_decide_objection(
            rejected, actor=first, uphold=False, decision="该居民户籍在本社区，依法享有选举权，异议不成立。"
        )
        actions.do_freeze_roll(
            election, actor=first, today=published_on + timedelta(days=election.objection_days + 1)
        )

        voters = [entry for entry in eligible if entry.pk != moved.pk]
        resident = User.objects.filter(username=DEMO_RESIDENT).first()
        resident_entry = None
        if resident is not None:
            link = ResidentAccount.objects.filter(user=resident).first()
            if link is None:
                grid = Membership.objects.filter(user=resident, role=Role.RESIDENT).values_list(
                    "node_id", flat=True
                )
                mine = [e for e in voters if e.person.household.building.grid_id in set(grid)] or voters
                person = mine[0].person
                actions.do_link_resident_account(user=resident, person=person, actor=first)
            else:
                person = link.person
            resident_entry = next((e for e in voters if e.person_id == person.pk), None)

        nominees = [
            e
            for e in voters
            if e is not resident_entry and 30 <= rules.age_on(e.person.birth_date, ELECTION_DAY) <= 62
        ]
        rng.shuffle(nominees)
        statements = iter(STATEMENTS * 2)
        for name, _seats, count in POSTS:
            for _ in range(count):
                actions.do_add_candidate(
                    posts[name], person=nominees.pop().person, actor=first, statement=next(statements)
                )
        with _told_at(election, ELECTION_DAY - timedelta(days=7), 9):
            actions.do_publish_candidates(election, actor=first)
        with _told_at(election, ELECTION_DAY, 8):
            actions.do_open_voting(election, actor=first)

        specs = selectors.post_specs(election)
        others = [e for e in voters if e is not resident_entry]
        voting = rng.sample(others, int(len(voters) * TURNOUT))
        paper_count = int(len(voting) * PAPER_SHARE) if second is not None else 0
        paper, online = voting[:paper_count], voting[paper_count:]
        now = timezone.now()
        Turnout.objects.bulk_create(
            [Turnout(election=election, entry=e, voted_at=now, channel=VoteChannel.ONLINE) for e in online]
            + [
                Turnout(election=election, entry=e, voted_at=now, channel=VoteChannel.BOOTH, booth=booth)
                for e in paper
            ],
            batch_size=BATCH_SIZE,
        )
        rows = []
        for _entry in online:
            contents = _ballot_for(rng, specs)
            nonce = board.new_nonce()
            rows.append(
                Ballot(
                    election=election,
                    tracker=board.tracker(election.pk, nonce, contents),
                    nonce=nonce,
                    contents=contents,
                )
            )
        Ballot.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        if resident is not None and resident_entry is not None:
            actions.do_cast_ballot(election, actor=resident, choices=_ballot_for(rng, specs))
        actions.do_close_voting(election, actor=first)

        if second is not None:
            figures = _paper_figures([_ballot_for(rng, specs) for _ in paper], specs)
            actions.do_enter_booth_count(booth, figures=figures, actor=first)
            actions.do_enter_booth_count(booth, figures=figures, actor=second)
        with _told_at(election, ELECTION_DAY, 18):
            actions.do_publish_results(election, actor=first)
    election.refresh_from_db()
    return election


BY_ELECTION_TITLE = "第十二届居民委员会委员补选"
VILLAGE_BY_ELECTION_TITLE = "第十二届村民委员会委员补选"
BY_ELECTION_IN_DAYS = 30  # election day, counted from the day the demo is loaded


def load_demo_by_election(seed: int) -> Election:
    """Create (once) a by-election of the same committee with its roll posted today: residents of
    the community see the roll and may object while the demo runs (the finished election shows
    everything after that stage). Needs the demo region, and is meant to follow the election."""
    community = _community()
    existing = Election.objects.filter(
        node=community, title__in=[BY_ELECTION_TITLE, VILLAGE_BY_ELECTION_TITLE]
    ).first()
    if existing is not None:
        return existing
    village = community.name.endswith("村")
    official = _official(community)
    if official is None:
        raise ValueError("load the demo region first: the community has no staff account")
    today = timezone.localdate()
    with transaction.atomic():
        election = actions.do_create_election(
            node=community,
            kind=ElectionKind.VILLAGERS if village else ElectionKind.RESIDENTS,
            title=VILLAGE_BY_ELECTION_TITLE if village else BY_ELECTION_TITLE,
            election_day=today + timedelta(days=BY_ELECTION_IN_DAYS),
            actor=official,
            residence_rule=rules.ResidenceRule.REGISTERED_OR_RESIDENT,
            tie_rule=rules.TieRule.RUNOFF,
        )
        actions.do_add_post(election, name="委员", seats=1, actor=official)
        actions.do_add_booth(election, name="村委会投票站" if village else "社区居委会投票站", actor=official)
        actions.do_publish_roll(election, actor=official, today=today)
    election.refresh_from_db()
    return election
