from __future__ import annotations

from dataclasses import dataclass

import pytest

from zhili.territory.actions import do_create_building, do_create_household
from zhili.territory.models import Building, Household


@dataclass
class Homes:
    building_a: Building
    building_b: Building
    household_a: Household
    household_b: Household


@pytest.fixture
def homes(region) -> Homes:
    """One building with one household in grid A and in grid B."""
    building_a = do_create_building(region.grid_a, "1号楼", "幸福路1号", 39.905, 116.305, actor=None)
    building_b = do_create_building(region.grid_b, "8号楼", "和平街8号", 39.905, 116.315, actor=None)
    return Homes(
        building_a,
        building_b,
        do_create_household(building_a, "1-101", actor=None),
        do_create_household(building_b, "2-202", actor=None),
    )


@pytest.fixture
def english():
    """Assert on the English msgids; Chinese (the default) is checked by its own tests."""
    from django.utils import translation

    with translation.override("en"):
        yield
