"""The service catalogue (服务项目) with each service's outreach rule (主动服务规则), and the outreach
tasks (主动服务任务) the rule generates for the grid workers of the people who need the service.

One rule per service: who needs it (tags, any of them, and/or a minimum age; both must hold when
both are given) and how often to reach out (once, or every N days). The rule applies to the
residents of the service's node's subtree.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.services.states import Outcome, TaskStatus

DEFAULT_DUE_DAYS = 7


class Service(models.Model):
    node = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Applies in")
    )
    name = models.CharField(pgettext_lazy("service", "Name"), max_length=100)
    description = models.TextField(pgettext_lazy("service", "Description"), max_length=2000, blank=True)
    department = models.CharField(_("Responsible department"), max_length=100, blank=True)
    active = models.BooleanField(_("In use"), default=True)
    # The outreach rule. Tag codes (zhili.residents Tag.code): a person carrying any of them.
    tag_codes = models.JSONField(_("Tags"), default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(_("Minimum age"), null=True, blank=True)
    # 0: reach out once; N: again N days after the person was last reached.
    interval_days = models.PositiveIntegerField(_("Reach out again after (days)"), default=0)
    due_days = models.PositiveSmallIntegerField(_("Days to complete a task"), default=DEFAULT_DUE_DAYS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Service")
        verbose_name_plural = _("Services")
        ordering = ["node__sort_key", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["node", "name"], name="services_service_name_per_node"),
        ]

    def __str__(self) -> str:
        return self.name


class OutreachTask(models.Model):
    """Reach one person about one service; done by the grid workers of the person's grid."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="tasks")
    person = models.ForeignKey(
        "residents.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("Resident")
    )
    household = models.ForeignKey(
        "territory.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("Household")
    )
    # The person's grid when the task was made: its grid workers do it.
    grid = models.ForeignKey(
        "territory.Node", on_delete=models.PROTECT, related_name="+", verbose_name=_("Grid")
    )
    status = models.CharField(_("Status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_at = models.DateTimeField(_("Created at"))
    due_on = models.DateField(_("Due on"))
    outcome = models.CharField(
        pgettext_lazy("outreach", "Outcome"), max_length=12, choices=Outcome.choices, blank=True
    )
    note = models.CharField(_("Note"), max_length=500, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Recorded by"),
    )
    done_at = models.DateTimeField(_("Recorded at"), null=True, blank=True)
    visit = models.ForeignKey(
        "residents.Visit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("Outreach task")
        verbose_name_plural = _("Outreach tasks")
        ordering = ["due_on", "id"]
        constraints = [
            # Generating twice, or in two processes at once, never doubles a person's open task.
            models.UniqueConstraint(
                fields=["service", "person"], condition=Q(status="open"), name="services_task_one_open"
            ),
            models.CheckConstraint(
                condition=Q(status="done", done_at__isnull=False) & ~Q(outcome="")
                | ~Q(status="done") & Q(outcome=""),
                name="services_task_outcome_when_done",
            ),
        ]
        indexes = [
            models.Index(fields=["grid", "due_on"], condition=Q(status="open"), name="services_task_open"),
            models.Index(fields=["service", "person", "-done_at"], name="services_task_last_done"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}:{self.person_id}"
