"""The demo region as plain data, before anything touches the database.

``plan_region(seed, scale=…)`` is a pure function: the same seed and scale give the same
communities, grids, buildings, households and people, down to each ID number. ``scale`` shrinks
the region for tests (fewer grids and buildings); 1.0 is the full demo.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import product

from shapely.geometry import Polygon

from zhili.demo.geometry import plan_shapes, point_inside
from zhili.demo.names import (
    COMMUNITIES,
    COMPOUND_PREFIXES,
    COMPOUND_SUFFIXES,
    STREET_NAME,
    VILLAGE,
    VILLAGE_GROUPS,
)
from zhili.demo.people import VACANT_SHARE, HouseholdPlan, PeopleFactory, PersonPlan, household_kinds

DISTRICT_CODE = "110199"
STREET_CODE = "110199001"
GRIDS_PER_COMMUNITY = 9
# What the full demo (scale 1) always reaches, whatever the seed.
MIN_HOUSEHOLDS = 5200
MIN_PERSONS = 12500


@dataclass
class BuildingPlan:
    name: str
    address: str
    lat: float
    lng: float
    floors: int
    households: list[HouseholdPlan] = field(default_factory=list)


@dataclass
class GridPlan:
    number: int
    name: str
    code: str
    polygon: Polygon
    buildings: list[BuildingPlan] = field(default_factory=list)
    compound: str = ""  # urban grids: the housing estate, e.g. 安华里
    compound_address: str = ""  # its address, e.g. 朝阳路12号院


@dataclass
class CommunityPlan:
    name: str
    code: str
    slug: str
    kind: str
    polygon: Polygon
    grids: list[GridPlan] = field(default_factory=list)


@dataclass
class RegionPlan:
    seed: int
    scale: float
    communities: list[CommunityPlan]

    def grids(self) -> Iterator[GridPlan]:
        for community in self.communities:
            yield from community.grids

    def buildings(self) -> Iterator[BuildingPlan]:
        for grid in self.grids():
            yield from grid.buildings

    def households(self) -> Iterator[HouseholdPlan]:
        for building in self.buildings():
            yield from building.households

    def persons(self) -> Iterator[PersonPlan]:
        for household in self.households():
            yield from household.members

    def counts(self) -> dict[str, int]:
        return {
            "communities": len(self.communities),
            "grids": sum(1 for _ in self.grids()),
            "buildings": sum(1 for _ in self.buildings()),
            "households": sum(1 for _ in self.households()),
            "persons": sum(1 for _ in self.persons()),
        }


def community_code(index: int, kind: str, village_index: int) -> str:
    # As in the statistical division codes: 001-199 neighbourhood committees, 200+ villages.
    return f"{STREET_CODE}{200 + village_index:03d}" if kind == VILLAGE else f"{STREET_CODE}{index + 1:03d}"


def _scaled(value: int, scale: float, minimum: int) -> int:
    return max(minimum, round(value * scale))


def _fill(
    building: BuildingPlan, numbers: list[str], people: PeopleFactory, rng: random.Random, kind: str
) -> None:
    kinds, weights = household_kinds(kind)
    for number in numbers:
        household = HouseholdPlan(number=number)
        if rng.random() >= VACANT_SHARE:
            household_kind = rng.choices(kinds, weights)[0]
            household.members = people.household(household_kind, community_kind=kind)
            people.tag(household.members, community_kind=kind)
        building.households.append(household)


def _urban_building(grid: GridPlan, rng: random.Random, people: PeopleFactory) -> None:
    """Add the next building of the grid's compound (小区)."""
    k = len(grid.buildings) + 1
    if rng.random() < 0.2:  # tower block 塔楼
        floors, units, doors = rng.randint(12, 24), rng.randint(1, 2), 4
    else:  # slab block 板楼
        floors, units, doors = rng.choice((5, 6, 6, 6, 7)), rng.randint(2, 5), 2
    spot = point_inside(rng, grid.polygon)
    building = BuildingPlan(
        name=f"{grid.compound}{k}号楼",
        address=f"{STREET_NAME}{grid.compound_address}{k}号楼",
        lat=spot.y,
        lng=spot.x,
        floors=floors,
    )
    numbers = [
        f"{unit}单元{floor}{door:02d}"
        for unit, floor, door in product(range(1, units + 1), range(1, floors + 1), range(1, doors + 1))
    ]
    _fill(building, numbers, people, rng, "urban")
    grid.buildings.append(building)


def _village_courtyards(
    grid: GridPlan, community: str, scale: float, rng: random.Random, people: PeopleFactory
) -> None:
    index = grid.number - 1
    group = f"{VILLAGE_GROUPS[index]}组" if index < len(VILLAGE_GROUPS) else f"{grid.number}组"
    for j in range(1, _scaled(rng.randint(24, 40), scale, 2) + 1):
        spot = point_inside(rng, grid.polygon)
        courtyard = BuildingPlan(
            name=f"{group}{j}号",
            address=f"{STREET_NAME}{community}{group}{j}号",
            lat=spot.y,
            lng=spot.x,
            floors=1 if rng.random() < 0.7 else 2,
        )
        # A grown-up child's family often registers as a second household in the same courtyard (分户).
        numbers = ["1户"] if rng.random() < 0.85 else ["1户", "2户"]
        _fill(courtyard, numbers, people, rng, VILLAGE)
        grid.buildings.append(courtyard)


def plan_region(seed: int, *, scale: float = 1.0) -> RegionPlan:
    if not 0 < scale <= 1:
        raise ValueError("scale must be in (0, 1]")
    geo_rng = random.Random(f"zhili-demo:{seed}:geometry")
    place_rng = random.Random(f"zhili-demo:{seed}:places")
    people = PeopleFactory(random.Random(f"zhili-demo:{seed}:people"))

    grids_per_community = _scaled(GRIDS_PER_COMMUNITY, scale, 2)
    shapes = plan_shapes(geo_rng, [c[4] for c in COMMUNITIES], [grids_per_community] * len(COMMUNITIES))
    compounds = [prefix + suffix for prefix, suffix in product(COMPOUND_PREFIXES, COMPOUND_SUFFIXES)]
    place_rng.shuffle(compounds)

    communities: list[CommunityPlan] = []
    villages = 0
    for (name, slug, kind, roads, _centre), shape in zip(COMMUNITIES, shapes, strict=True):
        code = community_code(len(communities), kind, villages)
        villages += kind == VILLAGE
        community = CommunityPlan(name=name, code=code, slug=slug, kind=kind, polygon=shape.polygon)
        road_numbers: dict[str, int] = {}
        for grid_shape in shape.grids:
            grid = GridPlan(
                number=grid_shape.number,
                name=f"{name}第{grid_shape.number}网格",
                code=f"{code}{grid_shape.number:03d}",
                polygon=grid_shape.polygon,
            )
            if kind == VILLAGE:
                _village_courtyards(grid, name, scale, place_rng, people)
            else:
                road = roads[(grid.number - 1) % len(roads)]
                road_numbers[road] = road_numbers.get(road, place_rng.randint(1, 9)) + place_rng.randint(
                    2, 12
                )
                grid.compound = compounds.pop()
                grid.compound_address = f"{road}{road_numbers[road]}号院"
                for _ in range(_scaled(place_rng.randint(2, 4), scale, 1)):
                    _urban_building(grid, place_rng, people)
            community.grids.append(grid)
        communities.append(community)
    region = RegionPlan(seed=seed, scale=scale, communities=communities)
    if scale == 1:
        # Tower blocks make the size vary a lot between seeds; the full demo promises a minimum.
        urban = [grid for c in communities if c.kind != VILLAGE for grid in c.grids]
        turn = 0
        while (
            sum(1 for _ in region.households()) < MIN_HOUSEHOLDS
            or sum(1 for _ in region.persons()) < MIN_PERSONS
        ):
            _urban_building(urban[turn % len(urban)], place_rng, people)
            turn += 1
    return region
