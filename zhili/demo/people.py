"""Households and the people in them, drawn so that a register looks like a real one.

Pure functions of a ``random.Random``: the same seed always gives the same people. Ages, names,
ID numbers, relations and tags agree with each other: a child is born when the mother was 22-38,
an 80-year-old widow living alone is tagged 独居老人 and 高龄老人, the 17th digit of a woman's ID
number is even, and the birth date in the ID number is her birth date.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from zhili.core.idnumber import make_id_number
from zhili.demo.names import (
    GIVEN_NAMES,
    LOCAL_REGION_CODE,
    MOBILE_PREFIXES,
    OTHER_REGION_CODES,
    SURNAMES,
    VILLAGE,
)

# Ages are counted at this date, not at "today", so that a seed gives the same region every year.
REFERENCE_DATE = date(2026, 9, 30)
EARLIEST_MOVE = date(1985, 1, 1)

# Relation and residence codes as in zhili.residents.models (kept as strings: no Django here).
HEAD, SPOUSE, CHILD, PARENT, OTHER = "head", "spouse", "child", "parent", "other"
REGISTERED, RESIDENT, FLOATING = "registered", "resident", "floating"

# Household kinds and their weights, per community kind.
URBAN_KINDS = {
    "elderly_alone": 8,
    "elderly_couple": 12,
    "single": 11,
    "couple": 14,
    "nuclear": 33,
    "three_generations": 13,
    "tenants": 9,
}
VILLAGE_KINDS = {
    "elderly_alone": 12,
    "elderly_couple": 19,
    "left_behind": 9,
    "single": 5,
    "couple": 10,
    "nuclear": 24,
    "three_generations": 21,
}
VACANT_SHARE = 0.08


@dataclass
class PersonPlan:
    name: str
    gender: str  # "M" / "F"
    birth_date: date
    id_number: str
    mobile: str
    relation: str
    status: str
    moved_in_on: date
    tags: list[str] = field(default_factory=list)

    def age(self) -> int:
        return age_at(self.birth_date, REFERENCE_DATE)


@dataclass
class HouseholdPlan:
    number: str
    members: list[PersonPlan] = field(default_factory=list)


def age_at(born: date, when: date) -> int:
    return when.year - born.year - ((when.month, when.day) < (born.month, born.day))


class PeopleFactory:
    """Draws people one household at a time; remembers numbers already given out."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.id_numbers: set[str] = set()
        self.mobiles: set[str] = set()
        self._surnames = [s for s, _w in SURNAMES]
        self._surname_cum = list(accumulate(w for _s, w in SURNAMES))
        self._decades = sorted(GIVEN_NAMES)

    # Single attributes -------------------------------------------------------------------------

    def surname(self) -> str:
        point = self.rng.random() * self._surname_cum[-1]
        return self._surnames[bisect_right(self._surname_cum, point)]

    def given_name(self, gender: str, born: date) -> str:
        index = max(0, bisect_right(self._decades, born.year) - 1)
        men, women = GIVEN_NAMES[self._decades[index]]
        return self.rng.choice(men if gender == "M" else women)

    def birth_date(self, min_age: int, max_age: int) -> date:
        # Whole days between the youngest and the oldest birthday that give these ages.
        latest = REFERENCE_DATE - timedelta(days=int(min_age * 365.25) + 1)
        earliest = REFERENCE_DATE - timedelta(days=int((max_age + 1) * 365.25) - 1)
        return earliest + timedelta(days=self.rng.randint(0, max(0, (latest - earliest).days)))

    def id_number(self, gender: str, born: date, region: str) -> str:
        while True:
            sequence = self.rng.randrange(0, 1000)
            if (sequence % 2 == 1) != (gender == "M"):
                sequence = (sequence + 1) % 1000
            number = make_id_number(region, born, sequence)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def mobile(self, age: int) -> str:
        chance = 0.0 if age < 14 else 0.6 if age < 18 else 0.97 if age < 75 else 0.7 if age < 85 else 0.4
        if self.rng.random() >= chance:
            return ""
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(0, 10**8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def move_date(self, earliest: date) -> date:
        start = max(earliest, EARLIEST_MOVE)
        end = REFERENCE_DATE - timedelta(days=30)
        if start >= end:
            return end
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    # People ------------------------------------------------------------------------------------

    def person(
        self,
        *,
        gender: str,
        ages: tuple[int, int] | None = None,
        born: date | None = None,
        surname: str | None = None,
        relation: str,
        status: str,
        moved_in_on: date,
    ) -> PersonPlan:
        if born is None:
            assert ages is not None
            born = self.birth_date(*ages)
        name = (surname or self.surname()) + self.given_name(gender, born)
        # Registered residents hold local ID numbers; of the rest, most come from other provinces.
        local = status == REGISTERED or (status == RESIDENT and self.rng.random() < 0.6)
        region = LOCAL_REGION_CODE if local else self.rng.choice(OTHER_REGION_CODES)
        age = age_at(born, REFERENCE_DATE)
        return PersonPlan(
            name=name,
            gender=gender,
            birth_date=born,
            id_number=self.id_number(gender, born, region),
            mobile=self.mobile(age),
            relation=relation,
            status=status,
            moved_in_on=max(moved_in_on, born),
        )

    def _couple(self, ages: tuple[int, int], status: str, moved: date | None = None) -> list[PersonPlan]:
        rng = self.rng
        head_gender = "M" if rng.random() < 0.8 else "F"
        head_born = self.birth_date(*ages)
        moved = moved or self.move_date(head_born + timedelta(days=365 * 22))
        head = self.person(
            gender=head_gender, born=head_born, relation=HEAD, status=status, moved_in_on=moved
        )
        # Husbands are on average two or three years older than their wives.
        offset = rng.randint(-1, 6) if head_gender == "M" else -rng.randint(-1, 6)
        spouse_born = min(head_born + timedelta(days=365 * offset + rng.randint(0, 364)), REFERENCE_DATE)
        spouse = self.person(
            gender="F" if head_gender == "M" else "M",
            born=spouse_born,
            relation=SPOUSE,
            status=status,
            moved_in_on=moved,
        )
        return [head, spouse]

    def _children(self, couple: list[PersonPlan], count: int, status: str) -> list[PersonPlan]:
        rng = self.rng
        mother = couple[0] if couple[0].gender == "F" else couple[1]
        father = couple[1] if mother is couple[0] else couple[0]
        father_surname = _surname_of(father.name)
        children: list[PersonPlan] = []
        for _ in range(count):
            born = mother.birth_date + timedelta(days=rng.randint(22 * 365, 38 * 365))
            if born > REFERENCE_DATE - timedelta(days=60):
                continue
            surname = father_surname if rng.random() < 0.93 else _surname_of(mother.name)
            children.append(
                self.person(
                    gender=rng.choice("MF"),
                    born=born,
                    surname=surname,
                    relation=CHILD,
                    status=status,
                    moved_in_on=couple[0].moved_in_on,
                )
            )
        return children

    def household(self, kind: str, *, community_kind: str) -> list[PersonPlan]:
        rng = self.rng
        local = REGISTERED if rng.random() < 0.8 else RESIDENT
        if kind == "elderly_alone":
            gender = "F" if rng.random() < 0.65 else "M"
            born = self.birth_date(70, 95)
            moved = self.move_date(born + timedelta(days=365 * 30))
            return [self.person(gender=gender, born=born, relation=HEAD, status=local, moved_in_on=moved)]
        if kind == "elderly_couple":
            return self._couple((62, 90), local)
        if kind == "single":
            status = FLOATING if rng.random() < 0.4 else local
            born = self.birth_date(22, 45)
            moved = self.move_date(
                REFERENCE_DATE - timedelta(days=365 * 3)
                if status == FLOATING
                else born + timedelta(days=365 * 20)
            )
            gender = rng.choice("MF")
            return [self.person(gender=gender, born=born, relation=HEAD, status=status, moved_in_on=moved)]
        if kind == "couple":
            status = FLOATING if rng.random() < 0.15 else local
            arrived = self.move_date(REFERENCE_DATE - timedelta(days=365 * 4)) if status == FLOATING else None
            return self._couple((25, 60), status, arrived)
        if kind == "nuclear":
            couple = self._couple((28, 55), local)
            count = 1 if rng.random() < 0.65 else 2
            return couple + self._children(couple, count, local)
        if kind == "three_generations":
            couple = self._couple((32, 55), local)
            children = self._children(couple, 1 if rng.random() < 0.75 else 2, local)
            head = couple[0]
            surname = _surname_of(head.name)
            elders: list[PersonPlan] = []
            for gender in ("M", "F") if rng.random() < 0.4 else (rng.choice("MF"),):
                born = head.birth_date - timedelta(days=rng.randint(23 * 365, 34 * 365))
                elders.append(
                    self.person(
                        gender=gender,
                        born=born,
                        surname=surname if gender == "M" else None,
                        relation=PARENT,
                        status=local,
                        moved_in_on=self.move_date(head.moved_in_on),
                    )
                )
            return couple + children + elders
        if kind == "left_behind":
            # Grandparents with grandchildren whose parents work in the city (留守儿童).
            grandparents = self._couple((55, 75), REGISTERED)
            surname = _surname_of(grandparents[0].name)
            kids = [
                self.person(
                    gender=rng.choice("MF"),
                    ages=(3, 15),
                    surname=surname,
                    relation=OTHER,
                    status=REGISTERED,
                    moved_in_on=grandparents[0].moved_in_on,
                )
                for _ in range(1 if rng.random() < 0.6 else 2)
            ]
            for kid in kids:
                kid.tags.append("left_behind_child")
            return grandparents + kids
        if kind == "tenants":
            moved = self.move_date(REFERENCE_DATE - timedelta(days=365 * 3))
            people = [
                self.person(
                    gender=rng.choice("MF"),
                    ages=(20, 40),
                    relation=HEAD if i == 0 else OTHER,
                    status=FLOATING,
                    moved_in_on=moved,
                )
                for i in range(rng.randint(2, 3))
            ]
            return people
        raise ValueError(f"unknown household kind {kind!r}")

    def tag(self, members: list[PersonPlan], *, community_kind: str) -> None:
        """Care tags from the facts of the household (age, living alone) and a few random ones."""
        rng = self.rng
        alone = len(members) == 1
        dibao = rng.random() < (0.04 if community_kind == VILLAGE else 0.015)
        for person in members:
            age = person.age()
            if alone and age >= 70:
                person.tags.append("elderly_alone")
                if not dibao and rng.random() < 0.06:
                    person.tags.append("tekun")
            if age >= 80:
                person.tags.append("elderly_80")
            if rng.random() < (0.012 + (0.05 if age >= 65 else 0.0)):
                person.tags.append("disabled")
            if dibao and "tekun" not in person.tags:
                person.tags.append("dibao")
            if person.gender == "M" and 22 <= age <= 80 and rng.random() < 0.04:
                person.tags.append("veteran")
            if 18 <= age <= 60 and rng.random() < 0.003:
                person.tags.append("key_attention")


COMPOUND_SURNAMES = frozenset(s for s, _w in SURNAMES if len(s) == 2)


def _surname_of(name: str) -> str:
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


def household_kinds(community_kind: str) -> tuple[list[str], list[int]]:
    table = VILLAGE_KINDS if community_kind == VILLAGE else URBAN_KINDS
    return list(table), list(table.values())
