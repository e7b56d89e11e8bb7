"""Trained classifier versions; early warnings (风险预警) with their decisions; hotspot snapshots."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import npgettext, pgettext_lazy

from zhili.intelligence.states import Severity, WarningKind, WarningState


class ClassifierModel(models.Model):
    created_at = models.DateTimeField(_("Trained at"), default=timezone.now)
    # The pickled model behind its checked header (textclf.dump_model); written only by
    # do_retrain_classifier, so the platform unpickles nothing it did not produce itself.
    blob = models.BinaryField()
    labels = models.JSONField(pgettext_lazy("classifier version", "Categories"), default=list)
    n_train = models.PositiveIntegerField(_("Training cases"), default=0)
    macro_f1 = models.FloatField(_("Cross-validated macro-F1"), null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(_("Active"), default=False)
    # Why it was (not) activated: the do-not-regress rule's verdict.
    decision = models.CharField(pgettext_lazy("classifier version", "Decision"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Classifier version")
        verbose_name_plural = _("Classifier versions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="intelligence_one_active_model"
            ),
        ]

    def __str__(self) -> str:
        return self.version

    @property
    def version(self) -> str:
        return f"m{self.pk}"


class EarlyWarning(models.Model):
    """A risk signal raised by the periodic scan, for people of the area to confirm or dismiss."""

    kind = models.CharField(_("Kind"), max_length=16, choices=WarningKind.choices)
    # What was detected, as text: the same signal always gives the same fingerprint, and the
    # unique constraint makes a second scan (or a second scanner racing) raise nothing new.
    fingerprint = models.CharField(max_length=120, unique=True)
    node = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Territory")
    )
    category = models.ForeignKey(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Category"),
    )
    day = models.DateField(_("Day"))  # the day of the rise, or of the latest repeated report
    severity = models.CharField(_("Severity"), max_length=8, choices=Severity.choices)
    # counts, expected, window, p-value, the daily series and the case ids behind it
    evidence = models.JSONField(_("Evidence"), default=dict)
    state = models.CharField(
        _("State"), max_length=12, choices=WarningState.choices, default=WarningState.NEW, db_index=True
    )
    created_at = models.DateTimeField(_("Raised at"), default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Decided by"),
    )

    class Meta:
        verbose_name = _("Early warning")
        verbose_name_plural = _("Early warnings")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day} {self.node_id}"

    def get_absolute_url(self) -> str:
        return reverse("intelligence:warning", args=[self.pk])

    @property
    def summary(self) -> str:
        """What, where and when, in words, for lists (load the node and category with it)."""
        parts = [str(self.get_kind_display()), self.node.name]
        if self.category_label:
            parts.append(self.category_label)
        return " · ".join([*parts, self.day.isoformat()])

    @property
    def category_label(self) -> str:
        """The category's name; for repeated reports that span several categories, says so."""
        if self.category_id is not None and self.category is not None:
            return self.category.name
        if int(self.evidence.get("categories", 0) or 0) > 1:
            return str(_("several categories"))
        return ""

    @property
    def case_ids(self) -> list[int]:
        return [int(i) for i in self.evidence.get("case_ids", [])]


class WarningEvent(models.Model):
    """One change of a warning's state: who, when, and why."""

    warning = models.ForeignKey(EarlyWarning, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    transition = models.CharField(max_length=16)
    from_state = models.CharField(max_length=12)
    to_state = models.CharField(max_length=12)
    note = models.TextField(_("Note"), blank=True)
    created_at = models.DateTimeField(_("Time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.transition} {self.warning_id}"


class HotspotSnapshot(models.Model):
    """One run of hotspot discovery over the live cases; the latest one is shown."""

    created_at = models.DateTimeField(_("Computed at"), default=timezone.now, db_index=True)
    since = models.DateTimeField(_("Cases since"))
    n_cases = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M}"


class Hotspot(models.Model):
    snapshot = models.ForeignKey(HotspotSnapshot, on_delete=models.CASCADE, related_name="hotspots")
    # The smallest node that holds every member case: who may see the hotspot.
    node = models.ForeignKey(
        "territory.Node", on_delete=models.CASCADE, related_name="+", verbose_name=_("Territory")
    )
    label = models.CharField(_("Hotspot"), max_length=200)
    place = models.CharField(_("Place"), max_length=100, blank=True)
    keywords = models.JSONField(_("Keywords"), default=list)
    size = models.PositiveIntegerField(pgettext_lazy("case records", "Cases"))
    reporters = models.PositiveIntegerField(_("Reporters"), default=0)
    heat = models.FloatField(_("Heat"))
    first_seen = models.DateTimeField(_("First seen"))
    last_seen = models.DateTimeField(_("Last seen"))
    case_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["-heat", "id"]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return f"{reverse('intelligence:hotspots')}#{self.anchor}"

    @property
    def summary(self) -> str:
        """What, where and how many, in words, for lists (the place when the label does not name it)."""
        size = npgettext("case records", "%(counter)s case", "%(counter)s cases", self.size) % {
            "counter": self.size
        }
        parts = [self.label]
        if self.place and self.place not in self.label:
            parts.append(self.place)
        return " · ".join([*parts, size])

    @property
    def anchor(self) -> str:
        return f"hotspot-{self.pk}"
