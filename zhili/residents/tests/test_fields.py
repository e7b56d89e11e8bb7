"""The field-by-role table: as documented, and as the pages and API apply it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zhili.accounts.roles import Role
from zhili.residents.fields import FIELD_NAMES, FIELD_TABLE, Level, levels_for_roles, shown
from zhili.residents.policies import PERM_ROLES, Perm, field_levels
from zhili.residents.selectors import shape_person

DOC = Path(__file__).resolve().parents[3] / "docs" / "privacy.md"
WORDS = {"hidden": Level.HIDDEN, "masked": Level.MASKED, "revealable": Level.REVEALABLE, "plain": Level.PLAIN}


def documented_table() -> dict[str, dict[str, Level]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| role "))
    fields = [cell.strip().split()[0] for cell in header.strip("|").split("|")[1:]]
    table = {}
    for line in lines:
        match = re.match(r"^\| `(\w+)` [^|]*\|(.*)\|$", line)
        if match and match[1] in Role.values:
            cells = [cell.strip() for cell in match[2].split("|")]
            table[match[1]] = {field: WORDS[cell] for field, cell in zip(fields, cells, strict=True)}
    return table


def test_the_documented_table_is_the_table_in_the_code():
    assert documented_table() == {role: dict(row) for role, row in FIELD_TABLE.items()}


def test_every_role_has_a_row_and_every_row_every_field():
    assert set(FIELD_TABLE) == set(Role.values)
    for row in FIELD_TABLE.values():
        assert list(row) == FIELD_NAMES


@pytest.mark.parametrize(
    ("role", "field", "expected"),
    [
        (Role.HANDLER, "id_number", Level.HIDDEN),  # the pothole case's handler never sees it
        (Role.HANDLER, "mobile", Level.HIDDEN),
        (Role.GRID_WORKER, "id_number", Level.REVEALABLE),
        (Role.GRID_WORKER, "mobile", Level.REVEALABLE),
        (Role.LEADER, "id_number", Level.MASKED),
        (Role.LEADER, "name", Level.MASKED),
        (Role.DISPATCHER, "id_number", Level.HIDDEN),
    ],
)
def test_key_rules(role, field, expected):
    assert FIELD_TABLE[role][field] == expected


def test_administrators_auditors_and_residents_see_no_personal_data():
    for role in (Role.ADMIN, Role.AUDITOR, Role.RESIDENT):
        assert set(FIELD_TABLE[role].values()) == {Level.HIDDEN}
        assert role not in PERM_ROLES[Perm.VIEW]


def test_only_grid_workers_and_community_staff_may_reveal():
    revealers = {role for role, row in FIELD_TABLE.items() if Level.REVEALABLE in row.values()}
    assert revealers == {Role.GRID_WORKER, Role.COMMUNITY_STAFF}


def test_several_posts_take_the_highest_level():
    levels = levels_for_roles({Role.HANDLER, Role.LEADER})
    assert levels["id_number"] == Level.MASKED and levels["name"] == Level.MASKED
    assert levels["household"] == Level.PLAIN


def test_masking_of_each_field():
    assert shown("id_number", "11010519491231002X", Level.MASKED) == "110105********002X"
    assert shown("mobile", "13812345678", Level.MASKED) == "138****5678"
    assert shown("name", "张秀英", Level.MASKED) == "张*英"
    from datetime import date

    assert shown("birth_date", date(1949, 12, 31), Level.MASKED) == "1949"
    assert shown("id_number", "11010519491231002X", Level.HIDDEN) is None


@pytest.mark.django_db
def test_levels_depend_on_the_territory_of_the_post(region, person):
    path = person.household.building.grid.path
    assert field_levels(region.user("grid_worker_a"), path)["id_number"] == Level.REVEALABLE
    # Grid worker of grid B holds no post over grid A.
    assert set(field_levels(region.user("grid_worker_b"), path).values()) == {Level.HIDDEN}
    assert set(field_levels(region.user("admin"), path).values()) == {Level.HIDDEN}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "id_shown", "mobile_shown", "name_shown"),
    [
        ("grid_worker_a", "110105********002X", "138****5678", "张秀英"),
        ("community_staff", "110105********002X", "138****5678", "张秀英"),
        ("leader", "110105********002X", "138****5678", "张*英"),
        ("dispatcher", None, "138****5678", "张秀英"),
        ("supervisor", None, "138****5678", "张秀英"),
        ("handler", None, None, "张*英"),
        ("admin", None, None, None),
        ("auditor", None, None, None),
    ],
)
def test_masking_per_role(region, person, persona, id_shown, mobile_shown, name_shown):
    from zhili.residents.policies import roles_at

    user = region.user(persona)
    shaped = shape_person(person, roles_at(user, person.household.building.grid.path))
    assert shaped.values["id_number"] == id_shown
    assert shaped.values["mobile"] == mobile_shown
    assert shaped.values["name"] == name_shown


@pytest.mark.django_db
def test_sensitive_tags_only_for_the_roles_the_tag_names(region, person):
    from zhili.residents.policies import roles_at

    path = person.household.building.grid.path
    names = {
        persona: {t.code for t in shape_person(person, roles_at(region.user(persona), path)).tags}
        for persona in ("grid_worker_a", "dispatcher", "leader", "handler")
    }
    assert names["grid_worker_a"] == {"elderly_alone", "dibao"}
    assert names["dispatcher"] == {"elderly_alone"}  # 低保 is sensitive: grid workers and staff only
    assert names["leader"] == {"elderly_alone"}
    assert names["handler"] == set()  # handlers see no tags at all
