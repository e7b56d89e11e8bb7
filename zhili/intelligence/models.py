"""Trained classifier versions. The active one classifies intake; the others are history."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ClassifierModel(models.Model):
    created_at = models.DateTimeField(_("Trained at"), default=timezone.now)
    # The pickled model behind its checked header (textclf.dump_model); written only by
    # do_retrain_classifier, so the platform unpickles nothing it did not produce itself.
    blob = models.BinaryField()
    labels = models.JSONField(_("Categories"), default=list)
    n_train = models.PositiveIntegerField(_("Training cases"), default=0)
    macro_f1 = models.FloatField(_("Cross-validated macro-F1"), null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(_("Active"), default=False)
    # Why it was (not) activated: the do-not-regress rule's verdict.
    decision = models.CharField(_("Decision"), max_length=200, blank=True)

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
