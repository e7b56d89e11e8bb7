"""Who may open the cockpit of which node, and the period a request asks for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhili.accounts.roles import Role
from zhili.analytics.rollups import BEIJING
from zhili.analytics.tiles import Period
from zhili.authz.policies import roles_scope
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.territory.models import Node, NodeKind

# Leaders read the cockpit of their subtree; supervisors and community staff theirs.
COCKPIT_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.COMMUNITY_STAFF})
PERIODS: tuple[tuple[str, Any], ...] = (
    ("7", gettext_lazy("Last 7 days")),
    ("30", gettext_lazy("Last 30 days")),
    ("90", gettext_lazy("Last 90 days")),
    ("365", gettext_lazy("Last year")),
    ("custom", gettext_lazy("Custom")),
)
DEFAULT_PERIOD = "30"
MAX_DAYS = 3 * 366


def cockpit_paths(user: Any) -> list[str]:
    """Node paths whose cockpit the user may open (nested paths folded into their parent)."""
    return roles_scope(user, COCKPIT_ROLES)


def may_open_cockpit(user: Any) -> bool:
    return bool(cockpit_paths(user))


def cockpit_node(user: Any, node_id: Any = None) -> Node:
    """The node whose cockpit is asked for: 403 without a cockpit role, 404 outside the user's area."""
    paths = cockpit_paths(user)
    if not paths:
        raise Forbidden()
    if node_id in (None, ""):
        node = Node.objects.filter(path=paths[0]).first()
        if node is None:
            raise NotFound()
        return node
    try:
        node = Node.objects.select_related("parent").get(pk=int(node_id))
    except (Node.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not any(node.path.startswith(p) for p in paths):
        raise NotFound()
    return node


def node_choices(user: Any) -> list[Node]:
    """The districts, streets and communities of the user's area (grids are reached by drilling in)."""
    from django.db.models import Q

    q = Q()
    for path in cockpit_paths(user):
        q |= Q(path__startswith=path)
    if not q:
        return []
    return list(Node.objects.filter(q).exclude(kind=NodeKind.GRID).order_by("sort_key"))


def breadcrumbs(user: Any, node: Node) -> list[Node]:
    """The node's ancestors the user may open, top first, then the node."""
    paths = cockpit_paths(user)
    ids = node.ancestors()
    found = {n.pk: n for n in Node.objects.filter(pk__in=ids)}
    return [found[i] for i in ids if i in found and any(found[i].path.startswith(p) for p in paths)]


def today() -> date:
    return timezone.now().astimezone(BEIJING).date()


@dataclass(frozen=True)
class PeriodChoice:
    key: str
    period: Period


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise DomainError("period_invalid", _("Give dates as YYYY-MM-DD."), status=422) from None


def parse_period(params: Mapping[str, Any], *, now: date | None = None) -> PeriodChoice:
    """``period`` = 7 | 30 | 90 | 365 days up to today, or ``custom`` with ``start`` and ``end``."""
    key = str(params.get("period") or DEFAULT_PERIOD)
    current = now or today()
    if key == "custom":
        start, end = _date(params.get("start", "")), _date(params.get("end", ""))
        if end < start:
            raise DomainError("period_invalid", _("The period ends before it starts."), status=422)
        if (end - start).days >= MAX_DAYS:
            raise DomainError("period_too_long", _("Choose at most three years."), status=422)
        return PeriodChoice(key, Period(start, end))
    if key not in {k for k, _label in PERIODS}:
        key = DEFAULT_PERIOD
    return PeriodChoice(key, Period(current - timedelta(days=int(key) - 1), current))
