"""REST endpoints of consultations, mounted under /api/v1/consultations/.

The same policies and actions as the pages: topics the caller may see (staff scope or the
resident's own path), hidden contributions as placeholders with their reason, and supports given
or withdrawn by verified residents of the topic's area.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from zhili.core.errors import NotFound
from zhili.participation.consultations import actions, policies, selectors
from zhili.participation.consultations.models import Proposal, Topic

router = Router(tags=["consultations"])


class TopicRow(Schema):
    id: int
    title: str
    state: str
    state_label: str
    node: str
    opens_on: date | None
    closes_on: date | None
    proposals: int


class ProposalOut(Schema):
    id: int
    hidden: bool
    hidden_reason: str | None = None
    title: str | None = None
    body: str | None = None
    supports: int
    supported_by_me: bool | None = None


class CommentOut(Schema):
    id: int
    hidden: bool
    hidden_reason: str | None = None
    body: str | None = None
    proposal: int | None = None
    created_at: datetime


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: date
    percent: int
    status: str
    done_on: date | None = None
    days_overdue: int  # still open after its due date (natural days); 0 otherwise
    days_late: int  # finished after its due date (natural days); 0 otherwise


class DecisionOut(Schema):
    id: int
    text: str
    responsible_unit: str
    responsible_person: str
    due_on: date
    percent: int
    overdue: bool
    milestones: list[MilestoneOut]


class DocumentOut(Schema):
    id: int
    title: str
    content_type: str
    size: int
    url: str


class TopicOut(Schema):
    id: int
    title: str
    body: str
    state: str
    state_label: str
    node: str
    opens_on: date | None
    closes_on: date | None
    can_take_part: bool
    following: bool
    documents: list[DocumentOut]
    proposals: list[ProposalOut]
    comments: list[CommentOut]
    decisions: list[DecisionOut]
    percent: int


class SupportIn(Schema):
    supported: bool = True


class SupportOut(Schema):
    proposal: int
    supported: bool
    supports: int


def _row(topic: Any) -> dict[str, Any]:
    return {
        "id": topic.pk,
        "title": topic.title,
        "state": topic.state,
        "state_label": str(topic.get_state_display()),
        "node": topic.node.name,
        "opens_on": topic.opens_on,
        "closes_on": topic.closes_on,
        "proposals": topic.proposal_count,
    }


@router.get("/topics", response=list[TopicRow], url_name="consultations_topics")
def list_topics(request: HttpRequest, state: str = "") -> Any:
    topics = selectors.topics_with_counts(
        selectors.state_filter(policies.visible_topics(request.user), state)
    )
    return [_row(topic) for topic in topics[:200]]


@router.get("/topics/{topic_id}", response=TopicOut, exclude_none=True, url_name="consultations_topic")
def read_topic(request: HttpRequest, topic_id: int) -> Any:
    from django.urls import reverse

    topic: Topic = policies.get_topic_for_user(request.user, topic_id)
    person = policies.participant(request.user, topic)
    decisions = selectors.outcome(topic)
    proposals = []
    for p in selectors.proposals(topic, person_id=person.pk if person else None):
        shown: dict[str, Any] = {"id": p.pk, "hidden": p.is_hidden, "supports": p.support_count}  # type: ignore[attr-defined]
        if p.is_hidden:
            shown["hidden_reason"] = str(p.get_hidden_reason_display())
        else:
            shown.update(title=p.title, body=p.body)
        if person is not None:
            shown["supported_by_me"] = bool(getattr(p, "supported", False))
        proposals.append(shown)
    comments = []
    for c in selectors.comments(topic):
        row: dict[str, Any] = {
            "id": c.pk,
            "hidden": c.is_hidden,
            "proposal": c.proposal_id,
            "created_at": c.created_at,
        }
        if c.is_hidden:
            row["hidden_reason"] = str(c.get_hidden_reason_display())
        else:
            row["body"] = c.body
        comments.append(row)
    return {
        "id": topic.pk,
        "title": topic.title,
        "body": topic.body,
        "state": topic.state,
        "state_label": str(topic.get_state_display()),
        "node": topic.node.name,
        "opens_on": topic.opens_on,
        "closes_on": topic.closes_on,
        "can_take_part": person is not None,
        "following": topic.follows.filter(user_id=int(request.user.pk or 0)).exists(),
        "documents": [
            {
                "id": d.pk,
                "title": d.title,
                "content_type": d.content_type,
                "size": d.size,
                "url": reverse("consultations:document", args=[topic.pk, d.pk]),
            }
            for d in topic.documents.all()
        ],
        "proposals": proposals,
        "comments": comments,
        "decisions": [
            {
                "id": v.decision.pk,
                "text": v.decision.text,
                "responsible_unit": v.decision.responsible_unit,
                "responsible_person": v.decision.responsible_person,
                "due_on": v.decision.due_on,
                "percent": v.percent,
                "overdue": v.overdue,
                "milestones": [
                    {
                        "id": m.milestone.pk,
                        "title": m.milestone.title,
                        "due_on": m.milestone.due_on,
                        "percent": m.milestone.percent,
                        "status": m.milestone.status,
                        "done_on": m.milestone.done_on,
                        "days_overdue": m.days_overdue,
                        "days_late": m.days_late,
                    }
                    for m in v.milestones
                ],
            }
            for v in decisions
        ],
        "percent": selectors.topic_percent(decisions),
    }


@router.post(
    "/topics/{topic_id}/proposals/{proposal_id}/support",
    response=SupportOut,
    url_name="consultations_support",
)
def support(request: HttpRequest, topic_id: int, proposal_id: int, payload: SupportIn) -> Any:
    topic = policies.get_topic_for_user(request.user, topic_id)
    proposal = Proposal.objects.filter(topic=topic, pk=proposal_id).first()
    if proposal is None:
        raise NotFound()
    supported = actions.do_set_support(proposal, supported=payload.supported, actor=request.user)
    return {"proposal": proposal.pk, "supported": supported, "supports": proposal.supports.count()}
