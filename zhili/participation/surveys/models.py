"""Models of surveys (在线民意调查).

Who answered and what was answered are kept apart:

- ``Participation`` (survey, person, user, time) is the one-response-per-resident record; a unique
  constraint makes a second response impossible even when two requests race.
- ``Response`` and its ``Answer`` rows hold the answers. In an anonymous survey a response has no
  person and no user, a random UUID as key (no insertion-ordered id to line up with
  participations), only the day it was given, and the grid the respondent lived in at that time
  (for cross-tabs; small groups are folded away on the results page). A named survey's response
  also names its person.

What is not covered: whoever can read the database's storage while a survey is open can match
the n-th participation written with the n-th response (same transaction); this is the same limit
as the secret ballot (see ``zhili.participation.elections.actions``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.participation.surveys.rules import MAX_TEXT_LENGTH, QuestionKind
from zhili.participation.surveys.states import SurveyStatus


class Survey(models.Model):
    # The audience is the registry below this node (and the staff of the node run the survey).
    node = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Territory")
    )
    title = models.CharField(_("Title"), max_length=200)
    description = models.TextField(
        pgettext_lazy("explanatory text", "Description"), max_length=2000, blank=True
    )
    anonymous = models.BooleanField(
        _("Anonymous"),
        default=True,
        help_text=_("Answers are stored without the respondent's name."),
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT, db_index=True
    )
    opens_at = models.DateTimeField(_("Opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("Closes at"), null=True, blank=True)
    # Audience filters beyond the territory: any of the tags; age in full years on the opening day.
    audience_tags = models.ManyToManyField(
        "residents.Tag", blank=True, related_name="+", verbose_name=_("Only residents with one of these tags")
    )
    min_age = models.PositiveSmallIntegerField(_("Minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("Maximum age"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("Published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True)
    # Set once an official publishes the results of the closed survey to its area (信息公开).
    results_published_at = models.DateTimeField(_("Results published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Survey")
        verbose_name_plural = _("Surveys")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Due surveys are found by closing time among open ones.
            models.Index(
                fields=["closes_at"], condition=models.Q(status="open"), name="surveys_open_closes_at"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(_("Section title"), max_length=200)
    description = models.TextField(
        pgettext_lazy("explanatory text", "Description"), max_length=1000, blank=True
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Section")
        verbose_name_plural = _("Sections")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        verbose_name=_("Section"),
    )
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("Type"), max_length=16, choices=QuestionKind.choices)
    text = models.CharField(_("Question"), max_length=500)
    help_text = models.CharField(_("Explanation"), max_length=300, blank=True)
    required = models.BooleanField(_("Required"), default=True)
    options = models.JSONField(_("Options"), default=list, blank=True)
    min_choices = models.PositiveSmallIntegerField(_("At least (choices)"), default=0)
    max_choices = models.PositiveSmallIntegerField(_("At most (choices)"), default=0)
    scale_min = models.SmallIntegerField(_("Scale from"), default=1)
    scale_max = models.SmallIntegerField(_("Scale to"), default=5)
    scale_min_label = models.CharField(_("Label of the lowest point"), max_length=40, blank=True)
    scale_max_label = models.CharField(_("Label of the highest point"), max_length=40, blank=True)
    max_length = models.PositiveSmallIntegerField(_("Maximum length (characters)"), default=500)
    condition_question = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dependants",
        verbose_name=_("Show only if this question"),
    )
    condition_values = models.JSONField(_("was answered with"), default=list, blank=True)

    class Meta:
        verbose_name = _("Question")
        verbose_name_plural = _("Questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text

    def option_labels(self) -> list[str]:
        return [str(option) for option in self.options]


class Participation(models.Model):
    """Who responded (one per person and survey); never linked to the answers of an anonymous survey."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="participations")
    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(_("Responded at"))

    class Meta:
        verbose_name = pgettext_lazy("survey", "Participation")
        verbose_name_plural = _("Participations")
        constraints = [
            models.UniqueConstraint(fields=["survey", "person"], name="surveys_one_response_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} · {self.person_id}"


class Response(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    # Named surveys only; always empty in an anonymous one.
    person = models.ForeignKey(
        "residents.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Where the respondent lived when answering (for cross-tabs), without who they are.
    grid = models.ForeignKey(
        "territory.Node", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    community = models.ForeignKey(
        "territory.Node", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_on = models.DateField(_("Submitted on"))

    class Meta:
        verbose_name = pgettext_lazy("survey", "Response")
        verbose_name_plural = _("Responses")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "person"],
                condition=models.Q(person__isnull=False),
                name="surveys_one_named_response_per_person",
            ),
        ]

    def __str__(self) -> str:
        return str(self.pk)


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    # Option indices: the one chosen, the ones chosen, or all in ranked order.
    choices = models.JSONField(default=list, blank=True)
    number = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True, max_length=MAX_TEXT_LENGTH)

    class Meta:
        verbose_name = _("Answer")
        verbose_name_plural = _("Answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="surveys_one_answer_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id} · {self.question_id}"
