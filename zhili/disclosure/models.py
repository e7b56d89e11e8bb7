"""Publications (公开事项) of a territory node: 党务、村（居）务、财务、政务公开, their versions
(a correction replaces a published version by a new one), and residents' questions on them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from zhili.disclosure.states import PublicationStatus


class Kind(models.TextChoices):
    PARTY = "party", _("Party affairs")
    COMMUNITY = "community", _("Community affairs")
    FINANCE = "finance", _("Finances")
    GOVERNMENT = "government", _("Government affairs")


class Audience(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    RESIDENTS = "residents", _("Residents of the area")


QUARTER_NAMES = {1: _("first quarter"), 2: _("second quarter"), 3: _("third quarter"), 4: _("fourth quarter")}


class Publication(models.Model):
    node = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Published for")
    )
    kind = models.CharField(pgettext_lazy("disclosure", "Kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("Title"), max_length=120)
    body = models.TextField(pgettext_lazy("disclosure", "Text"), blank=True)
    # Free words for the period ("2026年第三季度", "2026年度"); finances also name their quarter, which
    # the quarterly rule (未按期公开) reads.
    period = models.CharField(_("Period covered"), max_length=60, blank=True)
    period_year = models.PositiveSmallIntegerField(_("Year"), null=True, blank=True)
    period_quarter = models.PositiveSmallIntegerField(_("Quarter"), null=True, blank=True)
    # Line items of a finance table: [{"label": str, "fen": int}] (amounts in 分, never floats).
    items = models.JSONField(_("Line items"), default=list, blank=True)
    audience = models.CharField(
        pgettext_lazy("disclosure", "Audience"),
        max_length=10,
        choices=Audience.choices,
        default=Audience.PUBLIC,
    )
    status = models.CharField(
        _("Status"), max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.DRAFT
    )
    version = models.PositiveSmallIntegerField(_("Version"), default=1)
    # The version this one corrects (更正); the corrected one reaches it as ``replacement``.
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replacement",
        verbose_name=_("Replaces"),
    )
    # Why it was corrected or withdrawn, and when.
    end_reason = models.CharField(pgettext_lazy("disclosure", "Reason"), max_length=300, blank=True)
    ended_at = models.DateTimeField(_("Corrected or withdrawn at"), null=True, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Drafted by")
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Published by"),
    )
    published_at = models.DateTimeField(_("Published at"), null=True, blank=True)
    # How often it was opened; who opened it is not recorded.
    read_count = models.PositiveIntegerField(_("Reads"), default=0)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Publication")
        verbose_name_plural = _("Publications")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["node", "status", "kind"], name="disclosure_pub_board"),
            models.Index(
                fields=["period_year", "period_quarter", "node"],
                condition=Q(kind="finance", status="published"),
                name="disclosure_pub_finance",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_quarter__isnull=True) | Q(period_quarter__gte=1, period_quarter__lte=4),
                name="disclosure_pub_quarter",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def total_fen(self) -> int:
        return sum(int(item.get("fen", 0)) for item in self.items or [])

    @property
    def total_yuan(self) -> Decimal:
        return fen_to_yuan(self.total_fen)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [
            {"label": i.get("label", ""), "yuan": fen_to_yuan(int(i.get("fen", 0)))} for i in self.items or []
        ]

    @property
    def period_label(self) -> str:
        if self.period:
            return self.period
        if self.period_year and self.period_quarter:
            return quarter_label(self.period_year, self.period_quarter)
        return ""


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def quarter_label(year: int, quarter: int) -> str:
    return gettext("%(year)s, %(quarter)s") % {"year": year, "quarter": QUARTER_NAMES.get(quarter, quarter)}


class Question(models.Model):
    """A resident's question on a published item (意见表达), answered publicly by the node's staff.

    The asker is kept for the staff's follow-up and never shown; the public page shows the text of
    answered questions only (answering is also reading it before it goes on the board).
    """

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(pgettext_lazy("disclosure", "Question"), max_length=500)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_at = models.DateTimeField(_("Asked at"))
    answer = models.TextField(pgettext_lazy("disclosure", "Answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(_("Answered at"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("disclosure", "Question")
        verbose_name_plural = pgettext_lazy("disclosure", "Questions")
        ordering = ["asked_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]
