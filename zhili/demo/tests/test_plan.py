"""The generated people agree with themselves: ID numbers, ages, relations, tags; same seed, same region."""

from __future__ import annotations

from collections import Counter

import pytest

from zhili.core.idnumber import parse_id_number
from zhili.demo import plan as plan_module
from zhili.demo.names import MOBILE_PREFIXES
from zhili.demo.people import REFERENCE_DATE, age_at
from zhili.demo.plan import plan_region

SMALL = 0.05


@pytest.fixture(scope="module")
def small():
    return plan_region(7, scale=SMALL)


def fingerprint(region):
    return [(p.name, p.id_number, p.mobile, p.birth_date, tuple(p.tags)) for p in region.persons()]


def test_same_seed_gives_the_same_people_and_another_seed_other_people(small):
    again = plan_region(7, scale=SMALL)
    assert fingerprint(again) == fingerprint(small)
    assert [b.address for b in again.buildings()] == [b.address for b in small.buildings()]
    other = plan_region(8, scale=SMALL)
    assert fingerprint(other) != fingerprint(small)
    assert [p.name for p in other.persons()][:50] != [p.name for p in small.persons()][:50]
    assert [g.polygon.wkt for g in other.grids()] != [g.polygon.wkt for g in small.grids()]


def test_id_numbers_are_valid_and_agree_with_birth_date_and_sex(small):
    persons = list(small.persons())
    assert len(persons) > 500
    for person in persons:
        info = parse_id_number(person.id_number, today=REFERENCE_DATE)
        assert info.birth_date == person.birth_date
        assert info.is_male == (person.gender == "M")
    assert len({p.id_number for p in persons}) == len(persons)


def test_mobiles_are_plausible_unique_and_only_for_people_old_enough(small):
    persons = list(small.persons())
    mobiles = [p.mobile for p in persons if p.mobile]
    assert len(mobiles) == len(set(mobiles)) > len(persons) // 2
    assert all(len(m) == 11 and m.isdigit() and m[:3] in MOBILE_PREFIXES for m in mobiles)
    assert all(not p.mobile for p in persons if p.age() < 14)


def test_households_have_one_head_and_plausible_families(small):
    occupied = [h for h in small.households() if h.members]
    assert 0 < len(occupied) < sum(1 for _ in small.households())  # some flats stand empty
    for household in occupied:
        relations = Counter(p.relation for p in household.members)
        assert relations["head"] == 1
        assert relations["spouse"] <= 1
        mothers = [p for p in household.members if p.relation in ("head", "spouse") and p.gender == "F"]
        for child in (p for p in household.members if p.relation == "child"):
            assert child.birth_date <= REFERENCE_DATE
            if mothers:
                assert age_at(mothers[0].birth_date, child.birth_date) >= 21
        for person in household.members:
            assert person.birth_date <= person.moved_in_on <= REFERENCE_DATE


def test_tags_follow_the_facts(small):
    for household in small.households():
        for person in household.members:
            tags = set(person.tags)
            lives_alone = len(household.members) == 1
            assert ("elderly_alone" in tags) == (lives_alone and person.age() >= 70)
            assert ("elderly_80" in tags) == (person.age() >= 80)
            assert not {"dibao", "tekun"} <= tags
            assert len(tags) == len(person.tags)
    counted = Counter(t for p in small.persons() for t in p.tags)
    assert counted["elderly_alone"] > 0 and counted["elderly_80"] > 0


def test_addresses_are_unique_and_named_like_real_ones(small):
    addresses = [b.address for b in small.buildings()]
    assert len(addresses) == len(set(addresses))
    assert all(a.startswith("和平街道") for a in addresses)
    assert any("号院" in a and a.endswith("号楼") for a in addresses)
    assert any(a.startswith("和平街道东山村") for a in addresses)
    for building in small.buildings():
        numbers = [h.number for h in building.households]
        assert len(numbers) == len(set(numbers))


def test_full_size_meets_the_promised_counts():
    counts = plan_region(1).counts()
    assert counts["communities"] >= 4
    assert counts["grids"] >= 40
    assert counts["households"] >= 5000
    assert counts["persons"] >= 12000


def test_full_size_tops_up_a_seed_that_falls_short(monkeypatch):
    natural = plan_region(1).counts()
    monkeypatch.setattr(plan_module, "MIN_PERSONS", natural["persons"] + 800)
    topped = plan_region(1).counts()
    assert topped["persons"] >= natural["persons"] + 800
    assert topped["buildings"] > natural["buildings"]


def test_scale_must_be_a_fraction():
    with pytest.raises(ValueError):
        plan_region(1, scale=0)
    with pytest.raises(ValueError):
        plan_region(1, scale=1.5)
