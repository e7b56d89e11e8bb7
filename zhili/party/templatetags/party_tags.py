from __future__ import annotations

from typing import Any

from django import template

from zhili.party import policies
from zhili.party.policies import Perm

register = template.Library()


@register.inclusion_tag("party/_tabs.html", takes_context=True)
def party_tabs(context: Any, current: str) -> dict[str, Any]:
    user = context["request"].user
    return {
        "current": current,
        "can_names": bool(policies.scope(user, Perm.NAMES)),
    }
