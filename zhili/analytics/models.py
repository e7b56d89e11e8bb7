"""Rollups of cases for the cockpit (驾驶舱).

Each rollup row holds the counters of the cases received on one day (Beijing time) under one
territory node, and of the cases closed on that day (``closed``). A case counts at its own node
(its grid when located) and at every node above it, so that the cockpit of a street reads the
street's own rows: a tile for a node and a period is a sum over one index range
``(node, day BETWEEN a AND b)``, whatever the number of grids below it. Each day table has a
month table of the same shape (``day``: the month's first day) whose rows are the sums of the
month's day rows: a year reads twelve month rows and the days at its edges, not 365 day rows.

The counters are functions of the case row as it is now (its status, clocks and latest rating),
not of events: each action writes the difference between a case's contribution after it and
before it to the journal (``RollupChange``) in its own transaction; ``zhili.analytics.rollups``
folds the journal into the rollup rows before every read and once a minute, and ``rebuild``
recomputes the same figures from the case table. Category and department ids are plain integers
(0: none) so that the upsert has a non-null conflict key.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

COUNTERS = (
    "received",  # filed that day
    "open",  # … and still open
    "overdue",  # … open with a red SLA light
    "taken",  # … taken on (not rejected, not merged)
    "finished",  # … resolved or later (resolved, verified, rated, closed)
    "signed",  # … signed for, with a sign-by deadline
    "signed_on_time",  # … signed for by the deadline
    "resolved",  # … resolved, with a finish-by deadline
    "resolved_on_time",  # … resolved by the deadline
    "rated",  # … with a rating (the latest counts)
    "satisfied",  # … whose latest rating is 满意 or 基本满意
    "closed",  # closed, rejected or merged that day (keyed by closed_at, not by the filing day)
)


class RollupBase(models.Model):
    # Month rollups hold the sums of the day rows of a calendar month under the month's first day;
    # a long period reads its whole months from them and its edge days from the day rows.
    monthly = False

    node = models.ForeignKey(
        "territory.Node", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    received = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    taken = models.IntegerField(default=0)
    finished = models.IntegerField(default=0)
    signed = models.IntegerField(default=0)
    signed_on_time = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolved_on_time = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.node_id} {self.day}"


class NodeDay(RollupBase):
    """Per node and day: KPIs, trends, the map and the 三率 of grids."""

    class Meta:
        verbose_name = _("Daily rollup")
        verbose_name_plural = _("Daily rollup")
        constraints = [models.UniqueConstraint(fields=["node", "day"], name="analytics_nodeday_key")]
        indexes = [
            models.Index(fields=["node"], condition=Q(overdue__gt=0), name="analytics_nodeday_overdue")
        ]


class NodeCategoryDay(RollupBase):
    """Per node, day and category (the category a case has, at whatever level): the breakdown."""

    category_id = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("Daily rollup by category")
        verbose_name_plural = _("Daily rollup by category")
        constraints = [
            models.UniqueConstraint(
                fields=["node", "day", "category_id"], name="analytics_nodecategoryday_key"
            )
        ]
        indexes = [
            models.Index(fields=["node"], condition=Q(overdue__gt=0), name="analytics_nodecatday_overdue")
        ]


class NodeDepartmentDay(RollupBase):
    """Per node, day and handling department (0: none, or a grid): the 三率 of departments."""

    department_id = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("Daily rollup by department")
        verbose_name_plural = _("Daily rollup by department")
        constraints = [
            models.UniqueConstraint(
                fields=["node", "day", "department_id"], name="analytics_nodedepartmentday_key"
            )
        ]
        indexes = [
            models.Index(fields=["node"], condition=Q(overdue__gt=0), name="analytics_nodedepday_overdue")
        ]


class NodeMonth(RollupBase):
    """Per node and calendar month (``day``: its first day): the sums of ``NodeDay``."""

    monthly = True

    class Meta:
        verbose_name = _("Monthly rollup")
        verbose_name_plural = _("Monthly rollup")
        constraints = [models.UniqueConstraint(fields=["node", "day"], name="analytics_nodemonth_key")]
        indexes = [
            models.Index(fields=["node"], condition=Q(overdue__gt=0), name="analytics_nodemonth_overdue")
        ]


class NodeCategoryMonth(RollupBase):
    """Per node, calendar month and category: the sums of ``NodeCategoryDay``."""

    monthly = True
    category_id = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("Monthly rollup by category")
        verbose_name_plural = _("Monthly rollup by category")
        constraints = [
            models.UniqueConstraint(
                fields=["node", "day", "category_id"], name="analytics_nodecategorymonth_key"
            )
        ]
        indexes = [
            models.Index(fields=["node"], condition=Q(overdue__gt=0), name="analytics_nodecatmonth_overdue")
        ]


class NodeDepartmentMonth(RollupBase):
    """Per node, calendar month and handling department: the sums of ``NodeDepartmentDay``."""

    monthly = True
    department_id = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("Monthly rollup by department")
        verbose_name_plural = _("Monthly rollup by department")
        constraints = [
            models.UniqueConstraint(
                fields=["node", "day", "department_id"], name="analytics_nodedepartmentmonth_key"
            )
        ]
        indexes = [
            models.Index(fields=["node"], condition=Q(overdue__gt=0), name="analytics_nodedepmonth_overdue")
        ]


ROLLUP_MODELS: tuple[tuple[type[RollupBase], str], ...] = (
    (NodeDay, ""),
    (NodeCategoryDay, "category_id"),
    (NodeDepartmentDay, "department_id"),
    (NodeMonth, ""),
    (NodeCategoryMonth, "category_id"),
    (NodeDepartmentMonth, "department_id"),
)
"""Day tables first, then their month tables in the same order (``MONTH_OF``: day table index → month)."""

DAY_TABLES = 3
MONTH_OF = {0: 3, 1: 4, 2: 5}


class RollupChange(models.Model):
    """One action's differences to the rollup rows, waiting to be folded in (see ``rollups.fold``).

    Writing this row costs an action one small INSERT that waits for no one; adding the same
    differences to the rollup rows directly meant a dozen upserts of the rows that every action
    of the day shares, each waiting for the action before it to commit. ``rows``: a list of
    ``[table, node, day, dimension, counter differences…]`` (table: an index of ``ROLLUP_MODELS``).
    """

    rows = models.JSONField()

    class Meta:
        verbose_name = _("Rollup change")
        verbose_name_plural = _("Rollup changes")

    def __str__(self) -> str:
        return f"#{self.pk}"
