"""Reads of assessment: runs, the ranking, one subject's figures, the ids behind a figure, trends."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from zhili.analytics.assessment import policies, registry
from zhili.analytics.assessment.models import AssessmentRun, IndicatorSet, NoData, Score, SubjectResult
from zhili.analytics.assessment.states import RunState
from zhili.core.errors import NotFound


def run_list(user: Any) -> QuerySet[AssessmentRun]:
    return (
        policies.visible_runs(user)
        .select_related("node", "indicator_set")
        .order_by("-month", "node__sort_key", "indicator_set__name", "-version")
    )


@dataclass(frozen=True)
class Column:
    code: str
    label: str
    weight: Any
    is_rate: bool
    explanation: str
    # The points a rate gets when there is nothing to count: full or none (the run's configuration).
    no_data: str = NoData.FULL

    @property
    def no_data_rule(self) -> str:
        """What a figure without data earns here, for the column's heading ("" for a count, which is
        never without data)."""
        if not self.is_rate:
            return ""
        if self.no_data == NoData.FULL:
            return _("No data: full points")
        return _("No data: no points")


def columns(run: AssessmentRun) -> list[Column]:
    """The indicators of a run, as configured when it was computed."""
    cols = []
    for c in sorted(run.config, key=lambda c: c.get("position", 0)):
        definition = registry.REGISTRY.get(c["code"])
        cols.append(
            Column(
                code=c["code"],
                label=registry.label_of(c["code"]),
                weight=c["weight"],
                is_rate=bool(definition and definition.is_rate),
                explanation=registry.explanation_of(c["code"]),
                no_data=c.get("no_data") or NoData.FULL,
            )
        )
    return cols


@dataclass(frozen=True)
class WithoutData:
    """The indicators of one subject that had nothing to count, and the weighted points they gave.

    A grid without cases gets full points for every rate whose rule says so: its total, and its rank,
    then say nothing about its work. The pages and the report show this next to the total."""

    count: int
    points: Decimal
    labels: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        return ngettext(
            "%(count)s indicator without data: %(points)s points",
            "%(count)s indicators without data: %(points)s points",
            self.count,
        ) % {"count": self.count, "points": f"{self.points:.2f}"}

    @property
    def short(self) -> str:
        """For a cell beside a total: the points of the total that came without data."""
        return pgettext("score", "%(points)s points without data") % {"points": f"{self.points:.2f}"}

    @property
    def detail(self) -> str:
        """The note with the indicators' names (the report's remark, the page's tooltip)."""
        return _("%(note)s (%(names)s)") % {"note": self.note, "names": _(", ").join(self.labels)}


def without_data(scores: Iterable[Score], cols: list[Column] | None = None) -> WithoutData | None:
    """The no-data part of a subject's scores; None when every indicator had something to count."""
    labels = {c.code: c.label for c in cols or []}
    empty = [s for s in scores if s.no_data]
    if not empty:
        return None
    return WithoutData(
        count=len(empty),
        points=sum((s.weighted_points for s in empty), Decimal(0)),
        labels=tuple(labels.get(s.code) or registry.label_of(s.code) for s in empty),
    )


def results(user: Any, run: AssessmentRun, cols: list[Column] | None = None) -> list[SubjectResult]:
    """The rows of the ranking the user may see, each with its scores in column order and what of
    them had no data (``without_data``; ``cols``: the run's columns, for the indicators' names)."""
    rows = list(
        run.results.filter(policies.result_rows_q(user, run))
        .prefetch_related(Prefetch("scores", queryset=Score.objects.order_by("position", "id")))
        .order_by("rank", "label", "id")
    )
    cols = columns(run) if cols is None else cols
    for row in rows:
        scores = list(row.scores.all())
        row.score_by_code = {s.code: s for s in scores}  # type: ignore[attr-defined]
        row.without_data = without_data(scores, cols)  # type: ignore[attr-defined]
    return rows


def versions(run: AssessmentRun) -> QuerySet[AssessmentRun]:
    return AssessmentRun.objects.filter(
        node=run.node_id, indicator_set=run.indicator_set_id, month=run.month
    ).order_by("version")


def get_score(user: Any, run: AssessmentRun, pk: Any) -> Score:
    try:
        return (
            Score.objects.select_related("result", "trace")
            .filter(result__run=run)
            .filter(**{f"result__{k}": v for k, v in _row_filter(user, run).items()})
            .get(pk=pk)
        )
    except (Score.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _row_filter(user: Any, run: AssessmentRun) -> dict[str, Any]:
    # result_rows_q as keyword filters on the related result (pk__in keeps it one query).
    visible = run.results.filter(policies.result_rows_q(user, run)).values("pk")
    return {"pk__in": visible}


def explain(score: Score) -> dict[str, Any]:
    """The objects behind a score's numerator and denominator."""
    trace = getattr(score, "trace", None)
    if trace is None:
        return {"source": "", "rows": []}
    numerator = set(trace.numerator_ids)
    ids = trace.denominator_ids or trace.numerator_ids
    rows: list[dict[str, Any]] = []
    if trace.source == "cases":
        from zhili.cases.models import Case

        for case in Case.objects.filter(pk__in=ids).order_by("created_at", "id"):
            rows.append({"case": case, "counted": case.pk in numerator})
    elif trace.source == "visits":
        from zhili.residents.models import Visit

        visits = Visit.objects.filter(pk__in=ids).select_related("visitor", "household__building__grid")
        for visit in visits.order_by("visited_at", "id"):
            rows.append({"visit": visit, "counted": visit.pk in numerator})
    elif trace.source == "outreach":
        from zhili.services.models import OutreachTask

        tasks = OutreachTask.objects.filter(pk__in=ids).select_related("service", "grid")
        for task in tasks.order_by("due_on", "id"):  # no person: the service and the grid say enough
            rows.append({"task": task, "counted": task.pk in numerator})
    elif trace.source == "warnings":
        model = registry._warning_model()
        if model is not None:
            for warning in (
                model.objects.filter(pk__in=ids).select_related("node").order_by("created_at", "id")
            ):
                rows.append({"warning": warning, "counted": warning.pk in numerator})
    return {
        "source": trace.source,
        "rows": rows,
        "rate": trace.denominator_ids is not None and bool(score.denominator is not None),
    }


def current_runs(indicator_set: IndicatorSet, *, months: int = 12) -> list[AssessmentRun]:
    """The version that counts for each month: the published one, else the draft."""
    runs = (
        AssessmentRun.objects.filter(indicator_set=indicator_set)
        .exclude(state=RunState.SUPERSEDED)
        .select_related("node")
    )
    by_month: dict[Any, AssessmentRun] = {}
    for run in runs.order_by("month", "version"):
        kept = by_month.get(run.month)
        if kept is None or kept.state != RunState.PUBLISHED:
            by_month[run.month] = run
    return [by_month[m] for m in sorted(by_month)][-months:]


def trend(user: Any, indicator_set: IndicatorSet) -> dict[str, Any]:
    """Totals per subject and month (the rows the user may see), for the chart and its table, with
    what of each total came from indicators without data (``without_data``, None when nothing).

    One query for every month: the rows of each run the user may see, with their no-data scores
    counted and summed beside them."""
    runs = current_runs(indicator_set)
    months = [f"{r.month:%Y-%m}" for r in runs]
    index_of = {run.pk: index for index, run in enumerate(runs)}
    visible = Q(pk__in=[])
    for run in runs:
        visible |= Q(run=run) & policies.result_rows_q(user, run)
    empty = Q(scores__denominator=0)
    rows = (
        SubjectResult.objects.filter(visible)
        .values("id", "run_id", "label", "total", "rank")
        .annotate(
            empty=Count("scores", filter=empty), empty_points=Sum("scores__weighted_points", filter=empty)
        )
        .order_by("run_id", "rank", "label", "id")
    )
    series: dict[str, dict[str, Any]] = {}
    size = len(runs)
    for row in rows:
        index, label, total, rank = index_of[row["run_id"]], row["label"], row["total"], row["rank"]
        empty_count, empty_points = row["empty"], row["empty_points"]
        entry = series.setdefault(
            label,
            {"name": label, "totals": [None] * size, "ranks": [None] * size, "without_data": [None] * size},
        )
        entry["totals"][index] = total
        entry["ranks"][index] = rank
        if empty_count:
            entry["without_data"][index] = WithoutData(empty_count, empty_points or Decimal(0))
    for entry in series.values():
        entry["cells"] = list(zip(entry["totals"], entry["without_data"], strict=True))
    return {
        "months": months,
        "states": [r.state for r in runs],
        "runs": runs,
        "series": sorted(series.values(), key=lambda s: s["name"]),
        "any_without_data": any(w for entry in series.values() for w in entry["without_data"]),
    }
