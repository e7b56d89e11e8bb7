"""Writes of assessment: indicator sets, and the compute → publish → correct path of a run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.analytics.assessment import registry, scoring
from zhili.analytics.assessment.models import (
    AssessmentRun,
    IndicatorSet,
    Score,
    SubjectResult,
    Trace,
)
from zhili.analytics.assessment.states import (
    COMPUTABLE_STATES,
    CORRECTABLE_STATES,
    TRANSITIONS,
    RunState,
    RunTransition,
)
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError


def first_of_month(value: dt.date) -> dt.date:
    return value.replace(day=1)


def parse_month(text: str) -> dt.date:
    """'2026-10' → 2026-10-01; DomainError otherwise."""
    try:
        year, month = (int(part) for part in text.strip().split("-")[:2])
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise DomainError("bad_month", _("Give the month as YYYY-MM.")) from None


def do_save_indicator_set(*, form: Any, formset: Any, actor: Any) -> IndicatorSet:
    """Save a set and its indicators (validated Django form and inline formset) in one step."""
    with transaction.atomic():
        created = form.instance.pk is None
        indicator_set: IndicatorSet = form.save()
        formset.instance = indicator_set
        formset.save()
        record_audit(
            AuditAction.ASSESSMENT_SET_SAVED,
            actor=actor,
            target=indicator_set,
            node=indicator_set.node,
            details={
                "created": created,
                "name": indicator_set.name,
                "indicators": [i.config() for i in indicator_set.indicators.all()],
            },
        )
    return indicator_set


# Runs --------------------------------------------------------------------------------------------


def _indicators_of(indicator_set: IndicatorSet) -> list[dict[str, Any]]:
    """The set's indicators that apply to its subjects, as the configuration a run keeps."""
    rows = []
    for position, indicator in enumerate(indicator_set.indicators.order_by("position", "id")):
        definition = registry.REGISTRY.get(indicator.code)
        if definition is None or indicator_set.subject_kind not in definition.kinds:
            continue
        config = indicator.config()
        config["position"] = position
        rows.append(config)
    return rows


def _fill(run: AssessmentRun) -> dict[str, Any]:
    """Compute every subject's scores into a draft run (replacing what it had)."""
    start, end = registry.month_bounds(run.month)
    subjects = registry.subjects_for(run.node, run.subject_kind)
    ctx = registry.Context(run.node.path, run.subject_kind, start, end, tuple(subjects))
    config = _indicators_of(run.indicator_set)
    tallies = {c["code"]: registry.REGISTRY[c["code"]].compute(ctx) for c in config}

    rows: list[tuple[registry.Subject, list[tuple[dict[str, Any], registry.Tally, Any, Any, Any]]]] = []
    totals = []
    for subject in subjects:
        parts = []
        for c in config:
            definition = registry.REGISTRY[c["code"]]
            tally = tallies[c["code"]].get(subject.key) or registry.Tally(
                denominator_ids=[] if definition.is_rate else None
            )
            denominator = None if tally.denominator_ids is None else len(tally.denominator_ids)
            value = scoring.raw_value(len(tally.numerator_ids), denominator, is_rate=definition.is_rate)
            points = scoring.points_for(value, c, higher_is_better=definition.higher_is_better)
            parts.append(
                (c, tally, value, points, scoring.weighted(points, scoring.dec(c["weight"]) or scoring.ZERO))
            )
        rows.append((subject, parts))
        totals.append(scoring.total_of(p[4] for p in parts))
    ranks = scoring.competition_ranks(totals)

    SubjectResult.objects.filter(run=run).delete()
    field = {
        "grid": "subject_node_id",
        "community": "subject_node_id",
        "grid_worker": "subject_user_id",
        "department": "subject_department_id",
    }[run.subject_kind]
    results = SubjectResult.objects.bulk_create(
        [
            SubjectResult(
                run=run,
                subject_kind=run.subject_kind,
                label=subject.label[:150],
                path=subject.path,
                total=total,
                rank=rank,
                **{field: subject.key},
            )
            for (subject, _parts), total, rank in zip(rows, totals, ranks, strict=True)
        ]
    )
    scores = []
    traces = []
    for result, (_subject, parts) in zip(results, rows, strict=True):
        for c, tally, value, points, weighted_points in parts:
            scores.append(
                Score(
                    result=result,
                    code=c["code"],
                    position=c["position"],
                    weight=scoring.dec(c["weight"]) or scoring.ZERO,
                    numerator=len(tally.numerator_ids),
                    denominator=None if tally.denominator_ids is None else len(tally.denominator_ids),
                    raw_value=value,
                    points=points,
                    weighted_points=weighted_points,
                )
            )
            traces.append(tally)
    created = Score.objects.bulk_create(scores)
    Trace.objects.bulk_create(
        [
            Trace(
                score=score,
                source=registry.REGISTRY[score.code].source,
                numerator_ids=tally.numerator_ids,
                denominator_ids=tally.denominator_ids or [],
            )
            for score, tally in zip(created, traces, strict=True)
        ]
    )
    run.config = config
    return {"subjects": len(subjects), "indicators": len(config)}


def do_compute_run(*, indicator_set: IndicatorSet, month: dt.date, actor: Any) -> AssessmentRun:
    """Compute the month's draft (a new one, or the existing draft again). A published month is
    changed only through a correction."""
    month = first_of_month(month)
    if not indicator_set.valid_in(month):
        raise DomainError("set_not_valid", _("This indicator set does not apply to that month."))
    with transaction.atomic():
        runs = AssessmentRun.objects.select_for_update().filter(
            node=indicator_set.node, indicator_set=indicator_set, month=month
        )
        run = runs.filter(state=RunState.DRAFT).first()
        if run is None:
            if runs.filter(state=RunState.PUBLISHED).exists():
                raise DomainError(
                    "already_published", _("That month is published; correct it to change the results.")
                )
            run = AssessmentRun.objects.create(
                node=indicator_set.node,
                month=month,
                indicator_set=indicator_set,
                subject_kind=indicator_set.subject_kind,
                version=(runs.aggregate(v=Max("version"))["v"] or 0) + 1,
            )
        return _recompute(run, actor=actor)


def do_recompute_run(run: AssessmentRun, *, actor: Any) -> AssessmentRun:
    with transaction.atomic():
        locked = (
            AssessmentRun.objects.select_for_update().select_related("node", "indicator_set").get(pk=run.pk)
        )
        return _recompute(locked, actor=actor)


def _recompute(run: AssessmentRun, *, actor: Any) -> AssessmentRun:
    if run.state not in COMPUTABLE_STATES:
        raise DomainError("frozen", _("A published assessment cannot be recomputed; correct it instead."))
    figures = _fill(run)
    run.computed_at = timezone.now()
    run.computed_by = actor if getattr(actor, "pk", None) else None
    run.save(update_fields=["config", "computed_at", "computed_by"])
    record_audit(
        AuditAction.ASSESSMENT_COMPUTED,
        actor=actor,
        target=run,
        node=run.node,
        details={"month": f"{run.month:%Y-%m}", "version": run.version, **figures},
    )
    return run


def _transition(run: AssessmentRun, transition: RunTransition) -> None:
    sources, target = TRANSITIONS[transition]
    if run.state not in sources:
        raise DomainError("bad_state", _("Not possible in this state."), status=409)
    run.state = target


def do_publish_run(run: AssessmentRun, *, actor: Any, now: dt.datetime | None = None) -> AssessmentRun:
    """Freeze a draft. A correction that is published supersedes the version it corrects."""
    now = now or timezone.now()
    with transaction.atomic():
        run = AssessmentRun.objects.select_for_update().select_related("node", "indicator_set").get(pk=run.pk)
        if run.computed_at is None:
            raise DomainError("not_computed", _("Compute the assessment before publishing it."))
        _start, end = registry.month_bounds(run.month)
        if now < end:
            raise DomainError("month_not_over", _("A month can be published only after it is over."))
        old = None
        if run.supersedes_id:
            old = AssessmentRun.objects.select_for_update().get(pk=run.supersedes_id)
            _transition(old, RunTransition.SUPERSEDE)
            old.save(update_fields=["state"])
        _transition(run, RunTransition.PUBLISH)
        run.published_at = now
        run.published_by = actor if getattr(actor, "pk", None) else None
        # Saved while the stored row is still a draft: the freeze guard lets this one through.
        run.save(update_fields=["state", "published_at", "published_by"])
        record_audit(
            AuditAction.ASSESSMENT_PUBLISHED,
            actor=actor,
            target=run,
            node=run.node,
            details={
                "month": f"{run.month:%Y-%m}",
                "version": run.version,
                "supersedes": old.pk if old else None,
            },
        )
    return run


def do_correct_run(run: AssessmentRun, *, reason: str, actor: Any) -> AssessmentRun:
    """Start a new version of a published run, computed afresh; the published one stands until the
    correction is published."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("Say why the published results are corrected."))
    with transaction.atomic():
        run = AssessmentRun.objects.select_for_update().select_related("node", "indicator_set").get(pk=run.pk)
        if run.state not in CORRECTABLE_STATES:
            raise DomainError("bad_state", _("Only the published version can be corrected."), status=409)
        siblings = AssessmentRun.objects.filter(
            node=run.node, indicator_set=run.indicator_set, month=run.month
        )
        if siblings.filter(state=RunState.DRAFT).exists():
            raise DomainError(
                "draft_exists", _("A correction of this month is already being prepared."), status=409
            )
        correction = AssessmentRun.objects.create(
            node=run.node,
            month=run.month,
            indicator_set=run.indicator_set,
            subject_kind=run.subject_kind,
            version=(siblings.aggregate(v=Max("version"))["v"] or 0) + 1,
            supersedes=run,
            reason=reason[:2000],
        )
        record_audit(
            AuditAction.ASSESSMENT_CORRECTED,
            actor=actor,
            target=correction,
            node=run.node,
            details={
                "month": f"{run.month:%Y-%m}",
                "corrects": run.pk,
                "version": correction.version,
                "reason": reason[:2000],
            },
        )
        _recompute(correction, actor=actor)
    return correction
