"""Draft → published → superseded: recompute while draft, freeze on publish, corrections are new versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhili.analytics.assessment import actions
from zhili.analytics.assessment.models import AssessmentRun, FrozenError, Score, SubjectResult
from zhili.analytics.assessment.states import TRANSITIONS, RunState, RunTransition
from zhili.analytics.assessment.tests.conftest import AFTER_OCTOBER, IN_TIME_SIGN, OCTOBER, at, make_case
from zhili.audit.models import AuditAction, AuditEvent
from zhili.cases.states import CaseStatus as S
from zhili.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(region, example):
    return actions.do_compute_run(
        indicator_set=example.grid_set, month=OCTOBER, actor=region.user("supervisor")
    )


def total_of(run, grid):
    return run.results.get(subject_node=grid).total


def test_a_draft_is_recomputed_in_place_with_new_cases(region, example, run):
    assert total_of(run, region.grid_b) == Decimal("40.00")
    # A third October case of grid B, handled well, lifts B's on-time and satisfaction figures.
    make_case(region.grid_b, created=at(20), status=S.ACCEPTED, signed=at(20) + IN_TIME_SIGN)
    again = actions.do_compute_run(
        indicator_set=example.grid_set, month=OCTOBER, actor=region.user("supervisor")
    )
    assert again.pk == run.pk and again.version == 1
    assert again.results.get(subject_node=region.grid_b).scores.get(code="response_rate").denominator == 3
    assert (
        AuditEvent.objects.filter(action=AuditAction.ASSESSMENT_COMPUTED, target_id=str(run.pk)).count() == 2
    )


def test_a_month_is_published_only_after_it_is_over(region, run):
    with pytest.raises(DomainError) as err:
        actions.do_publish_run(run, actor=region.user("supervisor"), now=at(31, hour=12))
    assert err.value.code == "month_not_over"


def test_a_published_run_cannot_change(region, example, run):
    published = actions.do_publish_run(run, actor=region.user("supervisor"), now=AFTER_OCTOBER)
    assert published.state == RunState.PUBLISHED
    assert AuditEvent.objects.filter(action=AuditAction.ASSESSMENT_PUBLISHED, target_id=str(run.pk)).exists()
    before = list(Score.objects.filter(result__run=run).values_list("pk", "points"))
    make_case(region.grid_b, created=at(20), status=S.ACCEPTED, signed=at(20) + IN_TIME_SIGN)

    with pytest.raises(DomainError) as err:
        actions.do_recompute_run(published, actor=region.user("supervisor"))
    assert err.value.code == "frozen"
    with pytest.raises(DomainError) as err:
        actions.do_compute_run(indicator_set=example.grid_set, month=OCTOBER, actor=region.user("supervisor"))
    assert err.value.code == "already_published"
    with pytest.raises(DomainError):
        actions.do_publish_run(published, actor=region.user("supervisor"), now=AFTER_OCTOBER)
    # Below the actions, save() and delete() refuse too.
    published.reason = "edited"
    with pytest.raises(FrozenError):
        published.save()
    with pytest.raises(FrozenError):
        published.delete()
    result = SubjectResult.objects.filter(run=published).first()
    result.total = Decimal("99")
    with pytest.raises(FrozenError):
        result.save()
    score = Score.objects.filter(result__run=published).first()
    score.points = Decimal("1")
    with pytest.raises(FrozenError):
        score.save()
    assert list(Score.objects.filter(result__run=run).values_list("pk", "points")) == before


def test_a_correction_is_version_two_with_a_reason_and_an_audit_row(region, example, run):
    sup = region.user("supervisor")
    v1 = actions.do_publish_run(run, actor=sup, now=AFTER_OCTOBER)
    with pytest.raises(DomainError) as err:
        actions.do_correct_run(v1, reason="  ", actor=sup)
    assert err.value.code == "reason_required"
    # A case was wrongly left out: it is added, and the month is corrected.
    make_case(region.grid_b, created=at(20), status=S.ACCEPTED, signed=at(20) + IN_TIME_SIGN)
    v2 = actions.do_correct_run(v1, reason="漏报一件", actor=sup)
    assert (v2.version, v2.state, v2.supersedes_id, v2.reason) == (2, RunState.DRAFT, v1.pk, "漏报一件")
    audit = AuditEvent.objects.get(action=AuditAction.ASSESSMENT_CORRECTED)
    assert audit.target_id == str(v2.pk)
    assert audit.details["corrects"] == v1.pk and audit.details["reason"] == "漏报一件"
    assert v2.results.get(subject_node=region.grid_b).scores.get(code="response_rate").denominator == 3
    # Until the correction is published, version 1 is the published one and keeps its figures.
    v1.refresh_from_db()
    assert v1.state == RunState.PUBLISHED
    assert v1.results.get(subject_node=region.grid_b).scores.get(code="response_rate").denominator == 2
    with pytest.raises(DomainError) as err:
        actions.do_correct_run(v1, reason="again", actor=sup)
    assert err.value.code == "draft_exists"

    actions.do_publish_run(v2, actor=sup, now=AFTER_OCTOBER)
    v1.refresh_from_db()
    assert v1.state == RunState.SUPERSEDED
    assert AssessmentRun.objects.filter(month=OCTOBER, state=RunState.PUBLISHED).get().pk == v2.pk
    with pytest.raises(DomainError):
        actions.do_correct_run(v1, reason="the superseded one", actor=sup)


def test_the_transition_table_is_what_the_actions_do(region, example, run):
    assert TRANSITIONS[RunTransition.PUBLISH] == (frozenset({RunState.DRAFT}), RunState.PUBLISHED)
    assert TRANSITIONS[RunTransition.SUPERSEDE] == (frozenset({RunState.PUBLISHED}), RunState.SUPERSEDED)
    sup = region.user("supervisor")
    assert (
        actions.do_publish_run(run, actor=sup, now=AFTER_OCTOBER).state
        == TRANSITIONS[RunTransition.PUBLISH][1]
    )
    v2 = actions.do_correct_run(run, reason="r", actor=sup)
    actions.do_publish_run(v2, actor=sup, now=AFTER_OCTOBER)
    run.refresh_from_db()
    assert run.state == TRANSITIONS[RunTransition.SUPERSEDE][1]


def test_a_later_edit_of_the_set_leaves_a_published_run_as_it_was(region, example, run):
    sup = region.user("supervisor")
    actions.do_publish_run(run, actor=sup, now=AFTER_OCTOBER)
    example.grid_set.indicators.filter(code="response_rate").update(weight=Decimal("50"))
    run.refresh_from_db()
    assert next(c for c in run.config if c["code"] == "response_rate")["weight"] == "20.00"


def test_a_set_applies_only_within_its_period(region, example):
    example.grid_set.valid_to = dt.date(2026, 9, 1)
    example.grid_set.save()
    with pytest.raises(DomainError) as err:
        actions.do_compute_run(indicator_set=example.grid_set, month=OCTOBER, actor=None)
    assert err.value.code == "set_not_valid"
