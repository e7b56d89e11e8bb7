"""Emergency alerts in CAP 1.2 terms, their delivery and acknowledgements, mobilisation check tasks,
and the emergency mode of a territory node.

Field names follow the CAP 1.2 elements (OASIS Common Alerting Protocol) so that the XML export is
a plain mapping. The workflow status (``status``) is ours; CAP's own ``status`` element (Actual,
Exercise …) is ``cap_status``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.emergency.states import ENDED_STATUSES, AlertStatus, CheckOutcome


class CapStatus(models.TextChoices):
    ACTUAL = "Actual", _("Actual")
    EXERCISE = "Exercise", _("Exercise")
    SYSTEM = "System", _("System")
    TEST = "Test", _("Test")
    DRAFT = "Draft", _("Draft (not for action)")


class MsgType(models.TextChoices):
    ALERT = "Alert", _("Alert")
    UPDATE = "Update", _("Update")
    CANCEL = "Cancel", _("Cancel")


class Scope(models.TextChoices):
    PUBLIC = "Public", _("Public")
    RESTRICTED = "Restricted", _("Restricted")
    PRIVATE = "Private", _("Private")


class CapCategory(models.TextChoices):
    GEO = "Geo", _("Geophysical")
    MET = "Met", _("Meteorological")
    SAFETY = "Safety", _("Public safety")
    SECURITY = "Security", _("Security")
    RESCUE = "Rescue", _("Rescue and recovery")
    FIRE = "Fire", _("Fire")
    HEALTH = "Health", _("Health")
    ENV = "Env", _("Environment")
    TRANSPORT = "Transport", _("Transport")
    INFRA = "Infra", _("Infrastructure")
    CBRNE = "CBRNE", _("Chemical, biological, radiological, nuclear or explosive")
    OTHER = "Other", _("Other")


class CapUrgency(models.TextChoices):
    IMMEDIATE = "Immediate", _("Immediate")
    EXPECTED = "Expected", pgettext_lazy("urgency", "Expected")
    FUTURE = "Future", _("Future")
    PAST = "Past", _("Past")
    UNKNOWN = "Unknown", _("Unknown")


class Severity(models.TextChoices):
    EXTREME = "Extreme", _("Extreme")
    SEVERE = "Severe", _("Severe")
    MODERATE = "Moderate", _("Moderate")
    MINOR = "Minor", _("Minor")
    UNKNOWN = "Unknown", _("Unknown")


class Certainty(models.TextChoices):
    OBSERVED = "Observed", _("Observed")
    LIKELY = "Likely", _("Likely")
    POSSIBLE = "Possible", _("Possible")
    UNLIKELY = "Unlikely", _("Unlikely")
    UNKNOWN = "Unknown", _("Unknown")


class Alert(models.Model):
    # CAP <alert>
    identifier = models.CharField(_("Identifier"), max_length=100, unique=True)
    sender = models.CharField(_("Sender"), max_length=100)
    sent = models.DateTimeField(_("Sent at"), null=True, blank=True)
    cap_status = models.CharField(_("CAP status"), max_length=10, choices=CapStatus.choices)
    msg_type = models.CharField(_("Message type"), max_length=10, choices=MsgType.choices)
    scope = models.CharField(_("Scope"), max_length=12, choices=Scope.choices, default=Scope.PUBLIC)
    # Identifiers of earlier alerts an Update or Cancel refers to (CAP "sender,identifier,sent" triples).
    references = models.CharField(_("References"), max_length=300, blank=True)
    # CAP <info>
    category = models.CharField(
        pgettext_lazy("alert", "Category"), max_length=12, choices=CapCategory.choices
    )
    event = models.CharField(pgettext_lazy("alert", "Event"), max_length=100)
    urgency = models.CharField(_("Urgency"), max_length=10, choices=CapUrgency.choices)
    severity = models.CharField(pgettext_lazy("alert", "Severity"), max_length=10, choices=Severity.choices)
    certainty = models.CharField(_("Certainty"), max_length=10, choices=Certainty.choices)
    headline = models.CharField(_("Headline"), max_length=160)
    description = models.TextField(pgettext_lazy("alert", "Description"), blank=True)
    instruction = models.TextField(_("Instruction"), blank=True)
    effective = models.DateTimeField(_("Effective from"))
    expires = models.DateTimeField(_("Expires at"))
    # CAP <area>: the chosen grids and/or a drawn polygon (GeoJSON Polygon, [lng, lat]).
    area_desc = models.CharField(_("Area description"), max_length=200)
    grids = models.ManyToManyField(
        "territory.Node", blank=True, related_name="emergency_alerts", verbose_name=_("Grids")
    )
    polygon = models.JSONField(_("Drawn area (GeoJSON)"), null=True, blank=True)

    # Ours: whose alert it is (scope) and where it stands.
    node = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Issued for")
    )
    status = models.CharField(
        _("Status"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.DRAFT, db_index=True
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Drafted by")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Approved by"),
    )
    approved_at = models.DateTimeField(_("Approved at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("Cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Emergency alert")
        verbose_name_plural = _("Emergency alerts")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The expiry sweep reads only sent alerts.
            models.Index(fields=["expires"], condition=Q(status="sent"), name="emergency_alert_live_expires"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires__gt=models.F("effective")), name="emergency_alert_window"
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def ended_at(self, now: datetime | None = None) -> datetime | None:
        """When the alert stopped being in force, or None while it is (or is not yet) in force.

        Cancelled: the moment it was withdrawn. Expired, or sent and past its end while the expiry
        sweep has not run yet: its end time.
        """
        if self.status == AlertStatus.CANCELLED:
            return self.cancelled_at or self.updated_at
        if self.status in ENDED_STATUSES:
            return self.expires
        if self.status == AlertStatus.SENT and self.expires <= (now or timezone.now()):
            return self.expires
        return None


class AlertEvent(models.Model):
    """One step of an alert's history (a transition, an edit, a mobilisation)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(pgettext_lazy("alert", "Event"), max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("Note"), max_length=500, blank=True)
    at = models.DateTimeField(_("Time"))

    class Meta:
        verbose_name = _("Alert event")
        verbose_name_plural = _("Alert events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind}"

    @property
    def label(self) -> str:
        from zhili.emergency.states import EVENT_LABELS

        return str(EVENT_LABELS.get(self.kind, self.kind))

    @property
    def to_label(self) -> str:
        return str(AlertStatus(self.to_status).label) if self.to_status in AlertStatus.values else ""


class Audience(models.TextChoices):
    STAFF = "staff", _("Staff")
    RESIDENT = "resident", _("Resident")


class Acknowledgement(models.Model):
    """One recipient of a sent alert: a login (in-app) or a registered resident reached by SMS.

    The row is written when the alert is sent; ``notified_at`` when its message went into the
    outbox (the fan-out claims rows in batches, so a crashed run resumes where it stopped);
    ``acknowledged_at`` when the recipient confirmed through the link in the message.
    """

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        "residents.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    audience = models.CharField(pgettext_lazy("alert", "Audience"), max_length=10, choices=Audience.choices)
    channel = models.CharField(_("Channel"), max_length=16)
    # The secret of the acknowledgement link: residents reached by SMS have no login.
    token = models.CharField(max_length=43, unique=True)
    notified_at = models.DateTimeField(_("Queued at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("Acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Acknowledgement")
        verbose_name_plural = _("Acknowledgements")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "user"], condition=Q(user__isnull=False), name="emergency_ack_user"
            ),
            models.UniqueConstraint(
                fields=["alert", "person"], condition=Q(person__isnull=False), name="emergency_ack_person"
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(person__isnull=False), name="emergency_ack_someone"
            ),
        ]
        indexes = [
            models.Index(
                fields=["alert"], condition=Q(notified_at__isnull=True), name="emergency_ack_unqueued"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id}:{self.pk}"


class Mobilisation(models.Model):
    """One "generate check tasks" run of an alert: which tags it looked for."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="mobilisations")
    tag_codes = models.JSONField(_("Tags"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("Created at"))
    new_tasks = models.PositiveIntegerField(_("New tasks"), default=0)

    class Meta:
        verbose_name = _("Mobilisation")
        verbose_name_plural = _("Mobilisations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {','.join(self.tag_codes)}"


class CheckTask(models.Model):
    """Check on one household during an emergency (独居老人, 残疾人 …), done by its grid's workers."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="check_tasks")
    mobilisation = models.ForeignKey(Mobilisation, on_delete=models.CASCADE, related_name="tasks")
    household = models.ForeignKey(
        "territory.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("Household")
    )
    # The household's grid when the task was made: its grid workers do it.
    grid = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Grid")
    )
    outcome = models.CharField(
        pgettext_lazy("check", "Outcome"), max_length=12, choices=CheckOutcome.choices, blank=True
    )
    note = models.CharField(_("Note"), max_length=500, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Checked by"),
    )
    done_at = models.DateTimeField(_("Checked at"), null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Case"),
    )
    created_at = models.DateTimeField(_("Created at"))

    class Meta:
        verbose_name = _("Check task")
        verbose_name_plural = _("Check tasks")
        ordering = ["grid_id", "household_id"]
        constraints = [
            # Mobilising twice never doubles a household's task.
            models.UniqueConstraint(fields=["alert", "household"], name="emergency_task_once"),
        ]
        indexes = [
            models.Index(fields=["grid", "alert"], condition=Q(outcome=""), name="emergency_task_open"),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id}:{self.household_id}"

    @property
    def done(self) -> bool:
        return bool(self.outcome)


class EmergencyMode(models.Model):
    """A period of emergency mode at a node (and its subtree). Rows are kept: the history of switches."""

    node = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Territory")
    )
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="modes", verbose_name=_("Alert")
    )
    reason = models.CharField(_("Reason"), max_length=300)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Switched on by")
    )
    started_at = models.DateTimeField(_("Switched on at"))
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Switched off by"),
    )
    ended_at = models.DateTimeField(_("Switched off at"), null=True, blank=True)
    end_reason = models.CharField(_("Reason for switching off"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Emergency mode")
        verbose_name_plural = _("Emergency mode")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["node"], condition=Q(ended_at__isnull=True), name="emergency_mode_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node_id} {self.started_at:%Y-%m-%d}"

    @property
    def active(self) -> bool:
        return self.ended_at is None
