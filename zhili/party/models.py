"""Party building (党建引领): party organisations on the territory tree, their members, the households
each member keeps in touch with (党员联系户), and activities with attendance and volunteer hours.

One organisation per territory node: the street's 党工委 (or 党委), a community's 党总支 or 党支部,
a grid's 网格党小组. An organisation's parent is the organisation of the nearest node above it, so
the party tree follows the territory tree (actions keep ``parent`` in step).

Members' mobiles are personal information: stored only encrypted (``mobile_enc``, the same crypto
as the residents register, so key rotation covers them) and shown masked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.core.crypto import decrypt, encrypt, mask_mobile
from zhili.party.states import ActivityStatus, MemberStatus
from zhili.residents.models import Gender
from zhili.territory.models import NodeKind


class OrgKind(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", _("Party working committee")  # 党工委
    COMMITTEE = "committee", _("Party committee")  # 党委
    GENERAL_BRANCH = "general_branch", _("General party branch")  # 党总支
    BRANCH = "branch", _("Party branch")  # 党支部
    GRID_GROUP = "grid_group", _("Grid party group")  # 网格党小组


# Which kinds of organisation stand at which kind of node.
KINDS_AT_NODE: dict[str, tuple[str, ...]] = {
    NodeKind.DISTRICT: (OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE),
    NodeKind.STREET: (OrgKind.WORKING_COMMITTEE, OrgKind.COMMITTEE),
    NodeKind.COMMUNITY: (OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.COMMITTEE),
    NodeKind.GRID: (OrgKind.GRID_GROUP,),
}


class PartyOrg(models.Model):
    node = models.OneToOneField(
        "territory.Node", on_delete=models.PROTECT, related_name="party_org", verbose_name=_("Territory")
    )
    kind = models.CharField(
        pgettext_lazy("party organisation", "Kind"), max_length=20, choices=OrgKind.choices
    )
    name = models.CharField(pgettext_lazy("party organisation", "Name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("Parent organisation"),
    )
    secretary_name = models.CharField(_("Secretary"), max_length=50, blank=True)
    secretary_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Secretary's login"),
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Party organisation")
        verbose_name_plural = _("Party organisations")
        ordering = ["node__sort_key"]

    def __str__(self) -> str:
        return self.name


class PartyMember(models.Model):
    class Standing(models.TextChoices):
        FULL = "full", _("Full member")  # 正式党员
        PROBATIONARY = "probationary", _("Probationary member")  # 预备党员

    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="members", verbose_name=_("Party organisation")
    )
    name = models.CharField(pgettext_lazy("person", "Name"), max_length=50)
    gender = models.CharField(_("Gender"), max_length=1, choices=Gender.choices)
    joined_on = models.DateField(_("Joined the party on"))
    standing = models.CharField(_("Standing"), max_length=12, choices=Standing.choices, default=Standing.FULL)
    person = models.ForeignKey(
        "residents.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Registered resident"),
    )
    mobile_enc = models.TextField(_("Mobile (encrypted)"), blank=True, editable=False)
    status = models.CharField(
        _("Status"), max_length=12, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    moved_out_on = models.DateField(_("Moved out on"), null=True, blank=True)
    moved_out_to = models.CharField(_("Moved to"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")
        ordering = ["org_id", "name", "id"]
        indexes = [models.Index(fields=["org", "status"], name="party_member_org_status")]

    def __str__(self) -> str:
        return self.name

    def set_mobile(self, value: str) -> None:
        self.mobile_enc = encrypt(value) if value else ""

    @property
    def mobile(self) -> str:
        return decrypt(self.mobile_enc) if self.mobile_enc else ""

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)


class MemberTransfer(models.Model):
    """One 组织关系转接: to another organisation here, or out (``to_org`` empty, ``destination`` said)."""

    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="transfers")
    from_org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="+", verbose_name=pgettext_lazy("transfer", "From")
    )
    to_org = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=pgettext_lazy("transfer", "To"),
    )
    destination = models.CharField(_("Moved to"), max_length=200, blank=True)
    on = models.DateField(_("Date"))
    note = models.CharField(_("Note"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("Recorded at"))

    class Meta:
        verbose_name = _("Transfer of party membership")
        verbose_name_plural = _("Transfers of party membership")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.on}"


class ContactHousehold(models.Model):
    """党员联系户: a member keeps in touch with a household of their grid."""

    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="contacts")
    household = models.ForeignKey(
        "territory.Household", on_delete=models.CASCADE, related_name="+", verbose_name=_("Household")
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Household kept in touch with")
        verbose_name_plural = _("Households kept in touch with")
        constraints = [
            models.UniqueConstraint(fields=["member", "household"], name="party_contact_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.household_id}"


class ActivityKind(models.TextChoices):
    ORG_LIFE = "org_life", _("Organisational life")  # 组织生活
    THEME_DAY = "theme_day", _("Themed party day")  # 主题党日
    VOLUNTEER = "volunteer", _("Volunteer service")  # 志愿服务


class Activity(models.Model):
    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="activities", verbose_name=_("Party organisation")
    )
    kind = models.CharField(
        pgettext_lazy("party activity", "Kind"), max_length=12, choices=ActivityKind.choices
    )
    title = models.CharField(_("Title"), max_length=120)
    date = models.DateField(_("Date"))
    place = models.CharField(_("Place"), max_length=120, blank=True)
    status = models.CharField(
        _("Status"), max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    note = models.CharField(_("Note"), max_length=500, blank=True)
    # A volunteer service may be opened to residents' sign-up (开放居民报名), with a cap on places.
    open_to_residents = models.BooleanField(_("Open to residents' sign-up"), default=False)
    places = models.PositiveIntegerField(_("Places"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Party activity")
        verbose_name_plural = _("Party activities")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["org", "date"], name="party_activity_org_date"),
            models.Index(fields=["date"], condition=Q(status="held"), name="party_activity_held_date"),
            models.Index(
                fields=["date"],
                condition=Q(open_to_residents=True, status="planned"),
                name="party_activity_open_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        PartyMember, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("Party member")
    )
    hours = models.DecimalField(_("Volunteer hours"), max_digits=4, decimal_places=1, default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("Recorded at"))

    class Meta:
        verbose_name = pgettext_lazy("party activity", "Attendance")
        verbose_name_plural = pgettext_lazy("party activity", "Attendance")
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], name="party_attendance_once"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="party_attendance_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}:{self.member_id}"


class VolunteerSignup(models.Model):
    """A resident's sign-up (报名) for an activity open to residents. The login is kept so the
    resident can cancel; other residents never see who signed up, the planners do."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("Signed up at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Volunteer sign-up")
        verbose_name_plural = _("Volunteer sign-ups")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "user"], name="party_signup_once"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}:{self.user_id}"
