from __future__ import annotations

from typing import Any

import pytest

from zhili.accounts.roles import Role
from zhili.core.testing import make_user


def pub_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "finance",
        "title": "2026年第三季度财务收支公开",
        "body": "本季度收支情况如下，欢迎居民监督。",
        "period": "",
        "period_year": 2026,
        "period_quarter": 3,
        "items": [{"label": "保洁服务费", "amount": "12000.00"}, {"label": "绿化养护", "amount": "3500.50"}],
        "audience": "public",
    }
    values.update(overrides)
    return values


@pytest.fixture
def staff_c2(region):
    """Community staff of community 2 (the persona ``community_staff`` works in community 1)."""
    user = make_user("staff_c2", role=Role.COMMUNITY_STAFF, node=region.c2)
    region.users["staff_c2"] = user
    return user


@pytest.fixture
def draft(region):
    """``draft(node=…, by="community_staff", **values)`` → a draft publication."""
    from zhili.disclosure.actions import do_draft_publication

    def _draft(*, node=None, by="community_staff", **overrides):
        return do_draft_publication(actor=region.user(by), node=node or region.c1, **pub_values(**overrides))

    return _draft


@pytest.fixture
def published(region, draft):
    from zhili.disclosure.actions import do_publish_publication

    def _published(**kwargs):
        by = kwargs.get("by", "community_staff")
        return do_publish_publication(draft(**kwargs), actor=region.user(by))

    return _published
