"""Who sees and runs assessments.

Supervisors, leaders and administrators of a node (or above it) see its runs whole; community
staff below a run's node see the run with only the rows of their own subtree. Supervisors and
administrators compute, publish and correct; leaders and community staff only read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from zhili.accounts.roles import Role
from zhili.analytics.assessment.models import AssessmentRun, IndicatorSet, SubjectResult
from zhili.authz.policies import _memberships, path_q
from zhili.core.errors import Forbidden, NotFound

VIEW_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.COMMUNITY_STAFF, Role.ADMIN})
MANAGE_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def _paths(user: Any, roles: frozenset[str]) -> list[str]:
    return sorted({path for role, path in _memberships(user) if role in roles})


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _node_q(user: Any, roles: frozenset[str], field: str, *, below: bool) -> Q:
    """Rows whose node lies in the user's scope, or (``below``) above a node of the user's scope."""
    paths = _paths(user, roles)
    q = path_q(paths, field)
    if below:
        ancestors = sorted({prefix for path in paths for prefix in _prefixes(path)})
        if ancestors:
            q |= Q(**{f"{field}__in": ancestors})
    return q


def is_staff(user: Any) -> bool:
    return bool(_paths(user, VIEW_ROLES))


def visible_runs(user: Any) -> QuerySet[AssessmentRun]:
    return AssessmentRun.objects.filter(_node_q(user, VIEW_ROLES, "node__path", below=True))


def visible_sets(user: Any) -> QuerySet[IndicatorSet]:
    return IndicatorSet.objects.filter(_node_q(user, VIEW_ROLES, "node__path", below=True))


def manageable_sets(user: Any) -> QuerySet[IndicatorSet]:
    return IndicatorSet.objects.filter(_node_q(user, MANAGE_ROLES, "node__path", below=False))


def can_manage_at(user: Any, path: str) -> bool:
    return any(path.startswith(scope) for scope in _paths(user, MANAGE_ROLES))


def sees_whole(user: Any, path: str) -> bool:
    return any(path.startswith(scope) for scope in _paths(user, VIEW_ROLES))


def result_rows_q(user: Any, run: AssessmentRun) -> Q:
    """The rows of ``run`` the user may see: all of them from the run's node or above, else their subtree."""
    if sees_whole(user, run.node.path):
        return Q()
    return path_q([p for p in _paths(user, VIEW_ROLES) if p.startswith(run.node.path)], "path")


def get_run_for_user(user: Any, pk: Any, *, manage: bool = False) -> AssessmentRun:
    try:
        run = visible_runs(user).select_related("node", "indicator_set").get(pk=pk)
    except (AssessmentRun.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if manage and not can_manage_at(user, run.node.path):
        raise Forbidden()
    return run


def get_set_for_user(user: Any, pk: Any, *, manage: bool = False) -> IndicatorSet:
    try:
        indicator_set = visible_sets(user).select_related("node").get(pk=pk)
    except (IndicatorSet.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if manage and not can_manage_at(user, indicator_set.node.path):
        raise Forbidden()
    return indicator_set


def get_result_for_user(user: Any, run: AssessmentRun, pk: Any) -> SubjectResult:
    try:
        return run.results.filter(result_rows_q(user, run)).get(pk=pk)
    except (SubjectResult.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
