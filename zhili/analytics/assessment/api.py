"""REST endpoints of assessment, mounted under /api/v1/assessment/: the same reads and actions as the pages.

Refusals carry a stable ``code`` (404 outside the caller's territory, 403 for read-only roles, 409
for an action the run's state does not allow, 400 otherwise).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from zhili.analytics.assessment import actions, policies, selectors
from zhili.analytics.assessment.models import SubjectResult
from zhili.core.errors import NotFound

router = Router(tags=["assessment"])


class RunOut(Schema):
    id: int
    node: str
    month: date
    indicator_set: str
    subject_kind: str
    state: str
    version: int
    supersedes: int | None
    reason: str
    computed_at: datetime | None
    published_at: datetime | None


class ScoreOut(Schema):
    id: int
    code: str
    weight: Decimal
    numerator: int
    denominator: int | None
    raw_value: Decimal | None
    points: Decimal
    weighted_points: Decimal
    # A rate with nothing to count in the month: its points come from the set's no-data rule.
    no_data: bool


class ResultOut(Schema):
    id: int
    label: str
    total: Decimal
    rank: int
    scores: list[ScoreOut]
    # How many indicators had no data, and the weighted points of the total they gave.
    no_data_count: int
    no_data_points: Decimal


class RunDetailOut(RunOut):
    results: list[ResultOut]


class ComputeIn(Schema):
    indicator_set: int
    month: str  # YYYY-MM


class CorrectIn(Schema):
    reason: str


class TraceOut(Schema):
    source: str
    numerator_ids: list[int]
    denominator_ids: list[int] | None


def _run_out(run: actions.AssessmentRun) -> dict[str, object]:
    return {
        "id": run.pk,
        "node": run.node.code,
        "month": run.month,
        "indicator_set": run.indicator_set.name,
        "subject_kind": run.subject_kind,
        "state": run.state,
        "version": run.version,
        "supersedes": run.supersedes_id,
        "reason": run.reason,
        "computed_at": run.computed_at,
        "published_at": run.published_at,
    }


def _staff(request: HttpRequest) -> None:
    if not policies.is_staff(request.user):
        raise NotFound()


@router.get("/runs", response=list[RunOut])
def list_runs(request: HttpRequest, month: str = "") -> list[dict[str, object]]:
    _staff(request)
    runs = selectors.run_list(request.user)
    if month:
        runs = runs.filter(month=actions.parse_month(month))
    return [_run_out(r) for r in runs[:500]]


@router.get("/runs/{run_id}", response=RunDetailOut)
def get_run(request: HttpRequest, run_id: int) -> dict[str, object]:
    run = policies.get_run_for_user(request.user, run_id)
    body = _run_out(run)
    body["results"] = [_result_out(r) for r in selectors.results(request.user, run)]
    return body


def _result_out(result: SubjectResult) -> dict[str, object]:
    empty = result.without_data  # type: ignore[attr-defined]
    return {
        "id": result.pk,
        "label": result.label,
        "total": result.total,
        "rank": result.rank,
        "scores": list(result.scores.all()),
        "no_data_count": empty.count if empty else 0,
        "no_data_points": empty.points if empty else Decimal(0),
    }


@router.get("/runs/{run_id}/scores/{score_id}/trace", response=TraceOut)
def get_trace(request: HttpRequest, run_id: int, score_id: int) -> dict[str, object]:
    run = policies.get_run_for_user(request.user, run_id)
    score = selectors.get_score(request.user, run, score_id)
    trace = getattr(score, "trace", None)
    if trace is None:
        raise NotFound()
    return {
        "source": trace.source,
        "numerator_ids": trace.numerator_ids,
        "denominator_ids": trace.denominator_ids if score.denominator is not None else None,
    }


@router.post("/runs", response={201: RunOut})
def compute(request: HttpRequest, payload: ComputeIn) -> Status:
    _staff(request)
    indicator_set = policies.get_set_for_user(request.user, payload.indicator_set, manage=True)
    run = actions.do_compute_run(
        indicator_set=indicator_set, month=actions.parse_month(payload.month), actor=request.user
    )
    return Status(201, _run_out(run))


@router.post("/runs/{run_id}/recompute", response=RunOut)
def recompute(request: HttpRequest, run_id: int) -> dict[str, object]:
    run = policies.get_run_for_user(request.user, run_id, manage=True)
    return _run_out(actions.do_recompute_run(run, actor=request.user))


@router.post("/runs/{run_id}/publish", response=RunOut)
def publish(request: HttpRequest, run_id: int) -> dict[str, object]:
    run = policies.get_run_for_user(request.user, run_id, manage=True)
    return _run_out(actions.do_publish_run(run, actor=request.user))


@router.post("/runs/{run_id}/correct", response={201: RunOut})
def correct(request: HttpRequest, run_id: int, payload: CorrectIn) -> Status:
    run = policies.get_run_for_user(request.user, run_id, manage=True)
    return Status(201, _run_out(actions.do_correct_run(run, reason=payload.reason, actor=request.user)))
