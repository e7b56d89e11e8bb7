"""Residents (居民): people registered in a household, with their tags (独居老人, 低保 …).

Identity numbers and mobiles are personal information under PIPL: they are stored only encrypted
(``*_enc``, see zhili.core.crypto) with a blind index (``*_bidx``) for exact search. Names stay in
plain text because staff search by name every day; pages show them masked where the role needs no
more.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.accounts.roles import Role
from zhili.core.crypto import blind_index, decrypt, encrypt, mask_id_number, mask_mobile

ID_NUMBER_INDEX = "id_number"
MOBILE_INDEX = "mobile"


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    OTHER = "other", _("Other document")


class RelationToHead(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", pgettext_lazy("relation", "Parent")
    OTHER = "other", _("Other")


class ResidenceStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered (hukou)")  # 户籍人口
    RESIDENT = "resident", _("Resident (not registered)")  # 常住人口
    FLOATING = "floating", _("Floating")  # 流动人口


class Tag(models.Model):
    """A care or management category. Names are data (Chinese, as the government lists use them)."""

    code = models.SlugField(_("Code"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=50, unique=True)
    # Sensitive personal information (PIPL art. 28: health, financial status, minors …): shown
    # only to roles that need it, and every disclosure is audited.
    sensitive = models.BooleanField(_("Sensitive"), default=False)
    # Role codes (zhili.accounts.roles.Role) that may see the tag; empty = every role that sees tags
    # at all (zhili.residents.fields). A sensitive tag always names its roles.
    visible_roles = models.JSONField(_("Visible to roles"), default=list, blank=True)
    description = models.CharField(
        pgettext_lazy("explanatory text", "Description"), max_length=200, blank=True
    )
    active = models.BooleanField(_("In use"), default=True)

    class Meta:
        verbose_name = _("Tag")
        verbose_name_plural = _("Tags")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def visible_role_labels(self) -> list[str]:
        """The names of the roles that may see the tag, in the user's language (codes stay codes only
        for a role that no longer exists)."""
        return [str(Role(code).label) if code in Role.values else code for code in self.visible_roles]


class Person(models.Model):
    household = models.ForeignKey(
        "territory.Household", on_delete=models.PROTECT, related_name="members", verbose_name=_("Household")
    )
    name = models.CharField(pgettext_lazy("person", "Name"), max_length=50, db_index=True)
    gender = models.CharField(_("Gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("Date of birth"))
    id_type = models.CharField(
        _("Document type"), max_length=16, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    id_number_enc = models.TextField(_("Document number (encrypted)"), blank=True, editable=False)
    id_number_bidx = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    mobile_enc = models.TextField(_("Mobile (encrypted)"), blank=True, editable=False)
    mobile_bidx = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    relation_to_head = models.CharField(
        _("Relation to head of household"), max_length=16, choices=RelationToHead.choices
    )
    residence_status = models.CharField(
        _("Residence status"),
        max_length=16,
        choices=ResidenceStatus.choices,
        default=ResidenceStatus.REGISTERED,
    )
    moved_in_on = models.DateField(_("Moved in on"), null=True, blank=True)
    moved_out_on = models.DateField(_("Moved out on"), null=True, blank=True)
    # Set by the retention sweep (zhili privacy sweep): the record keeps only what statistics need.
    anonymised_at = models.DateTimeField(_("Anonymised at"), null=True, blank=True, editable=False)
    # The Excel import that created the row: a failed import removes exactly its own rows.
    import_job = models.ForeignKey(
        "residents.ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    tags: models.ManyToManyField[Tag, PersonTag] = models.ManyToManyField(
        Tag, through="PersonTag", related_name="persons", blank=True, verbose_name=_("Tags")
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Resident")
        verbose_name_plural = _("Residents")
        ordering = ["household_id", "id"]
        constraints = [
            # One record per person: moving house moves the record; the import and the forms rely on it.
            models.UniqueConstraint(
                fields=["id_number_bidx"],
                condition=~models.Q(id_number_bidx=""),
                name="residents_person_unique_id_number",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # The setters only fill fields; writes still go through residents actions (or the demo loader).
    def set_id_number(self, value: str) -> None:
        self.id_number_enc = encrypt(value) if value else ""
        self.id_number_bidx = blind_index(ID_NUMBER_INDEX, value) if value else ""

    def set_mobile(self, value: str) -> None:
        self.mobile_enc = encrypt(value) if value else ""
        self.mobile_bidx = blind_index(MOBILE_INDEX, value) if value else ""

    @property
    def id_number(self) -> str:
        """The plain number. Callers that show it to a person must audit PII_REVEALED."""
        return decrypt(self.id_number_enc) if self.id_number_enc else ""

    @property
    def mobile(self) -> str:
        return decrypt(self.mobile_enc) if self.mobile_enc else ""

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)


class PersonTag(models.Model):
    """A tag given to a person.

    A sensitive tag (低保, 残疾人 …) is sealed: ``tag`` is empty and ``tag_enc`` holds the tag's
    code encrypted, so that a copy of the table does not say who is on benefits. Plain rows of a
    sensitive tag (written by bulk loaders) are sealed by ``zhili.residents.tags.seal_sensitive_tags``.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, verbose_name=_("Resident"))
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("Tag"))
    tag_enc = models.TextField(_("Tag (encrypted)"), blank=True, editable=False)
    added_at = models.DateTimeField(_("Added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Resident tag")
        verbose_name_plural = _("Resident tags")
        constraints = [
            models.UniqueConstraint(fields=["person", "tag"], name="residents_persontag_unique"),
            models.CheckConstraint(
                condition=(models.Q(tag__isnull=False) & models.Q(tag_enc=""))
                | (models.Q(tag__isnull=True) & ~models.Q(tag_enc="")),
                name="residents_persontag_plain_or_sealed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.tag_id or '*'}"


# Houses ------------------------------------------------------------------------------------------


class HouseUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Shop or office")
    MIXED = "mixed", _("Mixed use")
    VACANT = "vacant", _("Vacant")
    OTHER = "other", _("Other")


class Tenure(models.TextChoices):
    OWNER = "owner", _("Owner-occupied")  # 自有
    TENANT = "tenant", _("Rented")  # 租住
    PUBLIC = "public", _("Public housing")  # 公房/公租房
    LENT = "lent", _("Lent by relatives or friends")  # 借住
    OTHER = "other", _("Other")


class HouseholdInfo(models.Model):
    """What the registry knows about a dwelling beyond the territory's unit number (房屋信息)."""

    household = models.OneToOneField(
        "territory.Household",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="info",
        verbose_name=_("Household"),
    )
    floor = models.SmallIntegerField(_("Floor"), null=True, blank=True)
    area = models.DecimalField(_("Floor area (m²)"), max_digits=7, decimal_places=2, null=True, blank=True)
    use = models.CharField(_("Use"), max_length=16, choices=HouseUse.choices, default=HouseUse.RESIDENTIAL)
    tenure = models.CharField(_("Owner or tenant"), max_length=16, choices=Tenure.choices, blank=True)
    note = models.CharField(_("Note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("House information")
        verbose_name_plural = _("House information")

    def __str__(self) -> str:
        return f"{self.household_id}"


class VisitKind(models.TextChoices):
    ROUTINE = "routine", _("Routine visit")  # 日常走访
    CARE = "care", _("Care visit")  # 关爱走访
    VERIFY = "verify", _("Information check")  # 信息核查
    OTHER = "other", _("Other")


class Visit(models.Model):
    """A grid worker's visit to a household (走访), optionally about one member."""

    household = models.ForeignKey(
        "territory.Household", on_delete=models.PROTECT, related_name="visits", verbose_name=_("Household")
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
        verbose_name=_("Resident"),
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Visitor"),
    )
    visited_at = models.DateTimeField(_("Visited at"))
    kind = models.CharField(_("Kind"), max_length=16, choices=VisitKind.choices, default=VisitKind.ROUTINE)
    note = models.TextField(_("Note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("Recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Visit")
        verbose_name_plural = _("Visits")
        ordering = ["-visited_at", "-id"]
        indexes = [models.Index(fields=["household", "-visited_at"], name="residents_visit_household")]

    def __str__(self) -> str:
        return f"{self.household_id} @ {self.visited_at:%Y-%m-%d}"


# History and access ------------------------------------------------------------------------------


class LogKind(models.TextChoices):
    # Changes: the person page shows these as the change history.
    CREATED = "created", _("Registered")
    UPDATED = "updated", _("Updated")
    TAGS = "tags", _("Tags changed")
    VISITED = "visited", _("Visit recorded")
    CORRECTED = "corrected", _("Correction applied")
    ANONYMISED = "anonymised", _("Anonymised")
    # Accesses: the resident's own page lists these (who looked at my data).
    VIEWED = "viewed", _("Record viewed")
    REVEALED = "revealed", _("Full value revealed")
    EXPORTED = "exported", _("Included in an export")
    DOWNLOADED = "downloaded", _("Downloaded by the resident")
    FOUND = "found", _("Found by ID number or mobile")


CHANGE_KINDS = (
    LogKind.CREATED,
    LogKind.UPDATED,
    LogKind.TAGS,
    LogKind.VISITED,
    LogKind.CORRECTED,
    LogKind.ANONYMISED,
)
ACCESS_KINDS = (LogKind.VIEWED, LogKind.FOUND, LogKind.REVEALED, LogKind.EXPORTED, LogKind.DOWNLOADED)


class PersonLog(models.Model):
    """Per-person index of the audit log: the audit table is chained and append-only but has no index
    by target, and a person's page must list its history without scanning it. Only field names, never
    values; ``audit_event_id`` points at the authoritative row."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="log", verbose_name=_("Resident")
    )
    kind = models.CharField(_("Kind"), max_length=16, choices=LogKind.choices)
    at = models.DateTimeField(_("Time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("By"), max_length=150, blank=True)
    fields = models.JSONField(_("Fields"), default=list, blank=True)
    reason = models.CharField(_("Reason"), max_length=200, blank=True)
    audit_event_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("Resident log entry")
        verbose_name_plural = _("Resident log entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "kind", "-at"], name="residents_log_person_kind")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}"


# Resident self-service ---------------------------------------------------------------------------


# The link between a resident's login and their record is participation's ResidentAccount
# (zhili.participation.elections.models): one link serves voting, surveys and self-service.


class CorrectionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("correction status", "Waiting")
    APPROVED = "approved", _("Approved and applied")
    REJECTED = "rejected", pgettext_lazy("correction status", "Rejected")


class CorrectionRequest(models.Model):
    """A resident asks for a correction of their own record; community staff decide (a task for them)."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("Resident")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("By")
    )
    # The community whose staff handle the request (the person's grid's parent when filed).
    community = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Community")
    )
    field = models.CharField(_("Field"), max_length=32)
    # The proposed value may be an ID number or a mobile: encrypted like the registry itself.
    value_enc = models.TextField(blank=True, editable=False)
    reason = models.CharField(_("Reason"), max_length=500, blank=True)
    status = models.CharField(
        _("Status"), max_length=16, choices=CorrectionStatus.choices, default=CorrectionStatus.OPEN
    )
    created_at = models.DateTimeField(pgettext_lazy("correction", "Requested at"), auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(_("Handled at"), null=True, blank=True)
    response = models.CharField(_("Response"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Correction request")
        verbose_name_plural = _("Correction requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "status"], name="residents_correction_queue")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.field}"

    @property
    def value(self) -> str:
        return decrypt(self.value_enc) if self.value_enc else ""


# Excel import ------------------------------------------------------------------------------------


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Checking rows")
    INVALID = "invalid", _("Refused: the file has errors")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", pgettext_lazy("import status", "Failed")


IMPORT_FINISHED = (ImportStatus.INVALID, ImportStatus.DONE, ImportStatus.FAILED)


class ImportJob(models.Model):
    """One upload of a resident workbook, with its progress (polled by the import page)."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("Uploaded at"), auto_now_add=True)
    filename = models.CharField(_("File"), max_length=200)
    status = models.CharField(
        _("Status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    # Node paths the importer may write to, fixed at upload; empty list = the whole registry (CLI).
    scope_paths = models.JSONField(default=list, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    validated_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    persons_created = models.PositiveIntegerField(default=0)
    households_created = models.PositiveIntegerField(default=0)
    created_household_ids = models.JSONField(default=list, blank=True, editable=False)
    # The uploaded workbook, encrypted (it holds ID numbers); emptied when the job finishes.
    content = models.BinaryField(default=b"", editable=False)
    # Row, column and reason of every error; never the values themselves.
    error_report = models.BinaryField(default=b"", editable=False)
    message = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Import job")
        verbose_name_plural = _("Import jobs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename}"

    @property
    def finished(self) -> bool:
        return self.status in IMPORT_FINISHED

    @property
    def percent(self) -> int:
        """Checking is the first half of the bar, writing the second."""
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        done = self.validated_rows + self.imported_rows
        return min(99, int(done * 100 / (2 * self.total_rows)))
