"""Reads: how late a milestone is, counted in natural days from its due date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from zhili.participation.consultations import actions, selectors
from zhili.participation.consultations.models import Milestone, MilestoneStatus, Topic

DUE = date(2026, 9, 30)  # a Wednesday before the National Day holiday: holidays count as late days


def _milestone(**values):
    return Milestone(title="m", due_on=DUE, **values)


def test_a_milestone_finished_after_its_due_date_is_late_by_natural_days():
    done = _milestone(status=MilestoneStatus.DONE, percent=100, done_on=DUE + timedelta(days=8))
    view = selectors.milestone_view(done, today=DUE + timedelta(days=30))
    assert (view.finished_late, view.days_late) == (True, 8)
    assert (view.overdue, view.days_overdue) == (False, 0)


def test_an_open_milestone_past_its_due_date_is_overdue_until_today():
    for status in (MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS, MilestoneStatus.BLOCKED):
        view = selectors.milestone_view(_milestone(status=status), today=DUE + timedelta(days=3))
        assert (view.overdue, view.days_overdue) == (True, 3), status
        assert not view.finished_late


@pytest.mark.parametrize("done_on", [DUE - timedelta(days=2), DUE])
def test_done_by_the_due_day_is_not_late(done_on):
    view = selectors.milestone_view(
        _milestone(status=MilestoneStatus.DONE, percent=100, done_on=done_on), today=DUE + timedelta(days=9)
    )
    assert (view.overdue, view.finished_late, view.days_late) == (False, False, 0)


def test_open_on_its_due_day_is_not_yet_overdue():
    view = selectors.milestone_view(_milestone(status=MilestoneStatus.IN_PROGRESS), today=DUE)
    assert (view.overdue, view.days_overdue) == (False, 0)


def test_a_done_milestone_without_a_done_date_is_not_called_late():
    view = selectors.milestone_view(
        _milestone(status=MilestoneStatus.DONE, percent=100), today=DUE.replace(year=2030)
    )
    assert (view.overdue, view.finished_late) == (False, False)


@pytest.mark.django_db
def test_outcome_and_board_count_late_milestones(decided, staff, region, today):
    decision = decided.decision
    design = Milestone.objects.filter(decision=decision).order_by("due_on").first()
    # Design was due 30 days from now and is reported done 33 days from now: 3 days late.
    actions.do_update_milestone(design, percent=100, actor=staff, today=design.due_on + timedelta(days=3))
    actions.do_add_milestone(decision, title="公示", due_on=today - timedelta(days=2), actor=staff)

    views = selectors.outcome(decided.topic, today=today)
    late = {v.milestone.title: (v.days_overdue, v.days_late) for v in views[0].milestones}
    assert late == {"完成设计": (0, 3), "完成施工": (0, 0), "公示": (2, 0)}
    assert selectors.late_counts(views) == selectors.LateCounts(overdue=1, finished_late=1)

    board = selectors.board(region.c1, Topic.objects.filter(pk=decided.topic.pk), today=today)
    assert board.rows[0].late == selectors.LateCounts(overdue=1, finished_late=1)
    assert board.late == selectors.LateCounts(overdue=1, finished_late=1)


@pytest.mark.django_db
def test_nothing_is_counted_late_when_everything_is_on_time(decided, staff, today):
    design = Milestone.objects.filter(decision=decided.decision).order_by("due_on").first()
    actions.do_update_milestone(design, percent=100, actor=staff, today=design.due_on)
    views = selectors.outcome(decided.topic, today=today)
    assert selectors.late_counts(views) == selectors.LateCounts()
    assert not any(m.overdue or m.finished_late for m in views[0].milestones)
