"""Answer validation as a property: whatever arrives, a response is accepted exactly when every
answer fits its question, and what is stored is the normal form of what was sent."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.participation.surveys import rules
from zhili.participation.surveys.rules import QuestionSpec

SINGLE = QuestionSpec(id=1, kind="single", options=3)
MULTI = QuestionSpec(id=2, kind="multiple", options=5, min_choices=2, max_choices=3)
RANK = QuestionSpec(id=3, kind="ranking", options=4)
SCALE = QuestionSpec(id=4, kind="scale", scale_min=0, scale_max=10)
TEXT = QuestionSpec(id=5, kind="text", max_length=20, required=False)
# Shown only when question 1 was answered with option 2.
FOLLOW = QuestionSpec(id=6, kind="text", max_length=50, condition_question=1, condition_values=(2,))
SPECS = [SINGLE, MULTI, RANK, SCALE, TEXT, FOLLOW]


def is_number(text):
    """Whole numbers written in ASCII digits (what a form or JSON client sends)."""
    return re.fullmatch(r"-?[0-9]{1,6}", text.strip()) is not None


junk = st.one_of(
    st.sampled_from(["2", " 1 ", "²", "١", "-0", "-1", "007", "3"]),
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.text(max_size=30),
    st.lists(st.integers(-2, 6), max_size=7),
    st.floats(allow_nan=True),
    st.dictionaries(st.text(max_size=3), st.integers()),
)


VALID = {
    1: st.one_of(st.integers(0, 2), st.sampled_from(["0", " 2", "1 "])),
    2: st.lists(st.integers(0, 4), min_size=2, max_size=3, unique=True),
    3: st.permutations([0, 1, 2, 3]).map(list),
    4: st.one_of(st.integers(0, 10), st.sampled_from(["10", "0"])),
    5: st.text(min_size=1, max_size=20),
    6: st.text(min_size=1, max_size=50),
}


@st.composite
def responses(draw):
    """Mostly well-formed responses with a few answers spoilt, left out, or added."""
    raw = {}
    for qid, valid in VALID.items():
        how = draw(st.sampled_from(["valid"] * 8 + ["junk", "missing"]))
        if how == "valid":
            raw[qid] = draw(valid)
        elif how == "junk":
            raw[qid] = draw(junk)
    if draw(st.integers(0, 9)) == 0:
        raw[draw(st.sampled_from([7, "x", -1]))] = draw(junk)
    return raw


@given(responses())
@settings(max_examples=500)
def test_acceptance_is_exactly_validity(raw):
    cleaned, errors = rules.clean_answers(SPECS, raw)

    def valid_single(v):
        return (type(v) is int and 0 <= v < 3) or (isinstance(v, str) and is_number(v) and 0 <= int(v) < 3)

    expected_ok = True
    if set(raw) - {1, 2, 3, 4, 5, 6}:
        expected_ok = False
    v1 = raw.get(1)
    if rules.is_empty(v1) or not valid_single(v1):
        expected_ok = False
    shown6 = not rules.is_empty(v1) and valid_single(v1) and int(v1) == 2
    v2 = raw.get(2)
    if not (
        isinstance(v2, list)
        and all(type(x) is int for x in v2)
        and 2 <= len(v2) <= 3
        and len(set(v2)) == len(v2)
        and all(0 <= x < 5 for x in v2)
    ):
        expected_ok = False
    v3 = raw.get(3)
    if not (isinstance(v3, list) and all(type(x) is int for x in v3) and sorted(v3) == [0, 1, 2, 3]):
        expected_ok = False
    v4 = raw.get(4)
    if not (
        (type(v4) is int and 0 <= v4 <= 10) or (isinstance(v4, str) and is_number(v4) and 0 <= int(v4) <= 10)
    ):
        expected_ok = False
    v5 = raw.get(5)
    if not rules.is_empty(v5) and not (isinstance(v5, str) and 0 < len(v5.replace("\x00", "").strip()) <= 20):
        expected_ok = False
    v6 = raw.get(6)
    if shown6:
        if rules.is_empty(v6) or not (isinstance(v6, str) and 0 < len(v6.replace("\x00", "").strip()) <= 50):
            expected_ok = False
    elif not rules.is_empty(v6):
        expected_ok = False
    assert (not errors) == expected_ok, (raw, errors)
    if not errors:
        assert set(cleaned) <= {1, 2, 3, 4, 5, 6}
        assert cleaned[3] == list(raw[3])
        assert cleaned[2] == sorted(raw[2])


@given(
    options=st.integers(2, 8),
    low=st.integers(0, 8),
    high=st.integers(0, 8),
    picks=st.lists(st.integers(0, 7), max_size=8, unique=True),
)
def test_multiple_choice_count_bounds(options, low, high, picks):
    spec = QuestionSpec(id=1, kind="multiple", options=options, min_choices=low, max_choices=high)
    cleaned, errors = rules.clean_answers([spec], {1: picks})
    in_range = all(p < options for p in picks)
    floor = max(low, 1)
    ceiling = high or options
    if not picks:
        assert [e.code for e in errors] == ["required"]
    elif not in_range:
        assert [e.code for e in errors] == ["bad_option"]
    elif len(picks) < floor:
        assert [e.code for e in errors] == ["too_few"]
    elif len(picks) > ceiling:
        assert [e.code for e in errors] == ["too_many"]
    else:
        assert not errors and cleaned[1] == sorted(picks)


@given(st.permutations(list(range(6))), st.integers(0, 5), st.integers(0, 5))
def test_ranking_needs_every_option_exactly_once(order, i, j):
    spec = QuestionSpec(id=1, kind="ranking", options=6)
    assert rules.clean_answers([spec], {1: order}) == ({1: list(order)}, [])
    broken = list(order)
    broken[i] = broken[j]
    _cleaned, errors = rules.clean_answers([spec], {1: broken})
    assert (not errors) == (i == j or order[i] == order[j])


def test_a_chain_of_conditions_hides_the_whole_branch():
    a = QuestionSpec(id=1, kind="single", options=2)
    b = QuestionSpec(id=2, kind="single", options=2, condition_question=1, condition_values=(1,))
    c = QuestionSpec(id=3, kind="text", condition_question=2, condition_values=(0,))
    assert rules.clean_answers([a, b, c], {1: 0}) == ({1: 0}, [])
    _cleaned, errors = rules.clean_answers([a, b, c], {1: 0, 3: "x"})
    assert [(e.question, e.code) for e in errors] == [(3, "hidden")]
    _cleaned, errors = rules.clean_answers([a, b, c], {1: 1, 2: 0})
    assert [(e.question, e.code) for e in errors] == [(3, "required")]
