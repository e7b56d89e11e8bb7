"""The loop's configuration as every process keeps it: categories, dispatch rules, SLA policies,
departments, and where grid workers hold posts (a rule sends cases only to a grid someone can sign for).

Intake needs all of it on every submit (the classifier's catalogue, the category's lineage, the SLA
policy, the dispatch rule and its department), and it changes a few times a year. Each process
keeps one immutable ``Rulebook`` and compares ``ConfigStamp.token``, one primary-key read per
submit, to know when to load it again; the token changes in the same transaction as any save or
delete of those models (the receivers below, connected in ``CasesConfig.ready``), whichever process
makes it: the admin, an action, a loader, the shell. Writes that send no signals (``QuerySet.update``,
``bulk_create``, raw SQL) must call ``config_changed()`` themselves.

Model instances handed out are built afresh for each caller (``category``, ``department``), so a
caller may change or cache them without touching another request's.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from zhili.accounts.models import Department, Membership, User
from zhili.accounts.roles import Role
from zhili.cases import sla
from zhili.cases.models import Category, ConfigStamp, DispatchRule, SLAPolicy, WorkdayOverride
from zhili.core import stamped
from zhili.core.stamped import StampedCache

WATCHED: tuple[type[Any], ...] = (Category, DispatchRule, SLAPolicy, Department, Membership, WorkdayOverride)

_CATEGORY_FIELDS = (
    "id",
    "code",
    "name",
    "parent_id",
    "level",
    "department_id",
    "requires_photo_on_feedback",
    "keywords",
    "active",
)
_DEPARTMENT_FIELDS = tuple(f.attname for f in Department._meta.concrete_fields)


@dataclass(frozen=True)
class Rule:
    """An active dispatch rule (ids only: the target is loaded when the rule is used)."""

    pk: int
    category_id: int | None
    area_id: int | None
    department_id: int | None
    grid_id: int | None
    to_case_grid: bool
    priority: int
    grid_path: str | None = None  # the fixed grid's path, to know whether anyone works there


@dataclass(frozen=True)
class Policy:
    category_id: int | None
    urgency: str
    unit: str
    accept_within: float
    contact_within: float
    finish_within: float
    emergency_mode: bool


@dataclass(frozen=True)
class Rulebook:
    token: str
    categories: dict[int, tuple[Any, ...]]  # pk → values of _CATEGORY_FIELDS
    by_code: dict[str, int]
    departments: dict[int, tuple[Any, ...]]  # pk → values of _DEPARTMENT_FIELDS
    rules: tuple[Rule, ...]
    policies: tuple[Policy, ...]
    # Nodes where an active grid worker holds an active post: they sign for the grids below them.
    grid_worker_nodes: frozenset[int] = frozenset()
    # Holiday arrangements entered by administrators: (day, is a working day). The SLA calendar
    # takes them whenever a rulebook is handed out (``rulebook()``).
    workdays: tuple[tuple[date, bool], ...] = ()

    def category(self, pk: int | None) -> Category | None:
        """A fresh ``Category`` with its parents and departments attached (``lineage()`` reads no rows)."""
        values = self.categories.get(pk) if pk is not None else None
        if values is None:
            return None
        category = Category.from_db("default", _CATEGORY_FIELDS, values)
        department = self.department(category.department_id)
        if department is not None:
            category.department = department
        parent = self.category(category.parent_id)
        if parent is not None:
            category.parent = parent
        return category

    def active_category(self, code: str) -> Category | None:
        category = self.category(self.by_code.get(code))
        return category if category is not None and category.active else None

    def department(self, pk: int | None) -> Department | None:
        values = self.departments.get(pk) if pk is not None else None
        if values is None:
            return None
        return Department.from_db("default", _DEPARTMENT_FIELDS, values)

    def staffed(self, grid_path: str) -> bool:
        """Whether a grid worker holds a post at the grid of this path or above it, and so can sign
        its cases (reads no rows: a node's path holds the ids of its ancestors)."""
        return any(int(part) in self.grid_worker_nodes for part in grid_path.strip("/").split("/") if part)

    def lineage_ids(self, pk: int | None) -> list[int]:
        """The category and its ancestors, nearest first (like ``Category.lineage``)."""
        chain: list[int] = []
        while pk is not None and pk in self.categories and len(chain) < 3:
            chain.append(pk)
            pk = self.categories[pk][3]
        return chain


# Set by ``pinned``: the rulebook of the unit of work under way in this thread.
_pinned: ContextVar[Rulebook | None] = ContextVar("zhili_cases_rulebook", default=None)


stamped.register("cases.config", lambda: stamped.stamp_sql(ConfigStamp))


def current_token() -> str:
    return stamped.read("cases.config")


def _load(token: str) -> Rulebook:
    categories = {row[0]: row for row in Category.objects.order_by("id").values_list(*_CATEGORY_FIELDS)}
    rules = tuple(
        Rule(*row)
        for row in DispatchRule.objects.filter(active=True)
        .order_by("id")
        .values_list(
            "id",
            "category_id",
            "area_id",
            "department_id",
            "grid_id",
            "to_case_grid",
            "priority",
            "grid__path",
        )
    )
    policies = tuple(
        Policy(*row)
        for row in SLAPolicy.objects.order_by("id").values_list(
            "category_id",
            "urgency",
            "unit",
            "accept_within",
            "contact_within",
            "finish_within",
            "emergency_mode",
        )
    )
    departments = {row[0]: row for row in Department.objects.order_by("id").values_list(*_DEPARTMENT_FIELDS)}
    # A deactivated account changes no membership row; saving the account changes the stamp.
    grid_worker_nodes = frozenset(
        Membership.objects.filter(role=Role.GRID_WORKER, active=True, user__is_active=True).values_list(
            "node_id", flat=True
        )
    )
    return Rulebook(
        token=token,
        categories=categories,
        by_code={row[1]: pk for pk, row in categories.items()},
        departments=departments,
        rules=rules,
        policies=policies,
        grid_worker_nodes=grid_worker_nodes,
        workdays=tuple(WorkdayOverride.objects.order_by("day").values_list("day", "is_workday")),
    )


_cache = StampedCache(current_token, _load)


def rulebook() -> Rulebook:
    """The configuration as of now: one primary-key read, and a reload when it changed."""
    book = _pinned.get()
    if book is None:
        book = _cache.get()
    sla.use_overrides(book.workdays)  # the same tuple as last time costs one identity check
    return book


@contextmanager
def pinned() -> Iterator[Rulebook]:
    """One rulebook for a whole unit of work (an intake): the look-ups inside read no stamp."""
    book = _pinned.get()
    if book is not None:
        yield book
        return
    book = rulebook()
    reset = _pinned.set(book)
    try:
        yield book
    finally:
        _pinned.reset(reset)


def config_changed() -> None:
    """Tell every process that its rulebook is stale (inside the transaction of the change)."""
    token = secrets.token_hex(16)
    now = timezone.now()
    if not ConfigStamp.objects.filter(pk=1).update(token=token, changed_at=now):
        ConfigStamp.objects.bulk_create(
            [ConfigStamp(pk=1, token=token, changed_at=now)], ignore_conflicts=True
        )
        ConfigStamp.objects.filter(pk=1).update(token=token, changed_at=now)


def _on_change(sender: Any, **kwargs: Any) -> None:
    config_changed()


def connect() -> None:
    """Called once from ``CasesConfig.ready``."""
    from django.db.models.signals import post_delete, post_save

    for model in WATCHED:
        uid = f"zhili.cases.rulebook:{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=uid + ":delete")
    # An account switched off (or on) in the admin changes which grids are staffed. Logins save
    # only ``last_login`` and change nothing here.
    post_save.connect(_on_user_saved, sender=User, dispatch_uid="zhili.cases.rulebook:user:save")


def _on_user_saved(sender: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is None or "is_active" in update_fields:
        config_changed()
