"""The indicators that can be computed: one function per indicator, one query each, grouped per subject.

Each function returns, for every subject of the month, the ids that make its numerator and (for a
rate) its denominator; the run keeps them as the trace behind the figure. Cases count in the month
they were filed in (the same cohort for every case indicator, so that a month's figures describe
one set of cases), with the definitions of the 三率 in zhili.cases.selectors.three_rates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import BooleanField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models import Case as Conditional
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhili.analytics.assessment.models import SubjectKind

ALL_KINDS = frozenset(SubjectKind.values)
AREA_KINDS = frozenset({SubjectKind.GRID, SubjectKind.GRID_WORKER, SubjectKind.COMMUNITY})


@dataclass(frozen=True)
class Subject:
    kind: str
    key: int  # node id, user id or department id
    label: str
    path: str  # where it sits in the tree (a grid worker: their grid)


@dataclass(frozen=True)
class Context:
    node_path: str
    kind: str
    start: dt.datetime
    end: dt.datetime
    subjects: tuple[Subject, ...]

    @property
    def keys(self) -> set[int]:
        return {s.key for s in self.subjects}


@dataclass
class Tally:
    numerator_ids: list[int] = field(default_factory=list)
    denominator_ids: list[int] | None = None  # None: a count, not a rate


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    label: Promise
    is_rate: bool
    higher_is_better: bool
    source: str  # cases | visits | warnings
    kinds: frozenset[str]
    explanation: Promise
    compute: Callable[[Context], dict[int, Tally]]
    available: Callable[[], bool] = lambda: True

    @property
    def unit(self) -> str:
        return "%" if self.is_rate else ""


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of the next month) in local time."""
    tz = ZoneInfo(settings.TIME_ZONE)
    first = month.replace(day=1)
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        dt.datetime.combine(nxt, dt.time.min, tzinfo=tz),
    )


# Attribution ------------------------------------------------------------------------------------


def _node_of_path(path: str, keys: set[int]) -> int | None:
    for part in path.strip("/").split("/"):
        if part and int(part) in keys:
            return int(part)
    return None


def _group(ctx: Context, rows: Iterable[tuple[Any, int, bool]], *, is_rate: bool) -> dict[int, Tally]:
    """rows: (attribution key, object id, in numerator) → a tally per subject."""
    keys = ctx.keys
    by_path = ctx.kind in (SubjectKind.GRID, SubjectKind.COMMUNITY)
    tallies: dict[int, Tally] = {k: Tally(denominator_ids=[] if is_rate else None) for k in keys}
    for key, pk, in_numerator in rows:
        subject = _node_of_path(key or "", keys) if by_path else key
        if subject not in tallies:
            continue
        tally = tallies[subject]
        if tally.denominator_ids is not None:
            tally.denominator_ids.append(pk)
        if in_numerator:
            tally.numerator_ids.append(pk)
    for tally in tallies.values():
        tally.numerator_ids.sort()
        if tally.denominator_ids is not None:
            tally.denominator_ids.sort()
    return tallies


def _flag(condition: Q) -> Conditional:
    return Conditional(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


# Cases -------------------------------------------------------------------------------------------


def _cases(ctx: Context, *, by: str = "handler") -> tuple[QuerySet[Any], str]:
    """The month's cases of the subjects and the field that attributes a case to a subject."""
    from zhili.cases.models import Case

    cases = Case.objects.filter(created_at__gte=ctx.start, created_at__lt=ctx.end)
    if ctx.kind in (SubjectKind.GRID, SubjectKind.COMMUNITY):
        return cases.filter(node__path__startswith=ctx.node_path), "node__path"
    if ctx.kind == SubjectKind.DEPARTMENT:
        return cases.filter(department_id__in=ctx.keys), "department_id"
    field_name = "reporter_id" if by == "reporter" else "assignee_id"
    return cases.filter(**{f"{field_name}__in": ctx.keys}), field_name


def _case_rate(numerator: Q, denominator: Q, *, rated: bool = False) -> Callable[[Context], dict[int, Tally]]:
    def compute(ctx: Context) -> dict[int, Tally]:
        cases, key = _cases(ctx)
        if rated:
            from zhili.cases.models import Evaluation

            latest = Evaluation.objects.filter(case=OuterRef("pk")).order_by("-id").values("rating")[:1]
            cases = cases.annotate(last_rating=Subquery(latest))
        rows = cases.filter(denominator).annotate(in_num=_flag(numerator)).values_list(key, "id", "in_num")
        return _group(ctx, rows, is_rate=True)

    return compute


def _taken() -> Q:
    from zhili.cases.states import CaseStatus

    return ~Q(status__in=[CaseStatus.REJECTED, CaseStatus.MERGED])


def _done() -> Q:
    from zhili.cases.states import CaseStatus

    return Q(status__in=[CaseStatus.RESOLVED, CaseStatus.VERIFIED, CaseStatus.RATED, CaseStatus.CLOSED])


def _pleased() -> Q:
    from zhili.cases.models import Rating

    return Q(last_rating__in=[Rating.SATISFIED, Rating.BASICALLY])


def _patrol_reports(ctx: Context) -> dict[int, Tally]:
    from zhili.cases.models import Channel

    cases, key = _cases(ctx, by="reporter")
    rows = cases.filter(channel=Channel.PATROL).annotate(in_num=Value(True)).values_list(key, "id", "in_num")
    return _group(ctx, rows, is_rate=False)


# Visits ------------------------------------------------------------------------------------------


def _tagged_visits(ctx: Context) -> dict[int, Tally]:
    from zhili.residents.models import PersonTag, Visit

    tagged = PersonTag.objects.filter(person__household_id=OuterRef("household_id"))
    visits = Visit.objects.filter(visited_at__gte=ctx.start, visited_at__lt=ctx.end).filter(Exists(tagged))
    if ctx.kind == SubjectKind.GRID_WORKER:
        visits, key = visits.filter(visitor_id__in=ctx.keys), "visitor_id"
    else:
        key = "household__building__grid__path"
        visits = visits.filter(household__building__grid__path__startswith=ctx.node_path)
    rows = visits.annotate(in_num=Value(True)).values_list(key, "id", "in_num")
    return _group(ctx, rows, is_rate=False)


# Warnings ----------------------------------------------------------------------------------------


def _warning_model() -> Any:
    """The early-warning model of zhili.intelligence, when this installation has it."""
    try:
        from zhili.intelligence import models as intelligence_models
    except ImportError:  # pragma: no cover - the app is always installed
        return None
    return getattr(intelligence_models, "EarlyWarning", None)


def _warnings_handled(ctx: Context) -> dict[int, Tally]:
    """Warnings raised in the month in the subject's area that someone confirmed or dismissed."""
    model = _warning_model()
    if model is None or ctx.kind not in (SubjectKind.GRID, SubjectKind.COMMUNITY):
        return _group(ctx, [], is_rate=True)
    warnings = model.objects.filter(
        created_at__gte=ctx.start, created_at__lt=ctx.end, node__path__startswith=ctx.node_path
    )
    rows = warnings.annotate(in_num=_flag(~Q(state="new"))).values_list("node__path", "id", "in_num")
    return _group(ctx, rows, is_rate=True)


# Proactive services ------------------------------------------------------------------------------


def _outreach_on_time(ctx: Context) -> dict[int, Tally]:
    """服务找人 tasks of the area due in the month (not withdrawn): those recorded by their due day."""
    from zhili.services.models import OutreachTask
    from zhili.services.states import TaskStatus

    if ctx.kind not in (SubjectKind.GRID, SubjectKind.COMMUNITY):
        return _group(ctx, [], is_rate=True)
    tz = ZoneInfo(settings.TIME_ZONE)
    tasks = (
        OutreachTask.objects.filter(
            due_on__gte=ctx.start.date(), due_on__lt=ctx.end.date(), grid__path__startswith=ctx.node_path
        )
        .exclude(status=TaskStatus.WITHDRAWN)
        .values_list("grid__path", "id", "status", "done_at", "due_on")
    )
    rows = [
        (path, pk, status == TaskStatus.DONE and done_at is not None and done_at.astimezone(tz).date() <= due)
        for path, pk, status, done_at, due in tasks
    ]
    return _group(ctx, rows, is_rate=True)


REGISTRY: dict[str, IndicatorDef] = {}


def _register(definition: IndicatorDef) -> None:
    REGISTRY[definition.code] = definition


_register(
    IndicatorDef(
        code="response_rate",
        label=_("Response rate"),
        is_rate=True,
        higher_is_better=True,
        source="cases",
        kinds=ALL_KINDS,
        explanation=_("Cases of the month signed for by the sign-by deadline, among those signed for."),
        compute=_case_rate(
            Q(signed_at__lte=F("accept_due_at")), Q(signed_at__isnull=False, accept_due_at__isnull=False)
        ),
    )
)
_register(
    IndicatorDef(
        code="on_time_rate",
        label=_("On-time rate"),
        is_rate=True,
        higher_is_better=True,
        source="cases",
        kinds=ALL_KINDS,
        explanation=_("Cases of the month resolved by the finish-by deadline, among those resolved."),
        compute=_case_rate(
            Q(resolved_at__lte=F("finish_due_at")), Q(resolved_at__isnull=False, finish_due_at__isnull=False)
        ),
    )
)
_register(
    IndicatorDef(
        code="resolution_rate",
        label=_("Resolution rate"),
        is_rate=True,
        higher_is_better=True,
        source="cases",
        kinds=ALL_KINDS,
        explanation=_(
            "Cases of the month resolved or closed, among those taken on (not rejected or merged)."
        ),
        compute=lambda ctx: _case_rate(_done(), _taken())(ctx),
    )
)
_register(
    IndicatorDef(
        code="satisfaction_rate",
        label=_("Satisfaction rate"),
        is_rate=True,
        higher_is_better=True,
        source="cases",
        kinds=ALL_KINDS,
        explanation=_(
            "Cases of the month whose latest rating is satisfied or basically satisfied, among rated ones."
        ),
        compute=lambda ctx: _case_rate(_pleased(), Q(last_rating__isnull=False), rated=True)(ctx),
    )
)
_register(
    IndicatorDef(
        code="reopen_rate",
        label=_("Reopen rate"),
        is_rate=True,
        higher_is_better=False,
        source="cases",
        kinds=ALL_KINDS,
        explanation=_("Cases of the month reopened after an unsatisfied rating, among those taken on."),
        compute=lambda ctx: _case_rate(Q(reopen_count__gt=0), _taken())(ctx),
    )
)
_register(
    IndicatorDef(
        code="patrol_reports",
        label=_("Patrol reports"),
        is_rate=False,
        higher_is_better=True,
        source="cases",
        kinds=AREA_KINDS,
        explanation=_(
            "Cases reported by grid workers on patrol in the month (a grid worker: their own reports)."
        ),
        compute=_patrol_reports,
    )
)
_register(
    IndicatorDef(
        code="tagged_visits",
        label=_("Visits to tagged households"),
        is_rate=False,
        higher_is_better=True,
        source="visits",
        kinds=AREA_KINDS,
        explanation=_("Visits in the month to households with a tagged member (elderly living alone, …)."),
        compute=_tagged_visits,
    )
)
_register(
    IndicatorDef(
        code="warnings_handled",
        label=_("Warnings handled"),
        is_rate=True,
        higher_is_better=True,
        source="warnings",
        kinds=frozenset({SubjectKind.GRID, SubjectKind.COMMUNITY}),
        explanation=_(
            "Early warnings raised in the month in the area that were confirmed or dismissed, "
            "among those raised."
        ),
        compute=_warnings_handled,
        available=lambda: _warning_model() is not None,
    )
)

_register(
    IndicatorDef(
        code="outreach_on_time",
        label=_("Outreach done on time"),
        is_rate=True,
        higher_is_better=True,
        source="outreach",
        kinds=frozenset({SubjectKind.GRID, SubjectKind.COMMUNITY}),
        explanation=_(
            "Proactive service tasks (服务找人) of the area due in the month whose outcome was recorded "
            "by the due day, among those due (withdrawn tasks do not count)."
        ),
        compute=_outreach_on_time,
    )
)

NO_SOURCE_EXPLANATION = _(
    "No data source: early warnings are not recorded in this installation, so there is nothing to count."
)


def indicator_choices(kind: str | None = None) -> list[tuple[str, str]]:
    return [(d.code, str(d.label)) for d in REGISTRY.values() if kind is None or kind in d.kinds]


def explanation_of(code: str) -> str:
    definition = REGISTRY.get(code)
    if definition is None:
        return ""
    if not definition.available():
        return str(NO_SOURCE_EXPLANATION)
    return str(definition.explanation)


def label_of(code: str) -> str:
    definition = REGISTRY.get(code)
    return str(definition.label) if definition else code


# Subjects ----------------------------------------------------------------------------------------


def subjects_for(node: Any, kind: str) -> list[Subject]:
    """Who is assessed under ``node``: its grids, communities, grid workers or departments."""
    from zhili.accounts.models import Department, Membership
    from zhili.accounts.roles import Role
    from zhili.territory.models import Node

    if kind in (SubjectKind.GRID, SubjectKind.COMMUNITY):
        nodes = Node.objects.filter(path__startswith=node.path, kind=kind).order_by("sort_key")
        return [Subject(kind, n.pk, n.name, n.path) for n in nodes]
    if kind == SubjectKind.DEPARTMENT:
        departments = Department.objects.filter(node__path__startswith=node.path).select_related("node")
        return [Subject(kind, d.pk, d.name, d.node.path) for d in departments.order_by("code")]
    memberships = (
        Membership.objects.filter(active=True, role=Role.GRID_WORKER, node__path__startswith=node.path)
        .select_related("user", "node")
        .order_by("node__sort_key", "user_id")
    )
    seen: dict[int, Subject] = {}
    for m in memberships:
        if m.user_id not in seen and m.user.is_active:
            seen[m.user_id] = Subject(kind, m.user_id, f"{m.user} ({m.node.name})", m.node.path)
    return list(seen.values())
