from __future__ import annotations

import pytest

from zhili.core.testing import PASSWORD, Region, make_region


@pytest.fixture
def region(db) -> Region:
    return make_region()


@pytest.fixture
def login(client, region):
    """``login("grid_worker_a")`` logs the test client in as that persona and returns the user."""

    def _login(persona: str):
        user = region.user(persona)
        client.force_login(user)
        return user

    return _login


@pytest.fixture
def password() -> str:
    return PASSWORD
