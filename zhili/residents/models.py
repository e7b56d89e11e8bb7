"""Residents (居民): people registered in a household, with their tags (独居老人, 低保 …).

Identity numbers and mobiles are personal information under PIPL: they are stored only encrypted
(``*_enc``, see zhili.core.crypto) with a blind index (``*_bidx``) for exact search. Names stay in
plain text because staff search by name every day; pages show them masked where the role needs no
more.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

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
    PARENT = "parent", _("Parent")
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

    class Meta:
        verbose_name = _("Tag")
        verbose_name_plural = _("Tags")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    household = models.ForeignKey(
        "territory.Household", on_delete=models.PROTECT, related_name="members", verbose_name=_("Household")
    )
    name = models.CharField(_("Name"), max_length=50, db_index=True)
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
    tags: models.ManyToManyField[Tag, PersonTag] = models.ManyToManyField(
        Tag, through="PersonTag", related_name="persons", blank=True, verbose_name=_("Tags")
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Resident")
        verbose_name_plural = _("Residents")
        ordering = ["household_id", "id"]

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
    person = models.ForeignKey(Person, on_delete=models.CASCADE, verbose_name=_("Resident"))
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, verbose_name=_("Tag"))
    added_at = models.DateTimeField(_("Added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Resident tag")
        verbose_name_plural = _("Resident tags")
        constraints = [
            models.UniqueConstraint(fields=["person", "tag"], name="residents_persontag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.tag}"
