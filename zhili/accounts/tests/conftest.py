from __future__ import annotations

import pytest

from zhili.accounts.roles import Role
from zhili.core.testing import make_user


@pytest.fixture
def other_admin(region):
    """Administrator of the other street (T): must see nothing of street S."""
    return make_user("admin_t", role=Role.ADMIN, node=region.other_street)


@pytest.fixture
def colleague(region):
    """A grid worker of grid B with a second post as community staff of C2, created by the test."""
    from zhili.accounts.models import Membership

    user = make_user("colleague", role=Role.GRID_WORKER, node=region.grid_b)
    Membership.objects.create(user=user, role=Role.COMMUNITY_STAFF, node=region.c2)
    return user
