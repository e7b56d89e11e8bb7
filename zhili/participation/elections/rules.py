"""The rules of a committee election, as data, and the pure functions that apply them.

Nothing here reads or writes the database: actions hand in plain values, the bulletin-board
verifier (``zhili election verify``) calls the very same ``tally`` on a downloaded board, so the
count an official publishes and the count anyone recomputes cannot drift apart.

Legal sources (the Organic Law of Villagers' Committees, 《中华人民共和国村民委员会组织法》, 2018
revision; residents' committee elections follow the same pattern under provincial rules made under
《城市居民委员会组织法》第八条):

- 第十三条: 年满十八周岁的村民 … 有选举权和被选举权; the residence cases (户籍在本村并且在本村居住;
  户籍不在本村，在本村居住一年以上 …) are ``ResidenceRule``.
- 第十四条: 登记参加选举的村民名单应当在选举日的二十日前 … 公布。对 … 名单有异议的，应当自名单
  公布之日起五日内 … 申诉 (``roll_lead_days``, ``objection_days``).
- 第十五条: 有登记参加选举的村民过半数投票，选举有效 (``QUORUM``); 候选人获得参加投票的村民过半数的
  选票，始得当选 (``FIRST_ROUND``); 另行选举的，第一次投票未当选的人员得票多的为候选人，候选人以
  得票多的当选，但是所得票数不得少于已投选票数的三分之一 (``RUNOFF``).
- 差额选举: 第十五条 (候选人名额应当多于应选名额) — ``contested_problems``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ResidenceRule(models.TextChoices):
    # 户籍 only: residence_status == registered.
    REGISTERED_ONLY = "registered_only", _("Registered (hukou) residents only")
    # 户籍, or living here (常住, not floating) for at least ``min_residence_years``.
    REGISTERED_OR_RESIDENT = "registered_or_resident", _("Registered, or resident for the minimum period")


class TieRule(models.TextChoices):
    # A tie for the last seat: drawing lots (a lot anyone can recompute from the board, see
    # ``lot_key``), a run-off among the tied (the seat stays unfilled), or the older candidate.
    RUNOFF = "runoff", _("Run-off among the tied")
    LOT = "lot", _("Drawing lots")
    OLDER_FIRST = "older_first", _("Older candidate first")


class Reason(models.TextChoices):
    """Why a person stands on the roll as eligible or not."""

    ELIGIBLE = "eligible", _("Eligible")
    UNDER_AGE = "under_age", _("Under the minimum age on election day")
    MOVED_OUT = "moved_out", _("Moved out")
    NOT_REGISTERED = "not_registered", _("Not a registered (hukou) resident")
    RESIDENCE_TOO_SHORT = "residence_too_short", _("Has not lived here long enough")
    ADDED_ON_OBJECTION = "added_on_objection", _("Added after an objection")
    REMOVED_ON_OBJECTION = "removed_on_objection", _("Removed after an objection")


class RoundKind(models.TextChoices):
    FIRST = "first", _("First vote")
    RUNOFF = "runoff", _("Run-off (另行选举)")


# ---------------------------------------------------------------------------------------------
# Thresholds as data


@dataclass(frozen=True)
class Threshold:
    """``count`` out of ``base`` must be more than (strict) or at least numerator/denominator.

    A count of zero never meets a threshold: with no votes cast, "at least a third of nothing"
    would otherwise elect everyone.
    """

    numerator: int
    denominator: int
    strict: bool
    source: str

    def met(self, count: int, base: int) -> bool:
        if count <= 0:
            return False
        if self.strict:
            return count * self.denominator > self.numerator * base
        return count * self.denominator >= self.numerator * base

    def minimum(self, base: int) -> int:
        """The smallest count that meets the threshold for ``base`` (shown on the results page)."""
        need = self.numerator * base
        if self.strict:
            return max(need // self.denominator + 1, 1)
        return max(-(-need // self.denominator), 1)

    def as_dict(self) -> dict[str, Any]:
        return {"numerator": self.numerator, "denominator": self.denominator, "strict": self.strict}


# 《村民委员会组织法》第十五条: 有登记参加选举的村民过半数投票，选举有效。
QUORUM = Threshold(
    1, 2, strict=True, source="村民委员会组织法第十五条：登记参加选举的村民过半数投票，选举有效"
)
# 同条: 候选人获得参加投票的村民过半数的选票，始得当选。Votes are counted against the ballots valid
# for the post (blank ballots for the post count as valid: an abstention is a vote cast).
FIRST_ROUND = Threshold(
    1, 2, strict=True, source="村民委员会组织法第十五条：获得参加投票的村民过半数的选票，始得当选"
)
# 同条: 另行选举时，以得票多的当选，但得票数不得少于已投选票数的三分之一。
RUNOFF = Threshold(
    1,
    3,
    strict=False,
    source="村民委员会组织法第十五条：另行选举以得票多的当选，但不得少于已投选票数的三分之一",
)

WIN_THRESHOLDS = {RoundKind.FIRST: FIRST_ROUND, RoundKind.RUNOFF: RUNOFF}


# ---------------------------------------------------------------------------------------------
# The voter roll


@dataclass(frozen=True)
class RegistryPerson:
    """What the roll needs to know about one person of the registry."""

    person_id: int
    birth_date: date
    residence_status: str  # zhili.residents.models.ResidenceStatus values
    moved_in_on: date | None = None
    moved_out_on: date | None = None


@dataclass(frozen=True)
class RollRules:
    min_age: int = 18
    residence_rule: str = ResidenceRule.REGISTERED_ONLY
    min_residence_years: int = 1


REGISTERED = "registered"
RESIDENT = "resident"


def age_on(born: date, day: date) -> int:
    """Full years (周岁) on ``day``: someone whose 18th birthday is election day is 18 that day.

    A person born on 29 February turns a year older on 1 March in common years.
    """
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def years_after(day: date, years: int) -> date:
    """The same calendar date ``years`` later; 29 February falls on 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def eligibility(person: RegistryPerson, rules: RollRules, election_day: date) -> Reason:
    if person.moved_out_on is not None and person.moved_out_on <= election_day:
        return Reason.MOVED_OUT
    if age_on(person.birth_date, election_day) < rules.min_age:
        return Reason.UNDER_AGE
    if person.residence_status == REGISTERED:
        return Reason.ELIGIBLE
    if rules.residence_rule == ResidenceRule.REGISTERED_ONLY:
        return Reason.NOT_REGISTERED
    if person.residence_status != RESIDENT:
        return Reason.NOT_REGISTERED  # floating population (流动人口) has no vote here
    if (
        person.moved_in_on is None
        or years_after(person.moved_in_on, rules.min_residence_years) > election_day
    ):
        return Reason.RESIDENCE_TOO_SHORT
    return Reason.ELIGIBLE


def build_roll(
    persons: Iterable[RegistryPerson], rules: RollRules, election_day: date
) -> list[tuple[int, bool, Reason]]:
    """(person id, eligible, reason) for every person of the registry slice."""
    rows = []
    for person in persons:
        reason = eligibility(person, rules, election_day)
        rows.append((person.person_id, reason == Reason.ELIGIBLE, reason))
    return rows


def latest_roll_publication(election_day: date, lead_days: int) -> date:
    """第十四条: the roll is published at least ``lead_days`` (20) days before election day."""
    return election_day - timedelta(days=lead_days)


def objection_deadline(published_on: date, days: int) -> date:
    """The last day objections are accepted.

    "自名单公布之日起五日内": the day of publication is not counted (《民法典》第二百零一条: 开始的
    当日不计入), so a roll published on the 1st takes objections up to and including the 6th.
    """
    return published_on + timedelta(days=days)


def objections_open(published_on: date, days: int, today: date) -> bool:
    return published_on <= today <= objection_deadline(published_on, days)


def freeze_refusal(published_on: date, days: int, today: date, pending_objections: int) -> str | None:
    """Why the roll may not be frozen yet (a stable code), or None."""
    if today <= objection_deadline(published_on, days):
        return "objection_period_running"
    if pending_objections:
        return "objections_pending"
    return None


# ---------------------------------------------------------------------------------------------
# Posts, candidates and ballots


@dataclass(frozen=True)
class CandidateSpec:
    """A candidate as the count and the public board know them.

    ``seniority`` is the candidate's rank by age within the post: 1 for the oldest, and candidates
    born the same day share a rank. It is all the older-first tie rule needs, so the board
    publishes it and never a birth date (a birth date with the masked ID number beside a name is
    most of an ID number).
    """

    id: int
    name: str
    seniority: int


def seniority(birth_dates: Sequence[date]) -> list[int]:
    """Rank by age for each birth date given, in the same order: 1 the oldest, ties share a rank."""
    ranks = {born: rank for rank, born in enumerate(sorted(set(birth_dates)), start=1)}
    return [ranks[born] for born in birth_dates]


@dataclass(frozen=True)
class PostSpec:
    id: int
    name: str
    seats: int
    candidates: tuple[CandidateSpec, ...] = ()

    def candidate_ids(self) -> frozenset[int]:
        return frozenset(c.id for c in self.candidates)


def contested_problems(posts: Sequence[PostSpec]) -> list[int]:
    """Ids of posts that break the contested rule (差额): it needs more candidates than seats."""
    return [post.id for post in posts if post.seats < 1 or len(post.candidates) <= post.seats]


def canonical_contents(raw: Mapping[Any, Iterable[Any]]) -> dict[str, list[int]]:
    """Post id (as text) → sorted candidate ids: the one form that is hashed, stored and published.

    Raises ValueError for anything that is not whole numbers.
    """
    contents: dict[str, list[int]] = {}
    for post_id, choices in raw.items():
        key = str(int(post_id))
        values = []
        for choice in choices:
            if isinstance(choice, bool) or not isinstance(choice, int | str):
                raise ValueError("choice is not a candidate id")
            values.append(int(choice))
        contents[key] = sorted(values)
    return contents


def choices_valid(choices: Sequence[int], post: PostSpec) -> bool:
    """A ballot is valid for a post when it names at most ``seats`` distinct candidates of that post.

    Naming nobody is valid (an abstention); naming too many, a stranger, or one person twice voids
    the ballot for that post only.
    """
    if len(choices) > post.seats or len(set(choices)) != len(choices):
        return False
    return set(choices) <= post.candidate_ids()


# ---------------------------------------------------------------------------------------------
# The tally


@dataclass
class BoothFigures:
    """One paper booth's count as both officials entered it.

    ``posts`` maps post id (text) to ``{"valid": ballots valid for the post, "votes": {candidate
    id (text): votes}}``; ``ballots_cast`` is the number of ballot papers found in the box.
    """

    ballots_cast: int
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"ballots_cast": self.ballots_cast, "posts": self.posts}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BoothFigures:
        return cls(ballots_cast=int(data["ballots_cast"]), posts=dict(data.get("posts", {})))


def booth_problems(figures: BoothFigures, posts: Sequence[PostSpec]) -> list[str]:
    """Stable codes of what is impossible in a booth's figures (checked before they are stored)."""
    problems: list[str] = []
    if figures.ballots_cast < 0:
        problems.append("negative")
    by_id = {str(post.id): post for post in posts}
    if set(figures.posts) != set(by_id):
        problems.append("posts_mismatch")
        return problems
    for key, post in by_id.items():
        entry = figures.posts[key]
        valid = int(entry.get("valid", 0))
        votes = {str(k): int(v) for k, v in entry.get("votes", {}).items()}
        if valid < 0 or any(v < 0 for v in votes.values()):
            problems.append("negative")
        if valid > figures.ballots_cast:
            problems.append("more_valid_than_cast")
        if set(votes) - {str(c) for c in post.candidate_ids()}:
            problems.append("unknown_candidate")
        if any(v > valid for v in votes.values()) or sum(votes.values()) > valid * post.seats:
            problems.append("more_votes_than_ballots")
    return sorted(set(problems))


def booths_agree(first: Mapping[str, Any] | None, second: Mapping[str, Any] | None) -> bool:
    """Double entry: a booth counts only when two entries hold the very same figures."""
    if first is None or second is None:
        return False
    return normalise_figures(first) == normalise_figures(second)


def normalise_figures(data: Mapping[str, Any]) -> dict[str, Any]:
    posts = {}
    for key, entry in data.get("posts", {}).items():
        votes = {str(c): int(v) for c, v in entry.get("votes", {}).items() if int(v) != 0}
        posts[str(key)] = {"valid": int(entry.get("valid", 0)), "votes": dict(sorted(votes.items()))}
    return {"ballots_cast": int(data.get("ballots_cast", 0)), "posts": dict(sorted(posts.items()))}


def lot_seed(election_id: int, trackers: Iterable[str]) -> str:
    """The seed of drawn lots: unknown until the last ballot is in, recomputable from the board."""
    digest = hashlib.sha256(f"zhili-lot|{election_id}|".encode())
    for tracker in sorted(trackers):
        digest.update(tracker.encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()


def lot_key(seed: str, post_id: int, candidate_id: int) -> str:
    return hashlib.sha256(f"{seed}|{post_id}|{candidate_id}".encode()).hexdigest()


def _resolve_tie(
    tied: list[CandidateSpec], slots: int, tie_rule: str, seed: str, post_id: int
) -> tuple[list[CandidateSpec], list[CandidateSpec]]:
    """Pick ``slots`` of the tied candidates: (elected, left unresolved for a run-off)."""
    if tie_rule == TieRule.RUNOFF:
        return [], tied
    if tie_rule == TieRule.OLDER_FIRST:
        # Same birthday (the same seniority): drawing lots decides between them.
        order = sorted(tied, key=lambda c: (c.seniority, lot_key(seed, post_id, c.id)))
    else:
        order = sorted(tied, key=lambda c: lot_key(seed, post_id, c.id))
    return order[:slots], []


def decide_post(
    post: PostSpec,
    votes: Mapping[int, int],
    base: int,
    threshold: Threshold,
    *,
    tie_rule: str,
    seed: str,
) -> tuple[list[int], list[int]]:
    """(elected ids in order of votes, ids tied for a seat and left to a run-off).

    Candidates who meet the threshold are taken by votes, most first; when more of them meet it
    than there are seats and the last seat is tied, the tie rule decides.
    """
    qualified = [c for c in post.candidates if threshold.met(votes.get(c.id, 0), base)]
    qualified.sort(key=lambda c: (-votes.get(c.id, 0), c.id))
    if len(qualified) <= post.seats:
        return [c.id for c in qualified], []
    boundary = votes.get(qualified[post.seats - 1].id, 0)
    above = [c for c in qualified if votes.get(c.id, 0) > boundary]
    at = [c for c in qualified if votes.get(c.id, 0) == boundary]
    slots = post.seats - len(above)
    if len(at) <= slots:  # cannot happen with a sorted list, kept for clarity
        return [c.id for c in above + at], []
    chosen, unresolved = _resolve_tie(at, slots, tie_rule, seed, post.id)
    return [c.id for c in above + chosen], [c.id for c in unresolved]


def tally(
    *,
    election_id: int,
    round_kind: str,
    registered: int,
    voted: int,
    posts: Sequence[PostSpec],
    ballots: Iterable[Mapping[str, Sequence[int]]],
    booths: Sequence[BoothFigures] = (),
    tie_rule: str = TieRule.RUNOFF,
    seed: str = "",
) -> dict[str, Any]:
    """Count online ballots and confirmed booth figures; apply quorum, threshold and tie rule.

    ``ballots`` are the counted (not superseded) ballots' canonical contents. The result is plain
    JSON (text keys), signed as it is and recomputed by the verifier.
    """
    votes: dict[int, dict[int, int]] = {post.id: {c.id: 0 for c in post.candidates} for post in posts}
    valid: dict[int, int] = {post.id: 0 for post in posts}
    invalid: dict[int, int] = {post.id: 0 for post in posts}
    keys = [(post, str(post.id)) for post in posts]
    online = 0
    for contents in ballots:
        online += 1
        for post, key in keys:
            choices = contents.get(key, [])
            if choices_valid(choices, post):
                valid[post.id] += 1
                post_votes = votes[post.id]
                for choice in choices:
                    post_votes[choice] += 1
            else:
                invalid[post.id] += 1
    paper = 0
    for booth in booths:
        paper += booth.ballots_cast
        for post, key in keys:
            entry = booth.posts.get(key, {"valid": 0, "votes": {}})
            booth_valid = int(entry.get("valid", 0))
            valid[post.id] += booth_valid
            invalid[post.id] += booth.ballots_cast - booth_valid
            for candidate, count in entry.get("votes", {}).items():
                votes[post.id][int(candidate)] += int(count)
    is_valid = QUORUM.met(voted, registered)
    threshold = WIN_THRESHOLDS[RoundKind(round_kind)]
    results = []
    for post in posts:
        base = valid[post.id]
        if is_valid:
            elected, tied = decide_post(post, votes[post.id], base, threshold, tie_rule=tie_rule, seed=seed)
        else:
            elected, tied = [], []
        results.append(
            {
                "post": post.id,
                "name": post.name,
                "seats": post.seats,
                "ballots_valid": base,
                "ballots_invalid": invalid[post.id],
                "min_votes": threshold.minimum(base),
                "votes": {str(c): n for c, n in sorted(votes[post.id].items())},
                "elected": elected,
                "tied": tied,
                "unfilled": post.seats - len(elected),
            }
        )
    return {
        "election": election_id,
        "round": str(round_kind),
        "registered": registered,
        "voted": voted,
        "online_ballots": online,
        "paper_ballots": paper,
        "valid": is_valid,
        "quorum": QUORUM.as_dict(),
        "threshold": threshold.as_dict(),
        "tie_rule": str(tie_rule),
        "posts": results,
    }


def runoff_candidates(post_result: Mapping[str, Any], extra: int = 1) -> list[int]:
    """Candidates of a run-off (另行选举) for one post of a tallied round.

    "第一次投票未当选的人员得票多的为候选人": the best placed non-elected, as many as the unfilled
    seats plus ``extra`` (the contested rule, 差额), and everyone tied with the last of them.
    """
    unfilled = int(post_result["unfilled"])
    if unfilled <= 0:
        return []
    elected = set(post_result["elected"])
    pool = sorted(
        ((int(c), int(n)) for c, n in post_result["votes"].items() if int(c) not in elected),
        key=lambda item: (-item[1], item[0]),
    )
    take = unfilled + extra
    if len(pool) <= take:
        return [c for c, _n in pool]
    cutoff = pool[take - 1][1]
    return [c for c, n in pool if n >= cutoff]
