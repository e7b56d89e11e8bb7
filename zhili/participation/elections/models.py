"""Committee elections (村/居民委员会选举): elections, posts, candidates, the roll, objections,
paper booths, turnout and ballots.

Secrecy lives in the schema. ``Turnout`` says *who* voted (for the quorum and to refuse a second
ballot); ``Ballot`` says *what* was voted. No column links the two:

- a ballot has no foreign key to a voter, a roll entry, a person or a user; its only relations are
  its election and the ballot it replaces;
- its primary key is a random UUID (no sequence shared with, or ordered like, turnout rows);
- it stores no time at all (a cast time, even truncated, narrows who could have cast it);
- queries order ballots by tracker, never by insertion, and closing the election rewrites its
  ballots in tracker order so that storage order (SQLite's rowid, PostgreSQL's heap order and the
  inserting transaction id) no longer follows the order of voting.

Replacing a ballot (when the election allows it) needs a secret credential that the voter got
once, when first voting; only its SHA-256 is stored on the ballot, so the server can find the
ballot to supersede without ever recording whose it is. See ``actions.do_cast_ballot`` for the
trade-offs, and ``tests/elections/test_secrecy.py`` for the schema check.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.participation.elections.rules import Reason, ResidenceRule, TieRule
from zhili.participation.elections.states import ElectionStatus


class ElectionKind(models.TextChoices):
    VILLAGERS = "villagers", _("Villagers' committee")  # 村民委员会
    RESIDENTS = "residents", _("Residents' committee")  # 居民委员会


class Election(models.Model):
    node = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="elections", verbose_name=_("Community")
    )
    kind = models.CharField(_("Committee"), max_length=16, choices=ElectionKind.choices)
    title = models.CharField(pgettext_lazy("election", "Title"), max_length=120)
    election_day = models.DateField(_("Election day"))
    status = models.CharField(
        _("Status"),
        max_length=16,
        choices=ElectionStatus.choices,
        default=ElectionStatus.DRAFT,
        db_index=True,
    )
    # A run-off (另行选举) is an election of its own, pointing at the round it completes.
    runoff_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="runoffs",
        verbose_name=_("Run-off of"),
    )
    round_number = models.PositiveSmallIntegerField(_("Round"), default=1)

    # The rules of this election, as data (see rules.py for the law they come from).
    min_age = models.PositiveSmallIntegerField(_("Minimum age"), default=18)
    residence_rule = models.CharField(
        _("Residence rule"),
        max_length=32,
        choices=ResidenceRule.choices,
        default=ResidenceRule.REGISTERED_ONLY,
    )
    min_residence_years = models.PositiveSmallIntegerField(_("Minimum years of residence"), default=1)
    allow_ballot_replacement = models.BooleanField(
        _("Voters may replace their ballot until close"), default=False
    )
    tie_rule = models.CharField(_("Tie rule"), max_length=16, choices=TieRule.choices, default=TieRule.RUNOFF)
    objection_days = models.PositiveSmallIntegerField(_("Objection period (days)"), default=5)
    roll_lead_days = models.PositiveSmallIntegerField(_("Roll published at least (days before)"), default=20)
    runoff_extra_candidates = models.PositiveSmallIntegerField(
        _("Run-off candidates beyond the unfilled seats"), default=1
    )

    # Milestones.
    roll_published_on = models.DateField(_("Roll published on"), null=True, blank=True)
    roll_frozen_at = models.DateTimeField(_("Roll frozen at"), null=True, blank=True)
    candidates_published_at = models.DateTimeField(_("Candidates published at"), null=True, blank=True)
    voting_opened_at = models.DateTimeField(_("Voting opened at"), null=True, blank=True)
    voting_closed_at = models.DateTimeField(_("Voting closed at"), null=True, blank=True)
    results_published_at = models.DateTimeField(_("Results published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Election")
        verbose_name_plural = _("Elections")
        ordering = ["-election_day", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_runoff(self) -> bool:
        return self.runoff_of_id is not None


class Post(models.Model):
    """A post to fill, e.g. 主任 (1 seat), 副主任, 委员 (several seats)."""

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="posts", verbose_name=_("Election")
    )
    name = models.CharField(_("Post"), max_length=50)
    seats = models.PositiveSmallIntegerField(_("Seats"))
    order = models.PositiveSmallIntegerField(_("Order"), default=0)

    class Meta:
        verbose_name = _("Post")
        verbose_name_plural = pgettext_lazy("election", "Posts")
        ordering = ["election_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["election", "name"], name="participation_post_unique_name"),
            models.CheckConstraint(
                condition=models.Q(seats__gte=1), name="participation_post_seats_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Candidate(models.Model):
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="candidates", verbose_name=_("Post")
    )
    person = models.ForeignKey(
        "residents.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("Resident")
    )
    statement = models.TextField(_("Statement"), blank=True)
    photo = models.FileField(_("Photo"), upload_to="participation/candidates/", blank=True)
    order = models.PositiveSmallIntegerField(_("Order"), default=0)

    class Meta:
        verbose_name = _("Candidate")
        verbose_name_plural = _("Candidates")
        ordering = ["post_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "person"], name="participation_candidate_unique"),
        ]

    def __str__(self) -> str:
        return self.person.name


class ResidentAccount(models.Model):
    """A verified link between a resident's login and their registry entry (one each way).

    Made by staff after checking the person (e.g. their identity card); voting online and answering
    surveys as a registered resident both go through it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="resident_account",
        verbose_name=_("User"),
    )
    person = models.OneToOneField(
        "residents.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("Resident")
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(_("Linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Resident account")
        verbose_name_plural = _("Resident accounts")

    def __str__(self) -> str:
        return f"{self.user} · {self.person}"


class RollEntry(models.Model):
    """One person of the registry on an election's voter roll, eligible or not, and why."""

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="roll", verbose_name=_("Election")
    )
    person = models.ForeignKey(
        "residents.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("Resident")
    )
    eligible = models.BooleanField(_("Eligible"))
    reason = models.CharField(pgettext_lazy("voter roll", "Reason"), max_length=32, choices=Reason.choices)
    changed_at = models.DateTimeField(_("Changed at"), auto_now=True)

    class Meta:
        verbose_name = _("Roll entry")
        verbose_name_plural = _("Roll entries")
        ordering = ["election_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["election", "person"], name="participation_roll_unique_person"),
        ]
        indexes = [models.Index(fields=["election", "eligible"], name="participation_roll_eligible")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_reason_display()})"


class ObjectionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", pgettext_lazy("objection status", "Rejected")


class Objection(models.Model):
    """An objection to the published roll (第十四条): someone wrongly on it, wrongly off it, or missing.

    Its subject is a roll entry, a registry person (staff found them by ID card number), or, when a
    resident names someone missing, only that name, until the committee identifies the person.
    """

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="objections", verbose_name=_("Election")
    )
    # The entry objected to, or (for someone missing from the registry slice) the person.
    entry = models.ForeignKey(
        RollEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("Roll entry"),
    )
    person = models.ForeignKey(
        "residents.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Resident"),
    )
    # A resident's objection about someone missing names them in words: the committee finds them.
    missing_name = models.CharField(_("Name of the person missing"), max_length=50, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Submitted by")
    )
    submitted_at = models.DateTimeField(_("Submitted at"), auto_now_add=True)
    text = models.TextField(_("Objection"))
    status = models.CharField(
        _("Status"), max_length=16, choices=ObjectionStatus.choices, default=ObjectionStatus.PENDING
    )
    decision = models.TextField(pgettext_lazy("objection", "Decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Decided by"),
    )
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Objection")
        verbose_name_plural = _("Objections")
        ordering = ["election_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(entry__isnull=False)
                | models.Q(person__isnull=False)
                | ~models.Q(missing_name=""),
                name="participation_objection_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"


class Booth(models.Model):
    """A polling station (投票站) with a paper ballot box, counted by two officials."""

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="booths", verbose_name=_("Election")
    )
    name = models.CharField(_("Polling station"), max_length=60)

    class Meta:
        verbose_name = _("Polling station")
        verbose_name_plural = _("Polling stations")
        ordering = ["election_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["election", "name"], name="participation_booth_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class BoothEntry(models.Model):
    """One official's entry of a booth's count. Two identical entries by two officials make it count."""

    booth = models.ForeignKey(
        Booth, on_delete=models.CASCADE, related_name="entries", verbose_name=_("Polling station")
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("Entered by")
    )
    figures = models.JSONField(_("Figures"))
    entered_at = models.DateTimeField(_("Entered at"), auto_now=True)

    class Meta:
        verbose_name = _("Booth count entry")
        verbose_name_plural = _("Booth count entries")
        ordering = ["booth_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["booth", "entered_by"], name="participation_boothentry_unique_official"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booth} · {self.entered_by}"


class VoteChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    BOOTH = "booth", _("Paper ballot at a polling station")


class Turnout(models.Model):
    """WHO voted (never how): one row per voter per election, the guard against a second ballot."""

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="turnout", verbose_name=_("Election")
    )
    entry = models.OneToOneField(
        RollEntry, on_delete=models.PROTECT, related_name="turnout", verbose_name=_("Voter")
    )
    voted_at = models.DateTimeField(_("Voted at"))
    channel = models.CharField(pgettext_lazy("vote", "Channel"), max_length=8, choices=VoteChannel.choices)
    booth = models.ForeignKey(
        Booth,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="turnout",
        verbose_name=_("Polling station"),
    )

    class Meta:
        verbose_name = _("Turnout")
        verbose_name_plural = _("Turnout")
        ordering = ["election_id", "voted_at"]
        indexes = [models.Index(fields=["election", "channel"], name="participation_turnout_channel")]

    def __str__(self) -> str:
        return f"{self.entry} · {self.get_channel_display()}"


class Ballot(models.Model):
    """WHAT was voted (never by whom). See the module docstring before adding any column."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(
        Election, on_delete=models.PROTECT, related_name="+", verbose_name=_("Election")
    )
    # SHA-256 over (election id, nonce, canonical contents); the voter keeps it (board.tracker).
    tracker = models.CharField(_("Tracker"), max_length=64, unique=True)
    nonce = models.CharField(max_length=32)
    contents = models.JSONField(_("Choices"))
    # SHA-256 of the voter's replacement credential; empty when the election allows no replacement.
    credential_hash = models.CharField(max_length=64, blank=True, db_index=True)
    superseded = models.BooleanField(default=False)
    # DO_NOTHING so that closing can rewrite an election's ballots with one DELETE (see the docstring).
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="replaced_by"
    )

    class Meta:
        verbose_name = _("Ballot")
        verbose_name_plural = _("Ballots")
        ordering = ["tracker"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "credential_hash"],
                condition=models.Q(superseded=False) & ~models.Q(credential_hash=""),
                name="participation_ballot_one_live_per_credential",
            ),
        ]

    def __str__(self) -> str:
        return self.tracker


class ElectionBoard(models.Model):
    """The signed bulletin board of a published election, kept byte for byte as it is served."""

    election = models.OneToOneField(
        Election, on_delete=models.PROTECT, related_name="board", verbose_name=_("Election")
    )
    document = models.TextField(_("Signed board (JSON)"))
    # The tally again, for the results page: parsing a board of 100,000 ballots per view is waste.
    tally = models.JSONField(_("Tally"))
    sha256 = models.CharField(max_length=64)
    published_at = models.DateTimeField(_("Published at"))

    class Meta:
        verbose_name = _("Bulletin board")
        verbose_name_plural = _("Bulletin boards")

    def __str__(self) -> str:
        return f"{self.election} · {self.sha256[:12]}"
