"""``zhili bench tally``: an election of N online ballots, tallied, published and verified.

Everything happens inside one transaction that is rolled back at the end, so the benchmark can run
against any database (the demo's included) and leaves nothing behind. Setting up (registry, roll,
ballots) is timed apart from what the figures are about:

- ``tally_seconds``: read the counted ballots from the database and apply the rules;
- ``board_seconds``: build the board, sign it and store it (``do_publish_results``);
- ``verify_seconds``: parse the board file and run the verifier (every tracker, both signatures,
  the tally recomputed), as ``zhili election verify`` does.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from datetime import date, timedelta
from typing import Any

from django.core.management.base import CommandParser
from django.db import connection, transaction
from django.utils import timezone

from zhili.participation.elections import actions, board, rules, selectors
from zhili.participation.elections.models import Ballot, RollEntry, Turnout, VoteChannel
from zhili.residents.models import Person
from zhili.territory.models import Building, Household, Node, NodeKind

BATCH_SIZE = 5000
# 主任 1 of 3, 副主任 1 of 2, 委员 3 of 5: a typical residents' committee ballot.
POSTS = (("主任", 1, 3), ("副主任", 1, 2), ("委员", 3, 5))
TURNOUT_SHARE = 0.8


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--ballots", type=int, default=100_000, help="online ballots to cast (default 100000)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the random choices")


class _Rollback(Exception):
    pass


def _node(kind: str, name: str, parent: Node | None) -> Node:
    # Plain rows (the territory actions would draw boundaries and audit them): the whole region is
    # rolled back with the rest.
    node = Node.objects.create(kind=kind, name=name, code=f"BENCH-{secrets.token_hex(6)}", parent=parent)
    node.path = f"{parent.path if parent else '/'}{node.pk}/"
    node.depth = (parent.depth + 1) if parent else 0
    node.save(update_fields=["path", "depth"])
    return node


def _registry(community: Node, persons: int) -> None:
    grid = _node(NodeKind.GRID, "基准网格", community)
    building = Building.objects.create(grid=grid, name="1号楼", address="基准路1号", address_key="基准路1号")
    households = Household.objects.bulk_create(
        [Household(building=building, number=str(n)) for n in range(persons // 3 + 1)], batch_size=BATCH_SIZE
    )
    Person.objects.bulk_create(
        [
            Person(
                household=households[n // 3],
                name=f"选民{n}",
                gender="MF"[n % 2],
                birth_date=date(1950 + n % 50, 1 + n % 12, 1 + n % 28),
                relation_to_head="head" if n % 3 == 0 else "other",
                residence_status="registered",
            )
            for n in range(persons)
        ],
        batch_size=BATCH_SIZE,
    )


def _random_contents(rng: random.Random, specs: list[rules.PostSpec]) -> dict[str, list[int]]:
    contents = {}
    for spec in specs:
        ids = [c.id for c in spec.candidates]
        contents[str(spec.id)] = sorted(rng.sample(ids, rng.randint(0, spec.seats)))
    return contents


def _run(ballots: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    registered = max(int(ballots / TURNOUT_SHARE), ballots)
    figures: dict[str, Any] = {"ballots": ballots, "registered": registered, "database": connection.vendor}
    started = time.perf_counter()
    street = _node(NodeKind.STREET, "基准街道", None)
    community = _node(NodeKind.COMMUNITY, "基准社区", street)
    _registry(community, registered)
    today = timezone.localdate()
    election = actions.do_create_election(
        node=community,
        kind="residents",
        title="基准选举",
        election_day=today + timedelta(days=30),
        actor=None,
    )
    posts = [actions.do_add_post(election, name=name, seats=seats, actor=None) for name, seats, _n in POSTS]
    actions.do_publish_roll(election, actor=None, today=today)
    actions.do_freeze_roll(election, actor=None, today=today + timedelta(days=election.objection_days + 1))
    people = iter(Person.objects.filter(household__building__grid__parent=community).order_by("pk")[:20])
    for post, (_name, _seats, candidates) in zip(posts, POSTS, strict=True):
        for _ in range(candidates):
            actions.do_add_candidate(post, person=next(people), actor=None)
    actions.do_publish_candidates(election, actor=None)
    actions.do_open_voting(election, actor=None)
    specs = selectors.post_specs(election)
    entries = list(
        RollEntry.objects.filter(election=election, eligible=True).values_list("pk", flat=True)[:ballots]
    )
    now = timezone.now()
    Turnout.objects.bulk_create(
        [Turnout(election=election, entry_id=pk, voted_at=now, channel=VoteChannel.ONLINE) for pk in entries],
        batch_size=BATCH_SIZE,
    )
    rows = []
    for _ in range(ballots):
        contents = _random_contents(rng, specs)
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
    del rows
    figures["setup_seconds"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    actions.do_close_voting(election, actor=None)
    figures["close_seconds"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    counted = selectors.live_ballots(election).values_list("contents", flat=True)
    tally = rules.tally(
        election_id=election.pk,
        round_kind=rules.RoundKind.FIRST,
        registered=selectors.registered_count(election),
        voted=selectors.turnout_counts(election)["total"],
        posts=selectors.post_specs(election),
        ballots=counted.iterator(chunk_size=BATCH_SIZE),
        tie_rule=election.tie_rule,
    )
    figures["tally_seconds"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    published = actions.do_publish_results(election, actor=None)
    figures["board_seconds"] = round(time.perf_counter() - started, 3)
    figures["board_bytes"] = len(published.document.encode("utf-8"))

    started = time.perf_counter()
    result = board.verify_document(json.loads(published.document))
    figures["verify_seconds"] = round(time.perf_counter() - started, 3)
    figures["verified"] = result.ok
    figures["verify_reason"] = result.reason
    figures["valid"] = tally["valid"]
    # The tally timed above and the one signed on the board must agree (they differ only in the
    # lot seed, which this count left empty and no tie used).
    figures["tally_matches_board"] = [p["votes"] for p in tally["posts"]] == [
        p["votes"] for p in published.tally["posts"]
    ]
    return figures


def run(*, ballots: int, seed: int = 1, **_options: Any) -> dict[str, Any]:
    if ballots < 1:
        raise ValueError("--ballots must be at least 1")
    figures: dict[str, Any] = {}
    try:
        with transaction.atomic():
            figures = _run(ballots, seed)
            raise _Rollback
    except _Rollback:
        pass
    return figures
