"""Reads of services: the catalogue as a viewer may see it, a grid worker's open tasks, and the
overview (per service and grid: open, done, overdue, coverage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from zhili.authz.policies import path_q, roles_of
from zhili.core.crypto import mask_name
from zhili.residents.models import Tag
from zhili.residents.tags import tag_visible
from zhili.services import policies
from zhili.services.actions import reached_since
from zhili.services.models import OutreachTask, Service
from zhili.services.policies import Perm
from zhili.services.states import REACHED_OUTCOMES, TaskStatus

# The catalogue ----------------------------------------------------------------------------------


def rule_text(service: Service, *, tags: dict[str, Tag], roles: set[str], manager: bool) -> str:
    """The rule in words. A sensitive tag the viewer may not see is not named (managers see all:
    the rule is configuration, not anybody's data)."""
    parts: list[str] = []
    names = []
    hidden = 0
    for code in service.tag_codes:
        tag = tags.get(code)
        if tag is None:
            continue
        if manager or tag_visible(tag, roles) or not tag.sensitive:
            names.append(tag.name)
        else:
            hidden += 1
    shown = "、".join(names)
    if names and hidden:
        parts.append(_("residents tagged %(tags)s or with a protected tag") % {"tags": shown})
    elif names:
        parts.append(_("residents tagged %(tags)s") % {"tags": shown})
    elif hidden:
        parts.append(_("residents with a protected tag"))
    if service.min_age is not None:
        parts.append(_("aged %(age)s or over") % {"age": service.min_age})
    who = pgettext("outreach rule", " and ").join(parts)
    how = _("every %(days)s days") % {"days": service.interval_days} if service.interval_days else _("once")
    return _("%(who)s; %(how)s") % {"who": who, "how": how}


@dataclass
class CatalogueRow:
    service: Service
    rule: str
    can_manage: bool


def catalogue(user: Any) -> list[CatalogueRow]:
    services = list(policies.visible_services(user).order_by("node__sort_key", "name", "pk"))
    tags = {t.code: t for t in Tag.objects.all()}
    roles = roles_of(user)
    rows = []
    for service in services:
        manager = policies.can(user, Perm.MANAGE, service)
        rows.append(
            CatalogueRow(service, rule_text(service, tags=tags, roles=roles, manager=manager), manager)
        )
    return rows


# A grid worker's tasks --------------------------------------------------------------------------


def my_tasks(user: Any) -> QuerySet[OutreachTask]:
    """Open tasks of the user's grids, the most urgent first."""
    return (
        policies.visible_tasks(user)
        .filter(status=TaskStatus.OPEN)
        .select_related("service", "grid", "household__building", "person")
        .order_by("due_on", "household__building__address", "household__number", "pk")
    )


def my_recent_done(user: Any, limit: int = 20) -> list[OutreachTask]:
    return list(
        policies.visible_tasks(user)
        .filter(status=TaskStatus.DONE, done_by_id=getattr(user, "pk", None))
        .select_related("service", "household__building", "person")
        .order_by("-done_at", "-pk")[:limit]
    )


def masked_name(task: OutreachTask) -> str:
    return mask_name(task.person.name) if task.person.anonymised_at is None else "—"


def overdue(task: OutreachTask, today: date | None = None) -> bool:
    return task.status == TaskStatus.OPEN and task.due_on < (today or timezone.localdate())


# The overview ------------------------------------------------------------------------------------


@dataclass
class Progress:
    service_id: int | None
    service: str
    grid_id: int | None
    grid: str
    open: int = 0
    overdue: int = 0
    done: int = 0
    reached: int = 0  # persons reached within the service's interval (ever, for a once-only service)
    waiting: int = 0  # persons with an open task

    @property
    def coverage(self) -> int | None:
        """Share of the people who need the service that were reached within its interval. The
        people who need it are those reached plus those the generator gave an open task: exact
        right after a generation run, and without re-evaluating the rules (sealed tags) per page."""
        needed = self.reached + self.waiting
        return round(100 * self.reached / needed) if needed else None

    def add(self, other: Progress) -> None:
        for name in ("open", "overdue", "done", "reached", "waiting"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Overview:
    rows: list[Progress] = field(default_factory=list)
    by_service: list[Progress] = field(default_factory=list)
    total: Progress = field(default_factory=lambda: Progress(None, "", None, ""))


def overview(user: Any, *, now: datetime | None = None) -> Overview:
    """Per service and grid of the user's OVERVIEW scope (two queries)."""
    return overview_under(policies.scope(user, Perm.OVERVIEW), now=now)


def overview_under(paths: list[str], *, now: datetime | None = None) -> Overview:
    """Per service and grid under the nodes of ``paths`` (the cockpit passes its node's)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    tasks = OutreachTask.objects.filter(path_q(paths, "grid__path"))
    services = {s.pk: s for s in Service.objects.filter(pk__in=tasks.values("service_id").distinct())}
    reached_q = Q(pk__in=[])
    for service in services.values():
        since = reached_since(service, now)
        condition = Q(service_id=service.pk)
        if since is not None:
            condition &= Q(done_at__gte=since)
        reached_q |= condition
    rows = (
        tasks.values("service_id", "service__name", "grid_id", "grid__name")
        .annotate(
            open=Count("pk", filter=Q(status=TaskStatus.OPEN)),
            overdue=Count("pk", filter=Q(status=TaskStatus.OPEN, due_on__lt=today)),
            done=Count("pk", filter=Q(status=TaskStatus.DONE)),
            reached=Count(
                "person_id",
                distinct=True,
                filter=Q(status=TaskStatus.DONE, outcome__in=REACHED_OUTCOMES) & reached_q,
            ),
            waiting=Count("person_id", distinct=True, filter=Q(status=TaskStatus.OPEN)),
        )
        .order_by("service__name", "service_id", "grid__sort_key")
    )
    result = Overview()
    per_service: dict[int, Progress] = {}
    for row in rows:
        item = Progress(
            row["service_id"],
            row["service__name"],
            row["grid_id"],
            row["grid__name"],
            row["open"],
            row["overdue"],
            row["done"],
            row["reached"],
            row["waiting"],
        )
        result.rows.append(item)
        summary = per_service.get(item.service_id or 0)
        if summary is None:
            summary = per_service[item.service_id or 0] = Progress(item.service_id, item.service, None, "")
            result.by_service.append(summary)
        summary.add(item)
        result.total.add(item)
    return result


def open_tasks_for_export(user: Any) -> QuerySet[OutreachTask]:
    return (
        policies.tasks_under(user, Perm.EXPORT)
        .filter(status=TaskStatus.OPEN)
        .select_related("service", "grid", "household__building", "person")
        .order_by("service__name", "grid__sort_key", "due_on", "pk")
    )
