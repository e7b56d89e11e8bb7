"""Resident identity card numbers (居民身份号码) as defined by GB 11643-1999.

An 18-character number is: 6-digit administrative region code (GB/T 2260), 8-digit birth date
YYYYMMDD, 3-digit sequence (odd for men, even for women), 1 check character (0-9 or X) computed
with ISO 7064 MOD 11-2.

``validate_id_number`` checks the canonical form (upper-case X, no spaces); call
``normalize_id_number`` on user input first.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)

# Province-level prefixes of GB/T 2260 (and 83 for residence permits of Taiwan residents).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip
# The example in GB 11643 itself was born in 1880.
EARLIEST_BIRTH = date(1800, 1, 1)


class InvalidIdNumber(ValueError):
    """The number is not a valid 18-character resident ID number; ``reason`` says which part fails."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid ID number: {reason}")


@dataclass(frozen=True)
class IdNumberInfo:
    region_code: str
    birth_date: date
    sequence: str
    is_male: bool


def id_check_digit(first17: str) -> str:
    """The check character for the first 17 digits (ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("id_check_digit needs exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    """User input → canonical form: full-width characters folded, spaces and hyphens removed, X upper."""
    if value.isascii() and value.isalnum():
        return value.upper()  # already folded: the common case
    folded = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in folded if not ch.isspace() and ch != "-").upper()


def parse_id_number(value: str, *, today: date | None = None) -> IdNumberInfo:
    """Check a canonical 18-character number and return its parts, or raise ``InvalidIdNumber``."""
    if len(value) != 18:
        raise InvalidIdNumber("length")
    body, check = value[:17], value[17]
    if not body.isascii() or not body.isdigit() or check not in "0123456789X":
        raise InvalidIdNumber("characters")
    if body[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber("region")
    try:
        born = date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise InvalidIdNumber("birth_date") from None
    if born < EARLIEST_BIRTH or born > (today or date.today()):
        raise InvalidIdNumber("birth_date")
    if id_check_digit(body) != check:
        raise InvalidIdNumber("check_digit")
    return IdNumberInfo(
        region_code=body[:6], birth_date=born, sequence=body[14:17], is_male=int(body[16]) % 2 == 1
    )


def validate_id_number(value: str, *, today: date | None = None) -> bool:
    """True when ``value`` is a valid canonical 18-character resident ID number."""
    try:
        parse_id_number(value, today=today)
    except InvalidIdNumber:
        return False
    return True


def make_id_number(region_code: str, birth_date: date, sequence: int) -> str:
    """Compose a number from its parts (sequence 0-999; its parity encodes the sex)."""
    if len(region_code) != 6 or not region_code.isdigit() or not 0 <= sequence <= 999:
        raise ValueError("region code must be 6 digits and sequence 0-999")
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + id_check_digit(first17)
