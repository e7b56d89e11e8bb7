"""Models of assessment (考核).

An indicator set says what is measured, for which kind of subject and how it is scored; a run is
one month of one set over one territory node. A published run is frozen: its scores, the set's
configuration it was computed with (``config``) and the case or visit ids behind every figure stay
as they were, whatever happens to the cases or to the set afterwards. A correction is a new version.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.analytics.assessment.states import RunState


class SubjectKind(models.TextChoices):
    GRID = "grid", _("Grid")
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY = "community", _("Community")
    DEPARTMENT = "department", pgettext_lazy("organisation unit", "Department")


class Rule(models.TextChoices):
    # 0 points at the floor, 100 at the target, straight line between (either direction).
    LINEAR = "linear", _("Linear between floor and target")
    # points per item (a report, a visit …), up to the cap.
    PER_ITEM = "per_item", _("Points per item, capped")
    # 100 points when the target is met, else 0.
    THRESHOLD = "threshold", _("All or nothing at the target")


class NoData(models.TextChoices):
    FULL = "full", _("Full points (nothing to answer for)")
    ZERO = "zero", _("No points")


class IndicatorSet(models.Model):
    name = models.CharField(_("Name"), max_length=100)
    subject_kind = models.CharField(_("Assessed"), max_length=16, choices=SubjectKind.choices)
    # The territory that owns the set: it assesses the subjects of this subtree.
    node = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Territory")
    )
    # First day of the first month and of the last month the set applies to (open-ended when empty).
    valid_from = models.DateField(_("Valid from (month)"))
    valid_to = models.DateField(_("Valid to (month)"), null=True, blank=True)
    description = models.TextField(pgettext_lazy("explanatory text", "Description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Indicator set")
        verbose_name_plural = _("Indicator sets")
        ordering = ["node_id", "subject_kind", "-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="assessment_set_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def valid_in(self, month: Any) -> bool:
        return self.valid_from <= month and (self.valid_to is None or month <= self.valid_to)


class Indicator(models.Model):
    indicator_set = models.ForeignKey(
        IndicatorSet, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("Indicator set")
    )
    # A code of the registry (zhili.analytics.assessment.registry): what can be computed.
    code = models.CharField(_("Indicator"), max_length=32)
    weight = models.DecimalField(_("Weight"), max_digits=6, decimal_places=2)
    rule = models.CharField(_("Scoring rule"), max_length=16, choices=Rule.choices, default=Rule.LINEAR)
    floor = models.DecimalField(
        pgettext_lazy("indicator", "Floor"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    target = models.DecimalField(
        pgettext_lazy("indicator", "Target"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    points_per_item = models.DecimalField(
        _("Points per item"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    cap = models.DecimalField(_("Cap"), max_digits=8, decimal_places=2, null=True, blank=True)
    no_data = models.CharField(
        _("When there is nothing to count"), max_length=8, choices=NoData.choices, default=NoData.FULL
    )
    position = models.PositiveSmallIntegerField(_("Order"), default=0)

    class Meta:
        verbose_name = _("Indicator")
        verbose_name_plural = _("Indicators")
        ordering = ["indicator_set_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_set", "code"], name="assessment_indicator_unique_code"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="assessment_indicator_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_set_id}:{self.code}"

    def config(self) -> dict[str, Any]:
        """The scoring configuration as kept on a run (strings keep decimals exact)."""

        def dec(value: Any) -> str | None:
            return None if value is None else str(value)

        return {
            "code": self.code,
            "weight": dec(self.weight),
            "rule": self.rule,
            "floor": dec(self.floor),
            "target": dec(self.target),
            "points_per_item": dec(self.points_per_item),
            "cap": dec(self.cap),
            "no_data": self.no_data,
        }


class FrozenError(Exception):
    """A published (or superseded) run, its results and scores cannot be changed."""


class AssessmentRun(models.Model):
    node = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Territory")
    )
    month = models.DateField(_("Month"))  # the first day of the month
    indicator_set = models.ForeignKey(
        IndicatorSet, on_delete=models.PROTECT, related_name="runs", verbose_name=_("Indicator set")
    )
    subject_kind = models.CharField(_("Assessed"), max_length=16, choices=SubjectKind.choices)
    state = models.CharField(_("State"), max_length=16, choices=RunState.choices, default=RunState.DRAFT)
    version = models.PositiveSmallIntegerField(_("Version"), default=1)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("Corrects"),
    )
    reason = models.TextField(_("Reason for the correction"), blank=True)
    # The set's indicators as they were when computed: a later edit of the set changes no result.
    config = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(_("Computed at"), null=True, blank=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("Published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Assessment run")
        verbose_name_plural = _("Assessment runs")
        ordering = ["-month", "node_id", "indicator_set_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["node", "indicator_set", "month", "version"], name="assessment_run_unique_version"
            ),
            models.UniqueConstraint(
                fields=["node", "indicator_set", "month"],
                condition=Q(state=RunState.DRAFT),
                name="assessment_run_one_draft",
            ),
            models.UniqueConstraint(
                fields=["node", "indicator_set", "month"],
                condition=Q(state=RunState.PUBLISHED),
                name="assessment_run_one_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node} {self.month:%Y-%m} {self.indicator_set} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Integrity guard beside the actions: once published, only the step to 'superseded' may
        # touch the row (publishing its correction does that).
        if self.pk is not None:
            stored = AssessmentRun.objects.filter(pk=self.pk).values_list("state", flat=True).first()
            if stored is not None and stored != RunState.DRAFT:
                allowed = stored == RunState.PUBLISHED and self.state == RunState.SUPERSEDED
                if not allowed or set(kwargs.get("update_fields") or ()) != {"state"}:
                    raise FrozenError(f"assessment run {self.pk} is {stored}")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if (
            self.pk is not None
            and AssessmentRun.objects.filter(pk=self.pk).exclude(state=RunState.DRAFT).exists()
        ):
            raise FrozenError(f"assessment run {self.pk} is frozen")
        return super().delete(*args, **kwargs)

    @property
    def frozen(self) -> bool:
        return self.state != RunState.DRAFT


def _refuse_if_frozen(run_id: int | None) -> None:
    if run_id is not None and AssessmentRun.objects.filter(pk=run_id).exclude(state=RunState.DRAFT).exists():
        raise FrozenError(f"assessment run {run_id} is frozen")


class SubjectResult(models.Model):
    """One subject's total and rank in a run."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="results")
    subject_kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    subject_node = models.ForeignKey(
        "territory.Node", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(_("Assessed"), max_length=150)
    # Where the subject sits in the tree (a grid worker: their grid), for scoping who sees the row.
    path = models.CharField(max_length=255, db_index=True)
    total = models.DecimalField(_("Total"), max_digits=8, decimal_places=2)
    rank = models.PositiveIntegerField(_("Rank"))

    class Meta:
        verbose_name = _("Subject result")
        verbose_name_plural = _("Subject results")
        ordering = ["run_id", "rank", "label", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(subject_node__isnull=False, subject_user__isnull=True, subject_department__isnull=True)
                    | Q(
                        subject_node__isnull=True, subject_user__isnull=False, subject_department__isnull=True
                    )
                    | Q(
                        subject_node__isnull=True, subject_user__isnull=True, subject_department__isnull=False
                    )
                ),
                name="assessment_result_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.label} {self.total}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        _refuse_if_frozen(self.run_id)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        _refuse_if_frozen(self.run_id)
        return super().delete(*args, **kwargs)


class Score(models.Model):
    """One indicator of one subject: the figure, how it was counted and the points it earned."""

    result = models.ForeignKey(SubjectResult, on_delete=models.CASCADE, related_name="scores")
    code = models.CharField(_("Indicator"), max_length=32)
    position = models.PositiveSmallIntegerField(default=0)
    weight = models.DecimalField(_("Weight"), max_digits=6, decimal_places=2)
    numerator = models.PositiveIntegerField(_("Numerator"), default=0)
    denominator = models.PositiveIntegerField(_("Denominator"), null=True, blank=True)  # None: a count
    raw_value = models.DecimalField(_("Value"), max_digits=12, decimal_places=2, null=True, blank=True)
    points = models.DecimalField(_("Points"), max_digits=8, decimal_places=2)
    weighted_points = models.DecimalField(_("Weighted points"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = pgettext_lazy("indicator", "Score")
        verbose_name_plural = _("Scores")
        ordering = ["result_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["result", "code"], name="assessment_score_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.result_id} {self.code} {self.points}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        _refuse_if_frozen(
            SubjectResult.objects.filter(pk=self.result_id).values_list("run_id", flat=True).first()
        )
        super().save(*args, **kwargs)

    @property
    def no_data(self) -> bool:
        """A rate with nothing to count in the month (no case, visit or warning for its denominator):
        its points come from the indicator's no-data rule, not from what was done. A count is never
        without data (nothing counted is 0)."""
        return self.denominator == 0


class Trace(models.Model):
    """The ids behind a score: which cases (or visits …) made its numerator and denominator."""

    score = models.OneToOneField(Score, on_delete=models.CASCADE, related_name="trace")
    source = models.CharField(max_length=16)  # cases | visits | warnings
    numerator_ids = models.JSONField(default=list)
    denominator_ids = models.JSONField(default=list)

    class Meta:
        verbose_name = _("Trace")
        verbose_name_plural = _("Traces")

    def __str__(self) -> str:
        return f"{self.score_id} {self.source}"
