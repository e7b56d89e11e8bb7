"""Reads of consultations: lists, a topic's contributions, its outcome and the accountability board."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.participation.consultations.models import (
    AttendeeRole,
    Comment,
    Decision,
    Meeting,
    Milestone,
    MilestoneStatus,
    OutcomeChange,
    Proposal,
    Support,
    Topic,
)
from zhili.participation.consultations.states import TopicState
from zhili.territory.models import Node


def topics_with_counts(topics: QuerySet[Topic]) -> QuerySet[Topic]:
    return (
        topics.select_related("node")
        .annotate(
            proposal_count=Count("proposals", distinct=True),
            follower_count=Count("follows", distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def proposals(topic: Topic, *, person_id: int | None = None) -> list[Proposal]:
    """Visible proposals by support (most first), hidden ones after them as placeholders."""
    qs = (
        Proposal.objects.filter(topic=topic)
        .select_related("hidden_by")
        .annotate(support_count=Count("supports"))
    )
    if person_id is not None:
        qs = qs.annotate(
            supported=Exists(Support.objects.filter(proposal=OuterRef("pk"), person_id=person_id))
        )
    rows: list[Proposal] = list(qs)
    rows.sort(key=lambda p: (p.is_hidden, -p.support_count, p.pk))  # type: ignore[attr-defined]
    return rows


def comments(topic: Topic) -> list[Comment]:
    return list(Comment.objects.filter(topic=topic).select_related("proposal", "hidden_by").order_by("id"))


@dataclass
class MeetingView:
    meeting: Meeting
    attendees: list[Any]
    present: int
    by_role: list[tuple[str, int]]


def meetings(topic: Topic) -> list[MeetingView]:
    rows = []
    for meeting in (
        Meeting.objects.filter(topic=topic).prefetch_related("attendees").order_by("held_at", "id")
    ):
        attendees = list(meeting.attendees.all())
        by_role = [
            (str(label), sum(1 for a in attendees if a.role == value))
            for value, label in AttendeeRole.choices
        ]
        rows.append(MeetingView(meeting, attendees, len(attendees), by_role))
    return rows


@dataclass
class LateCounts:
    """How many milestones are overdue (open after their due date) and how many finished late."""

    overdue: int = 0
    finished_late: int = 0

    def __add__(self, other: LateCounts) -> LateCounts:
        return LateCounts(self.overdue + other.overdue, self.finished_late + other.finished_late)


@dataclass
class MilestoneView:
    """A milestone and how late it is, in natural days.

    ``Milestone.due_on`` is a plain calendar date that staff pick (no working-day clock, unlike a
    case's SLA): the due day itself is on time and every day after it counts, weekends and holidays
    included, the same rule as a decision's ``due_on``.
    """

    milestone: Milestone
    days_overdue: int = 0  # still open after its due date: days since then
    days_late: int = 0  # finished after its due date: by how many days

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0

    @property
    def finished_late(self) -> bool:
        return self.days_late > 0


def milestone_view(milestone: Milestone, today: date) -> MilestoneView:
    if milestone.status == MilestoneStatus.DONE:
        # done_on is set by the action whenever a milestone becomes done; without it there is
        # nothing to measure, and guessing "today" would call an old milestone late.
        if milestone.done_on is None:
            return MilestoneView(milestone)
        return MilestoneView(milestone, days_late=max(0, (milestone.done_on - milestone.due_on).days))
    return MilestoneView(milestone, days_overdue=max(0, (today - milestone.due_on).days))


@dataclass
class DecisionView:
    decision: Decision
    milestones: list[MilestoneView]
    percent: int
    overdue: bool
    late: LateCounts = field(default_factory=LateCounts)


def decision_percent(milestones: list[Milestone]) -> int:
    """The mean of the milestones' percentages (0 without milestones), rounded down."""
    if not milestones:
        return 0
    return sum(m.percent for m in milestones) // len(milestones)


def _decision_view(decision: Decision, today: date) -> DecisionView:
    milestones = list(decision.milestones.all())
    percent = decision_percent(milestones)
    views = [milestone_view(m, today) for m in milestones]
    return DecisionView(
        decision,
        views,
        percent,
        percent < 100 and decision.due_on < today,
        LateCounts(
            overdue=sum(1 for v in views if v.overdue),
            finished_late=sum(1 for v in views if v.finished_late),
        ),
    )


def outcome(topic: Topic, today: date | None = None) -> list[DecisionView]:
    today = today or timezone.localdate()
    decisions = (
        Decision.objects.filter(topic=topic)
        .select_related("meeting")
        .prefetch_related(Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "id")))
        .order_by("id")
    )
    return [_decision_view(d, today) for d in decisions]


def topic_percent(views: list[DecisionView]) -> int:
    if not views:
        return 0
    return sum(v.percent for v in views) // len(views)


def late_counts(views: list[DecisionView]) -> LateCounts:
    return sum((v.late for v in views), LateCounts())


FIELD_LABELS = {
    "created": lambda: _("Created"),
    "text": lambda: _("Decision"),
    "responsible_unit": lambda: _("Responsible unit"),
    "responsible_person": lambda: _("Responsible person"),
    "due_on": lambda: _("Due on"),
    "meeting": lambda: _("Meeting"),
    "title": lambda: _("Title"),
    "percent": lambda: _("Percent done"),
    "status": lambda: _("Status"),
}


@dataclass
class ChangeView:
    change: OutcomeChange
    what: str  # the decision or milestone it concerns
    field: str
    old: str
    new: str
    by: str


def _shown(field_name: str, value: str, meetings: dict[str, str] | None = None) -> str:
    if field_name == "meeting" and meetings is not None:
        return meetings.get(value, value)
    if field_name == "status" and value in MilestoneStatus.values:
        return str(MilestoneStatus(value).label)
    if field_name == "percent" and value != "":
        return f"{value}%"
    return value


def history(topic: Topic) -> list[ChangeView]:
    """Every change to the topic's decisions and milestones, newest first."""
    rows = []
    changes = (
        OutcomeChange.objects.filter(topic=topic)
        .select_related("decision", "milestone", "changed_by")
        .order_by("-changed_at", "-id")
    )
    meetings = {
        str(m.pk): f"{timezone.localtime(m.held_at):%Y-%m-%d} {m.place}"
        for m in Meeting.objects.filter(topic=topic)
    }
    for change in changes:
        what = (
            change.milestone.title
            if change.milestone
            else _("Decision: %(text)s") % {"text": change.decision.text[:40]}
        )
        label = FIELD_LABELS.get(change.field)
        by = ""
        if change.changed_by is not None:
            by = change.changed_by.display_name or change.changed_by.username
        rows.append(
            ChangeView(
                change,
                what,
                str(label()) if label else change.field,
                _shown(change.field, change.old_value, meetings),
                _shown(change.field, change.new_value, meetings),
                by,
            )
        )
    return rows


@dataclass
class BoardRow:
    topic: Topic
    decision: Decision
    percent: int
    overdue: bool
    milestones_done: int
    milestones: int
    late: LateCounts = field(default_factory=LateCounts)


@dataclass
class Board:
    node: Node
    rows: list[BoardRow] = field(default_factory=list)

    @property
    def average(self) -> int:
        return sum(r.percent for r in self.rows) // len(self.rows) if self.rows else 0

    @property
    def late(self) -> LateCounts:
        return sum((r.late for r in self.rows), LateCounts())


def board(node: Node, topics: QuerySet[Topic], today: date | None = None) -> Board:
    """All decisions of the given topics (already scoped by policies) in two queries."""
    today = today or timezone.localdate()
    decisions = (
        Decision.objects.filter(topic__in=topics)
        .select_related("topic__node")
        .prefetch_related("milestones")
        .order_by("topic__node__sort_key", "topic_id", "id")
    )
    result = Board(node)
    for decision in decisions:
        view = _decision_view(decision, today)
        done = sum(1 for m in view.milestones if m.milestone.status == MilestoneStatus.DONE)
        percent = (
            100 if decision.topic.state == TopicState.COMPLETED and not view.milestones else view.percent
        )
        result.rows.append(
            BoardRow(
                decision.topic,
                decision,
                percent,
                view.overdue,
                done,
                len(view.milestones),
                view.late,
            )
        )
    return result


def staff_queue_counts(topic: Topic) -> dict[str, int]:
    return {
        "proposals": Proposal.objects.filter(topic=topic).count(),
        "hidden": Proposal.objects.filter(topic=topic).exclude(hidden_reason="").count()
        + Comment.objects.filter(topic=topic).exclude(hidden_reason="").count(),
        "comments": Comment.objects.filter(topic=topic).count(),
        "supports": Support.objects.filter(proposal__topic=topic).count(),
        "followers": topic.follows.count(),
    }


def state_filter(qs: QuerySet[Topic], state: str) -> QuerySet[Topic]:
    if state in TopicState.values:
        return qs.filter(state=state)
    if state == "open":
        return qs.filter(Q(state=TopicState.CONSULTING) | Q(state=TopicState.DELIBERATING))
    return qs
