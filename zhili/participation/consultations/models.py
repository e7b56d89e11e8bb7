"""Consultations (民主协商) with tracked outcomes.

A ``Topic`` concerns a territory node and everyone living below it. Residents propose, comment and
support while it is consulting; the council (议事会) meets and records ``Decision`` rows with
``Milestone`` rows; every change to those two is kept in ``OutcomeChange`` as old → new, so that
the accountability board can show what was promised, by whom, and how it moved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.participation.consultations.states import TopicState


class Topic(models.Model):
    node = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Area concerned")
    )
    title = models.CharField(_("Title"), max_length=120)
    body = models.TextField(pgettext_lazy("explanatory text", "Description"))
    opens_on = models.DateField(_("Consultation opens on"), null=True, blank=True)
    closes_on = models.DateField(_("Consultation closes on"), null=True, blank=True)
    state = models.CharField(
        _("State"), max_length=16, choices=TopicState.choices, default=TopicState.DRAFT, db_index=True
    )
    withdrawn_reason = models.CharField(_("Reason for withdrawal"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    state_changed_at = models.DateTimeField(_("State changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Consultation topic")
        verbose_name_plural = _("Consultation topics")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["node", "state"], name="consult_topic_node_state")]

    def __str__(self) -> str:
        return self.title


def document_path(instance: Document, filename: str) -> str:
    # Never the uploader's file name on disk: it may carry personal data; the title is shown instead.
    return f"consultations/{instance.topic_id}/{instance.token}{instance.extension}"


class Document(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("Title"), max_length=120)
    token = models.CharField(max_length=32, unique=True, editable=False)
    extension = models.CharField(max_length=8, editable=False)
    file = models.FileField(upload_to=document_path, max_length=200)
    content_type = models.CharField(max_length=100, editable=False)
    size = models.PositiveIntegerField(editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("consultation", "Document")
        verbose_name_plural = _("Documents")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title

    @property
    def type_label(self) -> str:
        """What kind of file it is, in words (PDF 文档, Word 文档…)."""
        from zhili.participation.consultations.documents import type_label

        return type_label(self.content_type)


class HideReason(models.TextChoices):
    OFF_TOPIC = "off_topic", _("Off topic")
    PERSONAL_DATA = "personal_data", _("Contains personal data")
    ABUSIVE = "abusive", _("Abusive or insulting")
    ADVERTISING = "advertising", _("Advertising")
    DUPLICATE = "duplicate", _("Duplicate")
    UNLAWFUL = "unlawful", _("Unlawful content")


class Moderated(models.Model):
    """What proposals and comments share: an author and the moderation columns."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The registry person behind the author's verified account at the time of writing.
    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("Text"))
    created_at = models.DateTimeField(_("Written at"), auto_now_add=True)
    hidden_reason = models.CharField(
        _("Hidden because"), max_length=16, choices=HideReason.choices, blank=True
    )
    hidden_note = models.CharField(_("Moderator's note"), max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(_("Hidden at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_hidden(self) -> bool:
        return bool(self.hidden_reason)


class Proposal(Moderated):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="proposals")
    title = models.CharField(_("Title"), max_length=120)

    class Meta:
        verbose_name = _("Proposal")
        verbose_name_plural = _("Proposals")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class Comment(Moderated):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="comments")
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )

    class Meta:
        verbose_name = pgettext_lazy("consultation", "Comment")
        verbose_name_plural = _("Comments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.body[:40]


class Support(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    # One per resident: the registry person, so that a re-linked login cannot support twice.
    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Support")
        verbose_name_plural = _("Supports")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "person"], name="consult_support_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}:{self.person_id}"


class Meeting(models.Model):
    """A council meeting (议事会) on the topic, with its minutes and who attended."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="meetings")
    held_at = models.DateTimeField(_("Held at"))
    place = models.CharField(_("Place"), max_length=120)
    agenda = models.TextField(_("Agenda"))
    minutes = models.TextField(_("Minutes"))
    expected_count = models.PositiveIntegerField(_("Participants expected"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Council meeting")
        verbose_name_plural = _("Council meetings")
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"{self.topic} {self.held_at:%Y-%m-%d}"


class AttendeeRole(models.TextChoices):
    RESIDENT_REP = "resident_rep", _("Residents' representative")
    STAFF = "staff", _("Staff")
    OUTSIDE = "outside", _("Outside party")


class Attendee(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    name = models.CharField(pgettext_lazy("person", "Name"), max_length=50)
    role = models.CharField(pgettext_lazy("attendee", "Role"), max_length=16, choices=AttendeeRole.choices)
    organisation = models.CharField(_("Organisation"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("Attendee")
        verbose_name_plural = _("Attendees")
        ordering = ["role", "id"]

    def __str__(self) -> str:
        return self.name


class Decision(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="decisions")
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("Decided at the meeting"),
    )
    text = models.TextField(_("Decision"))
    responsible_unit = models.CharField(_("Responsible unit"), max_length=100)
    responsible_person = models.CharField(_("Responsible person"), max_length=50)
    due_on = models.DateField(_("Due on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Decision")
        verbose_name_plural = _("Decisions")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:40]


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", pgettext_lazy("implementation", "In progress")
    BLOCKED = "blocked", _("Blocked")
    DONE = "done", _("Done")


class Milestone(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("Title"), max_length=120)
    due_on = models.DateField(_("Due on"))
    percent = models.PositiveSmallIntegerField(_("Percent done"), default=0)
    status = models.CharField(
        _("Status"), max_length=16, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    done_on = models.DateField(_("Done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("Milestone")
        verbose_name_plural = _("Milestones")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__lte=100), name="consult_milestone_percent_max"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OutcomeChange(models.Model):
    """One change to a decision or milestone: who, when, which field, old → new. Never edited."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="changes")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="changes")
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="changes"
    )
    field = models.CharField(max_length=32)  # "" for a creation
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    note = models.CharField(_("Note"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("Outcome change")
        verbose_name_plural = _("Outcome changes")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"


class Follow(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Follow")
        verbose_name_plural = _("Follows")
        constraints = [
            models.UniqueConstraint(fields=["topic", "user"], name="consult_follow_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.topic_id}"
