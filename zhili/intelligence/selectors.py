"""Reads: the classifier's training set and catalogue; warnings and hotspots as a user may see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zhili.intelligence.decisions import decision_label
from zhili.intelligence.similar import CaseText, Match, similar_cases
from zhili.intelligence.textclf import Doc, make_doc, normalise

# A category counts as confirmed when a person set it (staff at intake, a dispatcher's
# correction, an import), or when the case went through the whole loop without a change.
CONFIRMED_SOURCES = ("staff", "dispatcher", "system")
FINISHED_STATUSES = ("verified", "rated", "closed")


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    names: list[str]  # from the top-level category down to this one
    keywords: list[str]
    department_code: str | None
    # (keyword, the keyword as the cold-start rules match it: normalised, lower case), computed
    # once per catalogue rather than for every message
    match_keywords: tuple[tuple[str, str], ...] = ()


# The catalogue as of the cases' rulebook it was built from (classify reads it on every intake).
_catalogue: tuple[Any, dict[str, CategoryInfo]] | None = None


def categories() -> dict[str, CategoryInfo]:
    """Active categories by code, with their lineage names, keywords and (inherited) department.

    Built once per version of the configuration that ``zhili.cases.rulebook`` keeps in each process
    (one primary-key read to learn whether it changed): treat the result as read-only.
    """
    global _catalogue
    from zhili.cases.rulebook import rulebook

    book = rulebook()
    cached = _catalogue
    if cached is not None and cached[0] is book:
        return cached[1]
    out = {}
    for pk in book.categories:
        c = book.category(pk)
        if c is None or not c.active:
            continue
        lineage = c.lineage()
        dept = next((n.department.code for n in lineage if n.department is not None), None)
        keywords = [k.strip() for k in c.keywords.splitlines() if k.strip()]
        matched = tuple((k, m) for k in keywords if (m := normalise(k).lower()))
        out[c.code] = CategoryInfo(c.code, [n.name for n in reversed(lineage)], keywords, dept, matched)
    out = dict(sorted(out.items()))  # by code, as the rows were ordered before
    _catalogue = (book, out)
    return out


def confirmed_cases() -> tuple[list[Doc], list[str]]:
    """Title/body and category code of every case whose category a person stands behind."""
    from django.db.models import Q

    from zhili.cases.models import Case

    qs = (
        Case.objects.filter(category__isnull=False, category__active=True, merged_into__isnull=True)
        .filter(Q(category_source__in=CONFIRMED_SOURCES) | Q(status__in=FINISHED_STATUSES))
        .order_by("id")
        .values_list("title", "body", "category__code")
    )
    docs, labels = [], []
    for title, body, code in qs.iterator():
        docs.append(make_doc(title, body))
        labels.append(code)
    return docs, labels


def catalogue_prior(cats: dict[str, CategoryInfo], labels: set[str]) -> list[tuple[str, str]]:
    """The category tree as weak training text: lineage names and keywords of each used code."""
    return [(" ".join([*c.names, *c.keywords]), code) for code, c in cats.items() if code in labels]


def similar_open_cases(case: Any, *, days: int = 30, limit: int = 5) -> list[tuple[Any, Match]]:
    """Open cases of the same street (or the case's own node when it has no street above it) in
    the last ``days``, scored as possible duplicates of ``case``, best first."""
    from datetime import timedelta

    from zhili.cases.models import Case
    from zhili.cases.states import OPEN_STATUSES
    from zhili.territory.models import Node, NodeKind

    ids = case.node.ancestors()
    street = Node.objects.filter(pk__in=ids, kind=NodeKind.STREET).first() or case.node
    since = case.created_at - timedelta(days=days)
    others = list(
        Case.objects.filter(
            node__path__startswith=street.path, status__in=sorted(OPEN_STATUSES), created_at__gte=since
        )
        .exclude(pk=case.pk)
        .order_by("-created_at")[:500]
    )
    query = CaseText(case.pk, case.title, case.body, case.created_at, case.lat, case.lng)
    texts = [CaseText(c.pk, c.title, c.body, c.created_at, c.lat, c.lng) for c in others]
    by_id: dict[Any, Any] = {c.pk: c for c in others}
    return [(by_id[m.id], m) for m in similar_cases(query, texts, limit=limit)]


# -- warnings and hotspots ---------------------------------------------------------------------------


def _scope_q(user: Any, roles: frozenset[str], field: str) -> Any:
    from zhili.authz.policies import path_q, role_paths

    return path_q(sorted({p for role in roles for p in role_paths(user, role)}), field)


def visible_warnings(user: Any) -> Any:
    """Warnings of the subtrees where ``user`` is community staff, supervisor or leader."""
    from zhili.intelligence.models import EarlyWarning
    from zhili.intelligence.states import VIEW_ROLES

    return EarlyWarning.objects.filter(_scope_q(user, VIEW_ROLES, "node__path"))


@dataclass(frozen=True)
class WarningFilters:
    state: str = ""
    severity: str = ""
    kind: str = ""


def warning_list(user: Any, filters: WarningFilters) -> Any:
    from zhili.intelligence.states import Severity, WarningKind, WarningState

    qs = visible_warnings(user).select_related("node", "category")
    if filters.state in WarningState.values:
        qs = qs.filter(state=filters.state)
    if filters.severity in Severity.values:
        qs = qs.filter(severity=filters.severity)
    if filters.kind in WarningKind.values:
        qs = qs.filter(kind=filters.kind)
    return qs.order_by("-day", "-created_at", "-id")


def get_warning_for_user(user: Any, pk: Any) -> Any:
    """One 404 for missing and invisible."""
    from zhili.core.errors import NotFound
    from zhili.intelligence.models import EarlyWarning

    try:
        return visible_warnings(user).select_related("node", "category", "decided_by").get(pk=pk)
    except (EarlyWarning.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def warning_cases(user: Any, warning: Any, limit: int = 200) -> list[Any]:
    """The cases behind a warning that ``user`` may open, oldest first."""
    from zhili.cases.policies import visible_cases

    ids = warning.case_ids[:limit]
    return list(
        visible_cases(user).filter(pk__in=ids).select_related("category").order_by("created_at", "id")
    )


def latest_snapshot() -> Any:
    from zhili.intelligence.models import HotspotSnapshot

    return HotspotSnapshot.objects.order_by("-created_at", "-id").first()


def visible_hotspots(user: Any) -> Any:
    """Hotspots of the latest snapshot under the user's viewing nodes, hottest first."""
    from zhili.accounts.roles import Role
    from zhili.intelligence.models import Hotspot
    from zhili.intelligence.states import VIEW_ROLES

    snapshot = latest_snapshot()
    if snapshot is None:
        return Hotspot.objects.none()
    roles = VIEW_ROLES | {Role.DISPATCHER}
    return (
        Hotspot.objects.filter(snapshot=snapshot)
        .filter(_scope_q(user, roles, "node__path"))
        .select_related("node")
        .order_by("-heat", "id")
    )


def open_warnings(user: Any, node: Any = None, limit: int = 10) -> list[Any]:
    """Open early warnings visible to ``user`` under ``node``, newest first. (Interface for the cockpit.)"""
    from zhili.intelligence.states import WarningState

    qs = visible_warnings(user).filter(state=WarningState.NEW)
    if node is not None:
        qs = qs.filter(node__path__startswith=node.path)
    return list(qs.select_related("node", "category").order_by("-day", "-created_at", "-id")[:limit])


def top_hotspots(user: Any, node: Any = None, limit: int = 10) -> list[Any]:
    """The hottest live hotspots visible to ``user`` under ``node``. (Interface for the cockpit.)"""
    qs = visible_hotspots(user)
    if node is not None:
        qs = qs.filter(node__path__startswith=node.path)
    return list(qs[:limit])


def classifier_versions(limit: int = 20) -> list[dict[str, Any]]:
    """The latest trained versions with their cross-validated figures, newest first.

    Each per-class row carries the category's name (the code when the category is gone)."""
    from zhili.intelligence.models import ClassifierModel

    cats = categories()
    versions = []
    for version in ClassifierModel.objects.defer("blob")[:limit]:
        metrics = version.metrics or {}
        per_class = [
            {"code": code, "name": cats[code].names[-1] if code in cats else code, **scores}
            for code, scores in sorted((metrics.get("per_class") or {}).items())
        ]
        versions.append(
            {
                "version": version,
                "baseline_f1": (metrics.get("baseline") or {}).get("macro_f1"),
                "accuracy": metrics.get("accuracy"),
                "folds": metrics.get("folds"),
                "per_class": per_class,
                "decision": decision_label(version.decision),
            }
        )
    return versions
