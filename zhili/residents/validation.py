"""The checks a person's identity fields must pass, shared by the forms, the actions and the import.

Each check gives ``Problem(field, code)``; ``message(code)`` is the Chinese (translated) sentence.
Codes are stable English, so that the import can translate each once for 100,000 rows.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, NamedTuple

from django.utils.translation import gettext_lazy as _

from zhili.core.crypto import normalize_for_index
from zhili.core.idnumber import InvalidIdNumber, normalize_id_number, parse_id_number
from zhili.residents.models import Gender, IdType

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
DOCUMENT_RE = re.compile(r"^[A-Z0-9]{5,20}$")
EARLIEST_BIRTH = date(1880, 1, 1)


class Problem(NamedTuple):
    field: str
    code: str


MESSAGES: dict[str, Any] = {
    "required": _("This field is required."),
    "id_required": _("A document number is required for this document type."),
    "id_length": _("A resident ID number has 18 characters."),
    "id_characters": _("A resident ID number has 17 digits and a last digit or X."),
    "id_region": _("The ID number starts with an unknown region code."),
    "id_birth_date": _("The ID number holds an impossible date of birth."),
    "id_check_digit": _("The check digit of the ID number is wrong."),
    "id_as_number": _("The ID number was stored as a number and lost digits; format the column as text."),
    "document_format": _("A document number has 5 to 20 letters or digits."),
    "birth_date_mismatch": _("The date of birth does not match the ID number."),
    "birth_date_range": _("The date of birth is in the future or before 1880."),
    "gender_mismatch": _("The gender does not match the ID number."),
    "mobile_format": _("A mobile number has 11 digits and starts with 13 to 19."),
    "moved_in_range": _("The move-in date is before the date of birth or in the future."),
    "moved_out_before_in": _("The move-out date is before the move-in date."),
    "id_number_taken": _("Another resident is already registered with this document number."),
    "id_number_repeated": _("The same document number appears in an earlier row (row %(row)s)."),
    "date_format": _("Not a date; write it as 2024-03-01."),
    "choice": _("Not one of the allowed values: %(allowed)s."),
    "building_missing": _("No building with this address in your area."),
    "building_ambiguous": _("Several buildings have this address; tell the territory office."),
    "tag_unknown": _("Unknown tag: %(tag)s."),
    "too_long": _("Too long (at most %(max)s characters)."),
    "header_missing": _("Column missing from the header row."),
}

_ID_REASONS = {
    "length": "id_length",
    "characters": "id_characters",
    "region": "id_region",
    "birth_date": "id_birth_date",
    "check_digit": "id_check_digit",
}


def message(code: str, **params: Any) -> str:
    text = str(MESSAGES[code])
    return text % params if params else text


def normalise_mobile(value: str) -> str:
    return normalize_for_index("mobile", value or "")


def normalise_document(id_type: str, value: str) -> str:
    return normalize_id_number(value or "")


def check_mobile(value: str) -> str | None:
    """A code when ``value`` (normalised; empty allowed) is not a mainland mobile number."""
    if value and not MOBILE_RE.match(value):
        return "mobile_format"
    return None


def check_identity(
    *, id_type: str, id_number: str, birth_date: date | None, gender: str, today: date | None = None
) -> list[Problem]:
    """``id_number`` normalised. A resident ID number must be valid and agree with birth date and gender."""
    today = today or date.today()
    problems: list[Problem] = []
    if birth_date is not None and not (EARLIEST_BIRTH <= birth_date <= today):
        problems.append(Problem("birth_date", "birth_date_range"))
    if not id_number:
        if id_type in (IdType.RESIDENT_ID, IdType.PASSPORT):
            problems.append(Problem("id_number", "id_required"))
        return problems
    if id_type != IdType.RESIDENT_ID:
        if not DOCUMENT_RE.match(id_number):
            problems.append(Problem("id_number", "document_format"))
        return problems
    try:
        info = parse_id_number(id_number, today=today)
    except InvalidIdNumber as exc:
        problems.append(Problem("id_number", _ID_REASONS.get(exc.reason, "id_characters")))
        return problems
    if birth_date is not None and info.birth_date != birth_date:
        problems.append(Problem("birth_date", "birth_date_mismatch"))
    if gender and gender != (Gender.MALE if info.is_male else Gender.FEMALE):
        problems.append(Problem("gender", "gender_mismatch"))
    return problems


def check_moves(
    *, birth_date: date | None, moved_in_on: date | None, moved_out_on: date | None, today: date | None = None
) -> list[Problem]:
    today = today or date.today()
    problems: list[Problem] = []
    if moved_in_on is not None and (moved_in_on > today or (birth_date and moved_in_on < birth_date)):
        problems.append(Problem("moved_in_on", "moved_in_range"))
    if moved_in_on is not None and moved_out_on is not None and moved_out_on < moved_in_on:
        problems.append(Problem("moved_out_on", "moved_out_before_in"))
    return problems
