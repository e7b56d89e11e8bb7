from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.core.idnumber import (
    InvalidIdNumber,
    id_check_digit,
    make_id_number,
    normalize_id_number,
    parse_id_number,
    validate_id_number,
)

# The examples printed in GB 11643-1999 itself.
STANDARD_EXAMPLES = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("number", STANDARD_EXAMPLES)
def test_examples_from_the_standard_are_valid(number):
    assert validate_id_number(number)
    assert id_check_digit(number[:17]) == number[17]


def test_parse_gives_birth_date_and_sex():
    info = parse_id_number("11010519491231002X")
    assert info.region_code == "110105"
    assert info.birth_date == date(1949, 12, 31)
    assert info.is_male is False  # sequence 002: even
    assert parse_id_number("440524188001010014").is_male is True


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("11010519491231002", "length"),
        ("11010519491231002XX", "length"),
        ("11010519491231002x", "characters"),  # canonical form has upper-case X
        ("1101051949123100XX", "characters"),
        ("11010519491231002Y", "characters"),
        ("99010519491231002X", "region"),
        ("110105194902300021", "birth_date"),  # 30 February
        ("110105179912310023", "birth_date"),  # before 1800
        ("110105199001011235", "check_digit"),
        ("110105194912310021", "check_digit"),
    ],
)
def test_invalid_numbers_say_why(number, reason):
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(number)
    assert info.value.reason == reason
    assert not validate_id_number(number)


def test_birth_date_in_the_future_is_invalid():
    number = make_id_number("110105", date(2030, 1, 1), 11)
    assert not validate_id_number(number, today=date(2029, 12, 31))
    assert validate_id_number(number, today=date(2030, 1, 1))


def test_normalize_folds_typing_variants():
    assert normalize_id_number(" 110105-19491231-002x ") == "11010519491231002X"
    assert normalize_id_number("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


def test_check_digit_needs_seventeen_digits():
    with pytest.raises(ValueError):
        id_check_digit("1101051949123100")
    with pytest.raises(ValueError):
        id_check_digit("1101051949123100A")


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    sequence=st.integers(0, 999),
    position=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_made_numbers_are_valid_and_one_changed_digit_is_caught(born, sequence, position, delta):
    number = make_id_number("110105", born, sequence)
    info = parse_id_number(number)
    assert info.birth_date == born
    assert info.is_male == (sequence % 2 == 1)
    # MOD 11-2 detects every single-digit substitution.
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert id_check_digit(changed[:17]) != changed[17]
