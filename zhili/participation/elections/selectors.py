"""Reads for elections: specs for the rules, the roll, booth states and the bulletin board."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from zhili.participation.elections import rules
from zhili.participation.elections.models import (
    Ballot,
    Booth,
    BoothEntry,
    Candidate,
    Election,
    ElectionBoard,
    Objection,
    Post,
    RollEntry,
    Turnout,
    VoteChannel,
)
from zhili.residents.models import Person


def roll_rules(election: Election) -> rules.RollRules:
    return rules.RollRules(
        min_age=election.min_age,
        residence_rule=election.residence_rule,
        min_residence_years=election.min_residence_years,
    )


def registry_persons(election: Election) -> QuerySet[Person]:
    """Everyone in the registry under the election's node (the community or village)."""
    return Person.objects.filter(household__building__grid__path__startswith=election.node.path)


def registry_rows(election: Election) -> list[rules.RegistryPerson]:
    return [
        rules.RegistryPerson(pk, born, status, moved_in, moved_out)
        for pk, born, status, moved_in, moved_out in registry_persons(election)
        .order_by("pk")
        .values_list("pk", "birth_date", "residence_status", "moved_in_on", "moved_out_on")
    ]


def posts_with_candidates(election: Election) -> list[Post]:
    return list(
        election.posts.order_by("order", "id").prefetch_related(
            # Candidates with their person for names; the photo is a file name, no extra query.
            _candidates_prefetch()
        )
    )


def _candidates_prefetch() -> Any:
    from django.db.models import Prefetch

    return Prefetch("candidates", queryset=Candidate.objects.select_related("person").order_by("order", "id"))


def post_specs(election: Election) -> list[rules.PostSpec]:
    specs = []
    for post in posts_with_candidates(election):
        candidates = list(post.candidates.all())
        ranks = rules.seniority([c.person.birth_date for c in candidates])
        specs.append(
            rules.PostSpec(
                id=post.pk,
                name=post.name,
                seats=post.seats,
                candidates=tuple(
                    rules.CandidateSpec(c.pk, c.person.name, rank)
                    for c, rank in zip(candidates, ranks, strict=True)
                ),
            )
        )
    return specs


def registered_count(election: Election) -> int:
    return RollEntry.objects.filter(election=election, eligible=True).count()


def turnout_counts(election: Election) -> dict[str, int]:
    counts = dict(
        Turnout.objects.filter(election=election)
        .values_list("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    online = int(counts.get(VoteChannel.ONLINE, 0))
    booth = int(counts.get(VoteChannel.BOOTH, 0))
    return {"online": online, "booth": booth, "total": online + booth}


def roll_summary(election: Election) -> dict[str, int]:
    row = RollEntry.objects.filter(election=election).aggregate(
        total=Count("id"), eligible=Count("id", filter=Q(eligible=True))
    )
    pending = Objection.objects.filter(election=election, status="pending").count()
    return {
        "total": row["total"] or 0,
        "eligible": row["eligible"] or 0,
        "ineligible": (row["total"] or 0) - (row["eligible"] or 0),
        "pending_objections": pending,
    }


def roll_entries(election: Election, *, query: str = "", eligible: bool | None = None) -> QuerySet[RollEntry]:
    entries = RollEntry.objects.filter(election=election).select_related(
        "person", "person__household__building__grid", "turnout"
    )
    if query:
        entries = entries.filter(person__name__contains=query)
    if eligible is not None:
        entries = entries.filter(eligible=eligible)
    return entries.order_by("person__household__building__address", "person__household__number", "person_id")


@dataclass
class PostedGrid:
    name: str
    voters: list[tuple[int, str]]  # (roll entry id, name)


def posted_roll(election: Election, *, query: str = "") -> list[PostedGrid]:
    """The roll as posted for the community: eligible voters' names by grid, and nothing else."""
    rows = RollEntry.objects.filter(election=election, eligible=True)
    if query:
        rows = rows.filter(person__name__contains=query)
    grids: dict[str, PostedGrid] = {}
    for pk, name, grid in rows.order_by(
        "person__household__building__grid__sort_key", "person__name", "pk"
    ).values_list("pk", "person__name", "person__household__building__grid__name"):
        grids.setdefault(grid, PostedGrid(grid, [])).voters.append((pk, name))
    return list(grids.values())


def posted_entry(election: Election, pk: Any) -> RollEntry | None:
    """One entry of the posted roll (an eligible voter), or None."""
    try:
        return (
            RollEntry.objects.filter(election=election, eligible=True, pk=int(pk))
            .select_related("person__household__building__grid")
            .first()
        )
    except (TypeError, ValueError):
        return None


@dataclass
class BoothState:
    booth: Booth
    entries: list[BoothEntry]
    confirmed: bool
    mismatch: bool
    figures: dict[str, Any] | None
    checked_in: int

    @property
    def entered_by_ids(self) -> set[int]:
        return {entry.entered_by_id for entry in self.entries}


def booth_states(election: Election) -> list[BoothState]:
    booths = list(
        election.booths.annotate(checked_in=Count("turnout"))
        .prefetch_related("entries__entered_by")
        .order_by("id")
    )
    states = []
    for booth in booths:
        entries = list(booth.entries.all())
        agree = len(entries) == 2 and rules.booths_agree(entries[0].figures, entries[1].figures)
        states.append(
            BoothState(
                booth=booth,
                entries=entries,
                confirmed=agree,
                mismatch=len(entries) == 2 and not agree,
                figures=rules.normalise_figures(entries[0].figures) if agree else None,
                checked_in=booth.checked_in,  # type: ignore[attr-defined]
            )
        )
    return states


def live_ballots(election: Election) -> QuerySet[Ballot]:
    return Ballot.objects.filter(election=election, superseded=False).order_by("tracker")


def build_board(election: Election, *, public_key: str, published_at: str) -> dict[str, Any]:
    """The unsigned board of a closed election, as ``board.FORMAT`` describes it."""
    from zhili.participation.elections import board as board_module

    posts = post_specs(election)
    ballots = [
        {"tracker": tracker, "nonce": nonce, "contents": contents}
        for tracker, nonce, contents in live_ballots(election).values_list("tracker", "nonce", "contents")
    ]
    confirmed = [state for state in booth_states(election) if state.figures is not None]
    booths: list[dict[str, Any]] = [
        {"id": state.booth.pk, "name": state.booth.name, "figures": state.figures} for state in confirmed
    ]
    turnout = turnout_counts(election)
    registered = registered_count(election)
    seed = rules.lot_seed(election.pk, (b["tracker"] for b in ballots))
    round_kind = rules.RoundKind.RUNOFF if election.is_runoff else rules.RoundKind.FIRST
    tally = rules.tally(
        election_id=election.pk,
        round_kind=round_kind,
        registered=registered,
        voted=turnout["total"],
        posts=posts,
        ballots=(b["contents"] for b in ballots),
        booths=[rules.BoothFigures.from_dict(state.figures) for state in confirmed if state.figures],
        tie_rule=election.tie_rule,
        seed=seed,
    )
    return {
        "format": board_module.FORMAT,
        "election": {
            "id": election.pk,
            "title": election.title,
            "kind": election.kind,
            "community": election.node.name,
            "community_code": election.node.code,
            "election_day": election.election_day.isoformat(),
            "round": election.round_number,
            "round_kind": str(round_kind),
            "runoff_of": election.runoff_of_id,
            "rules": {
                "min_age": election.min_age,
                "residence_rule": election.residence_rule,
                "min_residence_years": election.min_residence_years,
                "allow_ballot_replacement": election.allow_ballot_replacement,
                "tie_rule": election.tie_rule,
                "quorum": rules.QUORUM.as_dict(),
                "threshold": rules.WIN_THRESHOLDS[round_kind].as_dict(),
            },
        },
        "posts": board_module.posts_as_json(posts),
        "registered": registered,
        "turnout": turnout,
        "ballots": ballots,
        "superseded": Ballot.objects.filter(election=election, superseded=True).count(),
        "booths": booths,
        "lot_seed": seed,
        "tally": tally,
        "public_key": public_key,
        "published_at": published_at,
    }


def board_document(election: Election) -> dict[str, Any] | None:
    row = ElectionBoard.objects.filter(election=election).values_list("document", flat=True).first()
    return json.loads(row) if row else None


def published_tally(election: Election) -> dict[str, Any] | None:
    tally: dict[str, Any] | None = (
        ElectionBoard.objects.filter(election=election).values_list("tally", flat=True).first()
    )
    return tally


def find_tracker(election: Election, tracker: str) -> Ballot | None:
    # A tracker written down by hand comes back in groups: spaces are not part of it.
    tracker = "".join(tracker.split()).lower()
    if len(tracker) != 64:
        return None
    return Ballot.objects.filter(election=election, tracker=tracker, superseded=False).first()
