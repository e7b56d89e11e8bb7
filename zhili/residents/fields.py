"""Minimum necessary (个人信息保护法 art. 6): which role sees which field of a resident, and how.

The table is data; docs/privacy.md prints the same table and a test holds the two together.
A user with several posts gets, for a given person, the highest level among the roles whose
territory covers that person. Roles missing from a row see nothing of it.

Levels:
    hidden      not shown, not in exports, not in API answers (the key is left out)
    masked      shown masked (110105********1234, 138****5678, 张*, 1949年)
    revealable  masked, and the full value is shown on request with a typed reason (audited)
    plain       shown as it is

Tags: a role sees a tag when its ``tags`` level is plain and the tag's own ``visible_roles`` is
empty or names the role; every sensitive tag names its roles (zhili.residents.models.Tag).

The date of birth follows the ID number: the eight digits a masked resident ID number hides
(110105********1234) are the date of birth, so a masked ID number next to the full date is the
full number without the audited reveal. Whoever sees the ID number masked sees only the year of
birth (and the age, where the table gives the full date); the full date comes with the full
number. This holds for every document type, since permits for Hong Kong, Macao and Taiwan
residents and foreigners' permanent residence cards hold the date of birth as well.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.accounts.roles import Role
from zhili.core.crypto import mask_id_number, mask_mobile, mask_name


class Level(enum.IntEnum):
    HIDDEN = 0
    MASKED = 1
    REVEALABLE = 2
    PLAIN = 3


H, M, R, P = Level.HIDDEN, Level.MASKED, Level.REVEALABLE, Level.PLAIN

# (field, label) in display order.
FIELDS: list[tuple[str, Any]] = [
    ("name", pgettext_lazy("person", "Name")),
    ("gender", _("Gender")),
    ("birth_date", _("Date of birth")),
    ("id_number", _("Document number")),
    ("mobile", _("Mobile")),
    ("household", _("Address and unit")),
    ("relation_to_head", _("Relation to head of household")),
    ("residence_status", _("Residence status")),
    ("moves", _("Moved in / out")),
    ("tags", _("Tags")),
    ("visits", _("Visits")),
    ("history", _("Change history")),
]
FIELD_NAMES = [name for name, _label in FIELDS]
FIELD_LABELS = dict(FIELDS)

# The table. Columns follow FIELD_NAMES.
#                               name gend birth id   mob  hh   rel  stat move tags visit hist
_ROWS: dict[str, tuple[Level, ...]] = {
    Role.GRID_WORKER:           (P,   P,   P,    R,   R,   P,   P,   P,   P,   P,   P,    P),
    Role.COMMUNITY_STAFF:       (P,   P,   P,    R,   R,   P,   P,   P,   P,   P,   P,    P),
    Role.DISPATCHER:            (P,   P,   H,    H,   M,   P,   H,   H,   H,   P,   H,    H),
    Role.SUPERVISOR:            (P,   H,   H,    H,   M,   P,   H,   H,   H,   H,   P,    H),
    Role.HANDLER:               (M,   H,   H,    H,   H,   P,   H,   H,   H,   H,   H,    H),
    Role.LEADER:                (M,   P,   M,    M,   M,   P,   H,   P,   H,   P,   H,    H),
    Role.PARTY_SECRETARY:       (H,   H,   H,    H,   H,   H,   H,   H,   H,   H,   H,    H),
    Role.AUDITOR:               (H,   H,   H,    H,   H,   H,   H,   H,   H,   H,   H,    H),
    Role.ADMIN:                 (H,   H,   H,    H,   H,   H,   H,   H,   H,   H,   H,    H),
    Role.RESIDENT:              (H,   H,   H,    H,   H,   H,   H,   H,   H,   H,   H,    H),
}  # fmt: skip

FIELD_TABLE: dict[str, dict[str, Level]] = {
    role: dict(zip(FIELD_NAMES, levels, strict=True)) for role, levels in _ROWS.items()
}

# Roles that see anything at all of a person (in their territory).
PERSON_ROLES = frozenset(role for role, row in FIELD_TABLE.items() if any(row.values()))
# A resident sees their own record in full through the self-service pages (never others').
SELF_LEVEL = Level.PLAIN
# Fields whose full value a reveal can show; the others are never stored masked.
REVEAL_FIELDS = ("id_number", "mobile")


def level(role: str, field: str) -> Level:
    return FIELD_TABLE.get(role, {}).get(field, Level.HIDDEN)


def table_levels(roles: Collection[str]) -> dict[str, Level]:
    """The table's level of every field for a set of roles: the highest wins."""
    return {field: max((level(role, field) for role in roles), default=Level.HIDDEN) for field in FIELD_NAMES}


def id_number_masked(levels: dict[str, Level], revealed: Collection[str] = ()) -> bool:
    """Whether the ID number is shown, but masked (not hidden, not plain, not revealed)."""
    return Level.HIDDEN < levels["id_number"] < Level.PLAIN and "id_number" not in revealed


def levels_for_roles(roles: Collection[str], *, revealed: Collection[str] = ()) -> dict[str, Level]:
    """The effective level of every field for a set of roles: the highest wins, and the date of
    birth is at most masked while the ID number is (see the module's notes). ``revealed``: the
    fields shown in full through an audited reveal."""
    return capped_levels(table_levels(roles), revealed=revealed)


def capped_levels(table: dict[str, Level], *, revealed: Collection[str] = ()) -> dict[str, Level]:
    """``table_levels`` with the date of birth capped while the ID number is masked."""
    levels = dict(table)
    if id_number_masked(levels, revealed):
        levels["birth_date"] = min(levels["birth_date"], Level.MASKED)
    return levels


def shows_age(table: dict[str, Level]) -> bool:
    """Age in years for roles whose table level (``table_levels``) of the date of birth is plain,
    even while the date shows only its year: it adds only which side of today the birthday falls."""
    return table["birth_date"] == Level.PLAIN


def mask_birth_date(value: date | None) -> str:
    return f"{value.year}" if value else ""


MASKERS = {
    "name": mask_name,
    "id_number": mask_id_number,
    "mobile": mask_mobile,
}


def shown(field: str, value: Any, lvl: Level) -> Any:
    """The value as a role at ``lvl`` may see it; None when hidden."""
    if lvl == Level.HIDDEN:
        return None
    if lvl == Level.PLAIN:
        return value
    if field == "birth_date":
        return mask_birth_date(value)
    masker = MASKERS.get(field)
    if masker is None:
        return value
    return masker(value) if value else ""
