"""Reads of assessment: runs, the ranking, one subject's figures, the ids behind a figure, trends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from zhili.analytics.assessment import policies, registry
from zhili.analytics.assessment.models import AssessmentRun, IndicatorSet, Score, SubjectResult
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
            )
        )
    return cols


def results(user: Any, run: AssessmentRun) -> list[SubjectResult]:
    """The rows of the ranking the user may see, each with its scores in column order."""
    rows = list(
        run.results.filter(policies.result_rows_q(user, run))
        .prefetch_related(Prefetch("scores", queryset=Score.objects.order_by("position", "id")))
        .order_by("rank", "label", "id")
    )
    for row in rows:
        row.score_by_code = {s.code: s for s in row.scores.all()}  # type: ignore[attr-defined]
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
    runs = AssessmentRun.objects.filter(indicator_set=indicator_set).exclude(state=RunState.SUPERSEDED)
    by_month: dict[Any, AssessmentRun] = {}
    for run in runs.order_by("month", "version"):
        kept = by_month.get(run.month)
        if kept is None or kept.state != RunState.PUBLISHED:
            by_month[run.month] = run
    return [by_month[m] for m in sorted(by_month)][-months:]


def trend(user: Any, indicator_set: IndicatorSet) -> dict[str, Any]:
    """Totals per subject and month (the rows the user may see), for the chart and its table."""
    runs = current_runs(indicator_set)
    months = [f"{r.month:%Y-%m}" for r in runs]
    series: dict[str, dict[str, Any]] = {}
    for index, run in enumerate(runs):
        rows = run.results.filter(policies.result_rows_q(user, run)).values_list("label", "total", "rank")
        for label, total, rank in rows:
            entry = series.setdefault(
                label, {"name": label, "totals": [None] * len(runs), "ranks": [None] * len(runs)}
            )
            entry["totals"][index] = total
            entry["ranks"][index] = rank
    return {
        "months": months,
        "states": [r.state for r in runs],
        "runs": runs,
        "series": sorted(series.values(), key=lambda s: s["name"]),
    }
