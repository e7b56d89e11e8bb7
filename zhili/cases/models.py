"""Residents' requests (诉求) and their closed loop.

Deadlines are columns (``accept_due_at``, ``contact_due_at``, ``finish_due_at``, ``yellow_at``)
with partial indexes over the rows whose clock runs, so the sweep reads a few index entries rather
than the table. Personal data of the reporter is kept encrypted (zhili.cases.contact).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhili.cases.states import CLOCK_RUNNING_STATUSES, OPEN_STATUSES, CaseStatus


class Channel(models.TextChoices):
    H5 = "h5", _("Resident web form")
    HOTLINE = "hotline", _("Hotline")
    PATROL = "patrol", _("Grid patrol")
    API = "api", _("REST API")
    WEBHOOK = "webhook", _("Webhook")
    OPEN311 = "open311", _("Open311")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class SlaState(models.TextChoices):
    GREEN = "green", _("On time")
    YELLOW = "yellow", _("Due soon")
    RED = "red", _("Overdue")


class SlaUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("Working hours")
    WORKING_DAYS = "working_days", _("Working days")
    NATURAL_HOURS = "natural_hours", _("Natural hours")


class Category(models.Model):
    """A three-level tree (大类 → 小类 → 细类) of what residents ask about."""

    code = models.CharField(_("Code"), max_length=32, unique=True)
    name = models.CharField(_("Name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("Parent"),
    )
    level = models.PositiveSmallIntegerField(_("Level"), default=1)
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Default department"),
    )
    requires_photo_on_feedback = models.BooleanField(_("Feedback needs a photo"), default=False)
    # One keyword or phrase per line: the cold-start rules of the classifier.
    keywords = models.TextField(_("Keywords"), blank=True)
    active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Category")
        verbose_name_plural = _("Category")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="cases_category_level_1_3"),
        ]

    def __str__(self) -> str:
        return self.name

    def lineage(self) -> list[Category]:
        """This category and its ancestors, nearest first."""
        chain: list[Category] = []
        node: Category | None = self
        while node is not None and len(chain) < 3:
            chain.append(node)
            node = node.parent
        return chain


_open = Q(status__in=sorted(OPEN_STATUSES))
_running = Q(status__in=sorted(CLOCK_RUNNING_STATUSES))


class Case(models.Model):
    code = models.CharField(_("Tracking code"), max_length=16, unique=True)
    title = models.CharField(_("Title"), max_length=100)
    body = models.TextField(_("Description"))
    channel = models.CharField(_("Channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("Status"), max_length=20, choices=CaseStatus.choices, db_index=True)
    # The status a suspension or an extension request returns to.
    status_before = models.CharField(max_length=20, blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("Category"),
    )
    category_confidence = models.FloatField(null=True, blank=True)
    category_source = models.CharField(max_length=16, blank=True)  # reporter | classifier | dispatcher

    # Scope: the grid when located, otherwise the node the case was filed under (a street …).
    node = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="cases", verbose_name=_("Territory")
    )
    grid = models.ForeignKey(
        "territory.Node",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="located_cases",
        verbose_name=_("Grid"),
    )
    # The boundary version the point fell in: a later redraw does not move old cases.
    boundary = models.ForeignKey(
        "territory.GridBoundary",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Boundary version"),
    )
    lat = models.FloatField(_("Latitude"), null=True, blank=True)
    lng = models.FloatField(_("Longitude"), null=True, blank=True)
    address = models.CharField(_("Address"), max_length=200, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
        verbose_name=_("Reporter"),
    )
    # Personal data, encrypted at rest; the blind index finds a caller's earlier cases.
    contact_name_enc = models.TextField(blank=True)
    contact_mobile_enc = models.TextField(blank=True)
    contact_mobile_bidx = models.CharField(max_length=64, blank=True, db_index=True)
    anonymous = models.BooleanField(_("Anonymous"), default=False)
    external_ref = models.CharField(_("External reference"), max_length=100, blank=True)

    urgency = models.CharField(_("Urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    priority = models.SmallIntegerField(_("Priority"), default=0)

    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("Department"),
    )
    # Dispatched to a grid (its grid workers handle it) instead of a department.
    assigned_grid = models.ForeignKey(
        "territory.Node",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
        verbose_name=_("Handling grid"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        verbose_name=_("Assignee"),
    )
    # Set by a supervisor's arbitration: the assignee can no longer return or be transferred away.
    binding = models.BooleanField(_("Binding assignment"), default=False)
    return_count = models.PositiveSmallIntegerField(_("Returns"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("Reopened"), default=0)
    # A second 不满意: only a supervisor closes it.
    needs_review = models.BooleanField(_("Disputed"), default=False)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
        verbose_name=_("Merged into"),
    )
    extension_until = models.DateTimeField(_("Extension requested until"), null=True, blank=True)

    # SLA
    sla_unit = models.CharField(max_length=16, choices=SlaUnit.choices, default=SlaUnit.WORKING_HOURS)
    sla_started_at = models.DateTimeField(null=True, blank=True)
    accept_due_at = models.DateTimeField(_("Sign by"), null=True, blank=True)
    contact_due_at = models.DateTimeField(_("Contact by"), null=True, blank=True)
    finish_due_at = models.DateTimeField(_("Finish by"), null=True, blank=True)
    # 80 % of the way to finish_due_at: the sweep turns the light yellow from here.
    yellow_at = models.DateTimeField(null=True, blank=True)
    sla_state = models.CharField(
        _("SLA"), max_length=8, choices=SlaState.choices, default=SlaState.GREEN, db_index=True
    )
    escalated_at = models.DateTimeField(_("Escalated at"), null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    # When each clock was met (三率: accepted in time, contacted in time, finished in time).
    signed_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(_("Submitted at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Case")
        verbose_name_plural = _("Case")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["finish_due_at"], condition=_running, name="cases_open_finish_due"),
            models.Index(fields=["accept_due_at"], condition=_running, name="cases_open_accept_due"),
            models.Index(fields=["contact_due_at"], condition=_running, name="cases_open_contact_due"),
            models.Index(fields=["yellow_at"], condition=_running, name="cases_open_yellow_at"),
            models.Index(fields=["node", "status"], condition=_open, name="cases_open_by_node"),
            models.Index(fields=["department", "status"], condition=_open, name="cases_open_by_department"),
            # Verified cases waiting for a rating: the sweep rates them by default after N days.
            models.Index(
                fields=["verified_at"], condition=Q(status="verified"), name="cases_awaiting_rating"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseEvent(models.Model):
    """One line of the timeline: a transition, or an event without a status change (contact, escalation)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("Case"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Actor"),
    )
    kind = models.CharField(_("Event"), max_length=32)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(_("Note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("Time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Case event")
        verbose_name_plural = _("Case event")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the uploader's file name: it can carry personal data.
    return f"cases/{instance.case_id}/{instance.token}{instance.extension}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    token = models.CharField(max_length=32, unique=True)
    extension = models.CharField(max_length=8)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    exif_stripped = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Attachment")
        verbose_name_plural = _("Attachment")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.token


class DispatchRule(models.Model):
    """Category × area → department or grid. The most specific matching rule of highest priority wins."""

    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dispatch_rules",
        verbose_name=_("Category"),
    )
    area = models.ForeignKey(
        "territory.Node",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dispatch_rules",
        verbose_name=_("Area"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dispatch_rules",
        verbose_name=_("Department"),
    )
    grid = models.ForeignKey(
        "territory.Node",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grid_dispatch_rules",
        verbose_name=_("Grid"),
    )
    # The case's own grid (网格托底): dispatch to whichever grid the case was located in.
    to_case_grid = models.BooleanField(_("To the case's own grid"), default=False)
    priority = models.IntegerField(_("Priority"), default=0)
    active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Dispatch rule")
        verbose_name_plural = _("Dispatch rule")
        ordering = ["-priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(department__isnull=False, grid__isnull=True, to_case_grid=False)
                    | Q(department__isnull=True, grid__isnull=False, to_case_grid=False)
                    | Q(department__isnull=True, grid__isnull=True, to_case_grid=True)
                ),
                name="cases_dispatchrule_one_target",
            ),
        ]

    def __str__(self) -> str:
        target = self.department or self.grid or _("the case's own grid")
        return f"{self.category or '*'} @ {self.area or '*'} → {target}"


class WorkdayOverride(models.Model):
    """A day that the State Council's holiday notice for a year makes off (a holiday) or on (a make-up
    working day, 调休上班), entered by an administrator for a year the working-day calendar package
    does not know yet. The notice comes out in November or December and the package follows weeks
    later; until then SLA clocks would count 元旦 or 春节 as working days. An entry wins over the
    package, so it also corrects the package if a notice changes."""

    day = models.DateField(_("Date"), unique=True)
    is_workday = models.BooleanField(
        _("Working day"),
        default=False,
        help_text=_("Ticked: a make-up working day (调休上班). Not ticked: a day off."),
    )
    name = models.CharField(_("Holiday"), max_length=30, blank=True, help_text=_("For example 元旦, 春节."))

    class Meta:
        ordering = ["day"]
        verbose_name = _("Holiday arrangement")
        verbose_name_plural = _("Holiday arrangements")

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}".strip()


class SLAPolicy(models.Model):
    """Time limits per category (nullable: any) and urgency, in one unit."""

    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
        verbose_name=_("Category"),
    )
    urgency = models.CharField(_("Urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    unit = models.CharField(_("Unit"), max_length=16, choices=SlaUnit.choices, default=SlaUnit.WORKING_HOURS)
    accept_within = models.PositiveIntegerField(_("Sign within"))
    contact_within = models.PositiveIntegerField(_("Contact within"))
    finish_within = models.PositiveIntegerField(_("Finish within"))
    # Reserved for the emergency-management work: a declared emergency switches to this policy.
    emergency_mode = models.BooleanField(_("Emergency mode"), default=False)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policy")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "urgency", "emergency_mode"], name="cases_slapolicy_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} {self.get_urgency_display()}"


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class RatingSource(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    PHONE = "phone", _("Follow-up call")
    DEFAULT = "default", _("Default")


class Evaluation(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evaluations")
    rating = models.CharField(_("Rating"), max_length=16, choices=Rating.choices)
    comment = models.TextField(_("Comment"), blank=True)
    source = models.CharField(_("Source"), max_length=16, choices=RatingSource.choices)
    round = models.PositiveSmallIntegerField(default=0)  # the case's reopen_count when rated
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Evaluation")
        verbose_name_plural = _("Evaluation")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.rating}"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key: the same key and body give the stored response again."""

    # "user:<id>" or "webhook": keys of different clients never collide.
    owner = models.CharField(max_length=40)
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(default=dict)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="cases_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class CaseSupport(models.Model):
    """附议: a resident adds their voice to an open case instead of filing a duplicate of it.

    A supporter who leaves a number (or has an account) hears about the case's milestones like the
    reporter of a merged duplicate does; the number is kept encrypted, found again by its blind index.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supports", verbose_name=_("Case"))
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_mobile_enc = models.TextField(blank=True)
    contact_mobile_bidx = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("Time"), auto_now_add=True)

    class Meta:
        verbose_name = _("Support")
        verbose_name_plural = _("Support")
        ordering = ["id"]
        constraints = [
            # One voice per account and per number on a case.
            models.UniqueConstraint(
                fields=["case", "supporter"],
                condition=Q(supporter__isnull=False),
                name="cases_support_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["case", "contact_mobile_bidx"],
                condition=~Q(contact_mobile_bidx=""),
                name="cases_support_one_per_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} +1"


class ConfigStamp(models.Model):
    """One row whose token changes, in the same transaction, whenever the loop's configuration does.

    Intake reads categories, dispatch rules, SLA policies and departments on every submit; each
    process keeps them in memory (``zhili.cases.config``) and compares this token, one primary-key
    read per submit, to know when to load them again. The token is changed on every save and delete
    of those models, by the admin, an action, a loader or the shell alike. A random token rather
    than a counter: a rolled-back transaction can restore an old counter value that some process
    already saw with different rows, but never a token it generated afresh.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Configuration stamp")
        verbose_name_plural = _("Configuration stamp")

    def __str__(self) -> str:
        return self.token
