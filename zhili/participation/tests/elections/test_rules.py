"""The election rules as pure functions: every legal threshold at and around its boundary."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.participation.elections import rules
from zhili.participation.elections.rules import (
    BoothFigures,
    CandidateSpec,
    PostSpec,
    Reason,
    RegistryPerson,
    ResidenceRule,
    RollRules,
    TieRule,
)

DAY = date(2027, 6, 1)
REGISTERED_ONLY = RollRules()
WITH_RESIDENTS = RollRules(residence_rule=ResidenceRule.REGISTERED_OR_RESIDENT, min_residence_years=1)


def person(born=date(1980, 1, 1), status="registered", moved_in=None, moved_out=None):
    return RegistryPerson(1, born, status, moved_in, moved_out)


# --- eligibility ------------------------------------------------------------------------------


def test_eighteenth_birthday_on_election_day_counts():
    assert rules.eligibility(person(born=date(2009, 6, 1)), REGISTERED_ONLY, DAY) == Reason.ELIGIBLE


def test_eighteenth_birthday_the_day_after_election_day_does_not():
    assert rules.eligibility(person(born=date(2009, 6, 2)), REGISTERED_ONLY, DAY) == Reason.UNDER_AGE


def test_leap_day_birthdays_come_of_age_on_the_first_of_march():
    born = date(2008, 2, 29)
    assert rules.eligibility(person(born=born), REGISTERED_ONLY, date(2026, 2, 28)) == Reason.UNDER_AGE
    assert rules.eligibility(person(born=born), REGISTERED_ONLY, date(2026, 3, 1)) == Reason.ELIGIBLE


def test_minimum_age_is_data():
    sixteen = RollRules(min_age=16)
    assert rules.eligibility(person(born=date(2011, 6, 1)), sixteen, DAY) == Reason.ELIGIBLE
    assert rules.eligibility(person(born=date(2011, 6, 1)), REGISTERED_ONLY, DAY) == Reason.UNDER_AGE


def test_moved_out_on_or_before_election_day_is_excluded():
    assert rules.eligibility(person(moved_out=DAY), REGISTERED_ONLY, DAY) == Reason.MOVED_OUT
    assert rules.eligibility(person(moved_out=date(2020, 1, 1)), REGISTERED_ONLY, DAY) == Reason.MOVED_OUT
    # A move recorded for after election day does not take the vote away yet.
    assert rules.eligibility(person(moved_out=date(2027, 6, 2)), REGISTERED_ONLY, DAY) == Reason.ELIGIBLE


def test_registered_only_excludes_residents_without_hukou():
    long_resident = person(status="resident", moved_in=date(2000, 1, 1))
    assert rules.eligibility(long_resident, REGISTERED_ONLY, DAY) == Reason.NOT_REGISTERED
    assert rules.eligibility(person(status="registered"), REGISTERED_ONLY, DAY) == Reason.ELIGIBLE


def test_residents_of_one_year_or_more_vote_when_the_rule_allows():
    exactly_a_year = person(status="resident", moved_in=date(2026, 6, 1))
    a_day_short = person(status="resident", moved_in=date(2026, 6, 2))
    unknown_date = person(status="resident", moved_in=None)
    assert rules.eligibility(exactly_a_year, WITH_RESIDENTS, DAY) == Reason.ELIGIBLE
    assert rules.eligibility(a_day_short, WITH_RESIDENTS, DAY) == Reason.RESIDENCE_TOO_SHORT
    assert rules.eligibility(unknown_date, WITH_RESIDENTS, DAY) == Reason.RESIDENCE_TOO_SHORT


def test_floating_population_never_votes():
    floater = person(status="floating", moved_in=date(2000, 1, 1))
    assert rules.eligibility(floater, WITH_RESIDENTS, DAY) == Reason.NOT_REGISTERED


def test_minimum_residence_is_data():
    two_years = RollRules(residence_rule=ResidenceRule.REGISTERED_OR_RESIDENT, min_residence_years=2)
    resident = person(status="resident", moved_in=date(2026, 1, 1))
    assert rules.eligibility(resident, WITH_RESIDENTS, DAY) == Reason.ELIGIBLE
    assert rules.eligibility(resident, two_years, DAY) == Reason.RESIDENCE_TOO_SHORT


def test_build_roll_keeps_everyone_with_a_reason():
    rows = rules.build_roll(
        [
            RegistryPerson(1, date(1980, 1, 1), "registered"),
            RegistryPerson(2, date(2015, 1, 1), "registered"),
        ],
        REGISTERED_ONLY,
        DAY,
    )
    assert rows == [(1, True, Reason.ELIGIBLE), (2, False, Reason.UNDER_AGE)]


# --- roll publication, objections and freezing --------------------------------------------------


def test_roll_must_be_published_twenty_days_before_election_day():
    assert rules.latest_roll_publication(DAY, 20) == date(2027, 5, 12)


def test_objection_period_does_not_count_the_day_of_publication():
    published = date(2027, 5, 1)
    assert rules.objection_deadline(published, 5) == date(2027, 5, 6)
    assert rules.objections_open(published, 5, date(2027, 5, 1))
    assert rules.objections_open(published, 5, date(2027, 5, 6))
    assert not rules.objections_open(published, 5, date(2027, 5, 7))
    assert not rules.objections_open(published, 5, date(2027, 4, 30))


def test_roll_cannot_be_frozen_during_the_objection_period_or_with_pending_objections():
    published = date(2027, 5, 1)
    assert rules.freeze_refusal(published, 5, date(2027, 5, 6), 0) == "objection_period_running"
    assert rules.freeze_refusal(published, 5, date(2027, 5, 7), 1) == "objections_pending"
    assert rules.freeze_refusal(published, 5, date(2027, 5, 7), 0) is None


# --- candidates and ballots --------------------------------------------------------------------


def post(post_id=1, seats=1, n=3, births=None):
    births = births or [date(1970 + i, 1, 1) for i in range(n)]
    return PostSpec(
        post_id,
        f"post{post_id}",
        seats,
        tuple(
            CandidateSpec(post_id * 100 + i, f"c{i}", rank) for i, rank in enumerate(rules.seniority(births))
        ),
    )


def test_contested_rule_needs_more_candidates_than_seats():
    assert rules.contested_problems([post(1, seats=1, n=2), post(2, seats=3, n=4)]) == []
    assert rules.contested_problems([post(1, seats=1, n=1), post(2, seats=2, n=2), post(3, 2, 3)]) == [1, 2]


def test_ballot_choices_valid_only_within_seats_and_the_posts_candidates():
    p = post(1, seats=2, n=3)
    assert rules.choices_valid([], p)  # abstention
    assert rules.choices_valid([100, 101], p)
    assert not rules.choices_valid([100, 101, 102], p)  # too many
    assert not rules.choices_valid([100, 100], p)  # twice the same
    assert not rules.choices_valid([999], p)  # not a candidate of the post


def test_canonical_contents_sorts_and_refuses_non_numbers():
    assert rules.canonical_contents({2: [5, 3], "1": ["7"]}) == {"2": [3, 5], "1": [7]}
    with pytest.raises(ValueError):
        rules.canonical_contents({1: [None]})
    with pytest.raises(ValueError):
        rules.canonical_contents({1: [True]})


# --- the tally -----------------------------------------------------------------------------------


def count(
    posts,
    ballots,
    *,
    registered,
    voted=None,
    booths=(),
    round_kind="first",
    tie_rule=TieRule.RUNOFF,
    seed="s",
):
    return rules.tally(
        election_id=1,
        round_kind=round_kind,
        registered=registered,
        voted=len(ballots) + sum(b.ballots_cast for b in booths) if voted is None else voted,
        posts=posts,
        ballots=ballots,
        booths=booths,
        tie_rule=tie_rule,
        seed=seed,
    )


def ballots_for(post_id, counts):
    """{candidate id: n ballots naming only them} → list of ballots; key None = abstention."""
    result = []
    for candidate, n in counts.items():
        result += [{str(post_id): [] if candidate is None else [candidate]}] * n
    return result


def test_election_valid_only_with_more_than_half_of_registered_voting():
    p = post()
    five = ballots_for(1, {100: 5})
    assert count([p], five, registered=10)["valid"] is False  # exactly half
    assert count([p], five + ballots_for(1, {100: 1}), registered=10)["valid"] is True
    void = count([p], five, registered=10)
    assert void["posts"][0]["elected"] == [] and void["posts"][0]["unfilled"] == 1


def test_candidate_needs_more_than_half_of_the_ballots_valid_for_the_post():
    p = post()
    exactly_half = count([p], ballots_for(1, {100: 5, 101: 4, None: 1}), registered=10)
    assert exactly_half["posts"][0]["elected"] == [] and exactly_half["posts"][0]["unfilled"] == 1
    assert exactly_half["posts"][0]["min_votes"] == 6
    one_more = count([p], ballots_for(1, {100: 6, 101: 4}), registered=10)
    assert one_more["posts"][0]["elected"] == [100]


def test_invalid_ballots_for_a_post_do_not_count_in_its_base():
    p = post()
    ballots = ballots_for(1, {100: 5, 101: 3}) + [{"1": [100, 101]}] * 3  # 3 over-voted ballots
    result = count([p], ballots, registered=12)
    assert result["posts"][0]["ballots_valid"] == 8
    assert result["posts"][0]["ballots_invalid"] == 3
    assert result["posts"][0]["elected"] == [100]  # 5 of 8 valid


def test_multi_seat_post_elects_the_most_voted_of_those_over_the_majority():
    p = post(1, seats=2, n=4)
    ballots = [{"1": [100, 101]}] * 6 + [{"1": [102, 103]}] * 4
    result = count([p], ballots, registered=10)["posts"][0]
    assert result["elected"] == [100, 101]
    assert result["votes"] == {"100": 6, "101": 6, "102": 4, "103": 4}


def test_unfilled_seats_are_reported_for_a_runoff():
    p = post(1, seats=2, n=4)
    ballots = [{"1": [100]}] * 6 + [{"1": [101, 103]}] * 4
    result = count([p], ballots, registered=10)["posts"][0]
    assert result["elected"] == [100]
    assert result["unfilled"] == 1


def test_runoff_winner_needs_at_least_a_third_of_the_votes_cast():
    p = post(1, seats=1, n=3)
    exactly_third = count(
        [p], ballots_for(1, {100: 3, 101: 2, 102: 2, None: 2}), registered=9, round_kind="runoff"
    )
    assert exactly_third["posts"][0]["elected"] == [100]
    below = count(
        [p],
        ballots_for(1, {100: 3, 101: 3, 102: 1, None: 3}),
        registered=10,
        round_kind="runoff",
        tie_rule=TieRule.LOT,
    )
    # 3 of 10 is less than a third: nobody is elected, even after the lot.
    assert below["posts"][0]["elected"] == []
    assert rules.RUNOFF.minimum(10) == 4 and rules.RUNOFF.minimum(9) == 3


def test_runoff_elects_the_most_voted_without_a_majority():
    p = post(1, seats=1, n=3)
    result = count([p], ballots_for(1, {100: 4, 101: 3, 102: 3}), registered=10, round_kind="runoff")
    assert result["posts"][0]["elected"] == [100]


def test_zero_votes_never_win_even_against_a_zero_base():
    p = post(1, seats=1, n=2)
    result = count([p], ballots_for(1, {None: 6}), registered=10, round_kind="runoff")
    assert result["posts"][0]["elected"] == []


def test_tie_for_the_last_seat_with_the_runoff_rule_leaves_it_unfilled():
    p = post(1, seats=2, n=3)
    ballots = [{"1": [100, 101]}] * 4 + [{"1": [100, 102]}] * 4 + [{"1": [101, 102]}] * 2
    result = count([p], ballots, registered=10, tie_rule=TieRule.RUNOFF)["posts"][0]
    assert result["elected"] == [100]
    assert result["tied"] == [101, 102]
    assert result["unfilled"] == 1


def test_tie_with_older_first_elects_the_older_candidate():
    p = post(1, seats=2, n=3, births=[date(1970, 1, 1), date(1975, 1, 1), date(1965, 1, 1)])
    ballots = [{"1": [100, 101]}] * 4 + [{"1": [100, 102]}] * 4 + [{"1": [101, 102]}] * 2
    result = count([p], ballots, registered=10, tie_rule=TieRule.OLDER_FIRST)["posts"][0]
    assert result["elected"] == [100, 102]
    assert result["tied"] == []


def test_seniority_ranks_by_age_and_shares_a_rank_for_the_same_birthday():
    born = [date(1970, 5, 1), date(1965, 1, 1), date(1970, 5, 1), date(1980, 2, 2)]
    assert rules.seniority(born) == [2, 1, 2, 3]
    assert rules.seniority([]) == []


def test_older_first_between_candidates_born_the_same_day_draws_lots():
    same = date(1970, 1, 1)
    p = post(1, seats=2, n=3, births=[date(1960, 1, 1), same, same])
    ballots = [{"1": [100, 101]}] * 4 + [{"1": [100, 102]}] * 4 + [{"1": [101, 102]}] * 2
    winners = set()
    for seed in ("a", "b", "c", "d", "e", "f"):
        result = count([p], ballots, registered=10, tie_rule=TieRule.OLDER_FIRST, seed=seed)["posts"][0]
        assert result["elected"][0] == 100 and result["tied"] == []
        winners.add(result["elected"][1])
    assert winners == {101, 102}


def test_tie_by_lot_is_decided_by_the_public_seed():
    p = post(1, seats=2, n=3)
    ballots = [{"1": [100, 101]}] * 4 + [{"1": [100, 102]}] * 4 + [{"1": [101, 102]}] * 2
    winners = set()
    for seed in ("a", "b", "c", "d", "e", "f"):
        first = count([p], ballots, registered=10, tie_rule=TieRule.LOT, seed=seed)["posts"][0]
        again = count([p], ballots, registered=10, tie_rule=TieRule.LOT, seed=seed)["posts"][0]
        assert first == again  # the same seed draws the same lot
        assert len(first["elected"]) == 2 and first["elected"][0] == 100
        winners.add(first["elected"][1])
    assert winners == {101, 102}  # and different seeds draw different lots


def test_lot_seed_depends_on_every_tracker_but_not_their_order():
    assert rules.lot_seed(1, ["a", "b"]) == rules.lot_seed(1, ["b", "a"])
    assert rules.lot_seed(1, ["a", "b"]) != rules.lot_seed(1, ["a", "c"])
    assert rules.lot_seed(1, ["a"]) != rules.lot_seed(2, ["a"])


def test_booth_figures_add_to_the_online_ballots():
    p = post(1, seats=1, n=2)
    booth = BoothFigures(5, {"1": {"valid": 4, "votes": {"101": 4}}})
    result = count([p], ballots_for(1, {100: 3}), registered=10, booths=[booth])
    row = result["posts"][0]
    assert result["voted"] == 8 and result["paper_ballots"] == 5 and result["online_ballots"] == 3
    assert row["votes"] == {"100": 3, "101": 4}
    assert row["ballots_valid"] == 7 and row["ballots_invalid"] == 1
    assert row["elected"] == [101]  # 4 of 7


# --- run-off candidates --------------------------------------------------------------------------


def test_runoff_candidates_are_the_best_placed_non_elected_plus_the_contest_margin():
    result = {"elected": [1], "unfilled": 1, "votes": {"1": 9, "2": 5, "3": 4, "4": 1}}
    assert rules.runoff_candidates(result, extra=1) == [2, 3]
    assert rules.runoff_candidates(result, extra=2) == [2, 3, 4]


def test_runoff_candidates_include_everyone_tied_at_the_cutoff():
    result = {"elected": [], "unfilled": 1, "votes": {"1": 5, "2": 4, "3": 4, "4": 1}}
    assert rules.runoff_candidates(result, extra=1) == [1, 2, 3]


def test_no_runoff_candidates_when_every_seat_is_filled():
    assert rules.runoff_candidates({"elected": [1], "unfilled": 0, "votes": {"1": 9, "2": 1}}) == []


# --- paper booths -------------------------------------------------------------------------------


def test_double_entry_counts_only_when_both_entries_are_identical():
    a = {"ballots_cast": 10, "posts": {"1": {"valid": 9, "votes": {"100": 6, "101": 3}}}}
    same = {"ballots_cast": 10, "posts": {"1": {"valid": 9, "votes": {"101": 3, "100": 6, "102": 0}}}}
    typo = {"ballots_cast": 10, "posts": {"1": {"valid": 9, "votes": {"100": 6, "101": 2}}}}
    assert rules.booths_agree(a, same)
    assert not rules.booths_agree(a, typo)
    assert not rules.booths_agree(a, None)


def test_impossible_booth_figures_are_named():
    p = post(1, seats=1, n=2)
    good = BoothFigures(10, {"1": {"valid": 9, "votes": {"100": 6, "101": 3}}})
    assert rules.booth_problems(good, [p]) == []
    assert "more_valid_than_cast" in rules.booth_problems(
        BoothFigures(5, {"1": {"valid": 9, "votes": {}}}), [p]
    )
    assert "more_votes_than_ballots" in rules.booth_problems(
        BoothFigures(10, {"1": {"valid": 9, "votes": {"100": 6, "101": 6}}}), [p]
    )
    assert "unknown_candidate" in rules.booth_problems(
        BoothFigures(10, {"1": {"valid": 9, "votes": {"7": 1}}}), [p]
    )
    assert "posts_mismatch" in rules.booth_problems(BoothFigures(10, {}), [p])
    assert "negative" in rules.booth_problems(BoothFigures(10, {"1": {"valid": -1, "votes": {}}}), [p])


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    seats=st.integers(1, 3),
    extra=st.integers(1, 3),
    picks=st.lists(st.lists(st.integers(0, 5), max_size=4), max_size=40),
    registered=st.integers(0, 60),
    tie_rule=st.sampled_from(list(TieRule)),
    round_kind=st.sampled_from(["first", "runoff"]),
)
def test_tally_never_elects_more_than_the_seats_nor_someone_below_the_threshold(
    seats, extra, picks, registered, tie_rule, round_kind
):
    p = post(1, seats=seats, n=seats + extra)
    ballots = [{"1": sorted(100 + i for i in pick)} for pick in picks]
    result = count(
        [p], ballots, registered=max(registered, len(ballots)), tie_rule=tie_rule, round_kind=round_kind
    )
    row = result["posts"][0]
    threshold = rules.WIN_THRESHOLDS[rules.RoundKind(round_kind)]
    assert len(row["elected"]) + row["unfilled"] == seats
    assert row["ballots_valid"] + row["ballots_invalid"] == len(ballots)
    for candidate in row["elected"]:
        assert threshold.met(row["votes"][str(candidate)], row["ballots_valid"])
    # Nobody left out has more votes than someone elected.
    if row["elected"]:
        lowest = min(row["votes"][str(c)] for c in row["elected"])
        left = [n for c, n in row["votes"].items() if int(c) not in row["elected"]]
        assert all(n <= lowest for n in left)
