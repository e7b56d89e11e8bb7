"""Every write of a consultation: one function, one transaction, one audit row each.

Scope (which topics a user may run or see) is checked by the pages and the API through
``policies``; the actions check the rules of the topic itself (its state, the period, who may take
part) and refuse with a ``DomainError`` naming a stable code. Changes to decisions and milestones
also write ``OutcomeChange`` rows (old → new), and followers are told through the outbox in the
same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.accounts.models import User
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError
from zhili.participation.consultations import documents, notifications, policies
from zhili.participation.consultations.models import (
    Attendee,
    AttendeeRole,
    Comment,
    Decision,
    Document,
    Follow,
    HideReason,
    Meeting,
    Milestone,
    MilestoneStatus,
    OutcomeChange,
    Proposal,
    Support,
    Topic,
)
from zhili.participation.consultations.states import (
    COMMENTING,
    DECISION_STATES,
    EDITABLE,
    MEETING_STATES,
    MILESTONE_STATES,
    PROPOSING,
    TRANSITIONS,
    TopicState,
    Transition,
)
from zhili.territory.models import Node, NodeKind

MAX_TITLE = 120
MAX_BODY = 5000
MAX_ATTENDEES = 200


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def _locked(topic: Topic | int) -> Topic:
    pk = topic.pk if isinstance(topic, Topic) else topic
    return Topic.objects.select_for_update(of=("self",)).select_related("node").get(pk=pk)


def _require_state(topic: Topic, allowed: frozenset[str]) -> None:
    if topic.state not in allowed:
        raise DomainError(
            "wrong_state",
            _("This cannot be done while the topic is “%(state)s”.") % {"state": topic.get_state_display()},
            status=409,
        )


def _text(value: Any, *, code: str, message: str, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise DomainError(code, message)
    if len(text) > limit:
        raise DomainError(
            "too_long", _("At most %(limit)s characters, please.") % {"limit": limit}, status=422
        )
    if "\x00" in text:
        raise DomainError("bad_text", _("The text contains characters that cannot be stored."))
    return text


def _check_period(opens_on: date | None, closes_on: date | None) -> None:
    if opens_on and closes_on and closes_on < opens_on:
        raise DomainError("bad_period", _("The consultation cannot close before it opens."))


# ---------------------------------------------------------------------------------------------
# Topics and documents


def do_create_topic(
    *,
    node: Node,
    title: str,
    body: str,
    opens_on: date | None = None,
    closes_on: date | None = None,
    actor: Any,
) -> Topic:
    if node.kind not in (NodeKind.STREET, NodeKind.COMMUNITY, NodeKind.GRID):
        raise DomainError("bad_node", _("A topic concerns a street, a community or a grid."))
    title = _text(title, code="title_required", message=_("The topic needs a title."), limit=MAX_TITLE)
    body = _text(body, code="body_required", message=_("Describe the topic."), limit=MAX_BODY * 4)
    _check_period(opens_on, closes_on)
    with transaction.atomic():
        topic = Topic.objects.create(
            node=node,
            title=title,
            body=body,
            opens_on=opens_on,
            closes_on=closes_on,
            created_by=_user(actor),
        )
        record_audit(
            AuditAction.CONSULTATION_CREATED,
            actor=actor,
            target=topic,
            node=node,
            details={"title": title, "opens_on": opens_on, "closes_on": closes_on},
        )
    return topic


TOPIC_FIELDS = ("title", "body", "opens_on", "closes_on")


def do_update_topic(topic: Topic | int, *, actor: Any, **values: Any) -> Topic:
    unknown = set(values) - set(TOPIC_FIELDS)
    if unknown:
        raise DomainError("unknown_field", f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        topic = _locked(topic)
        _require_state(topic, EDITABLE)
        if "title" in values:
            values["title"] = _text(
                values["title"], code="title_required", message=_("The topic needs a title."), limit=MAX_TITLE
            )
        if "body" in values:
            values["body"] = _text(
                values["body"], code="body_required", message=_("Describe the topic."), limit=MAX_BODY * 4
            )
        before = {name: getattr(topic, name) for name in values}
        for name, value in values.items():
            setattr(topic, name, value)
        _check_period(topic.opens_on, topic.closes_on)
        if topic.state == TopicState.CONSULTING and (topic.opens_on is None or topic.closes_on is None):
            raise DomainError("period_required", _("A running consultation needs its period."))
        changed = [name for name in values if before[name] != values[name]]
        if changed:
            topic.save(update_fields=changed)
            record_audit(
                AuditAction.CONSULTATION_CHANGED,
                actor=actor,
                target=topic,
                node=topic.node,
                details={"changed": {n: [before[n], values[n]] for n in changed if n != "body"}},
            )
    return topic


def do_add_document(topic: Topic | int, *, title: str, name: str, data: bytes, actor: Any) -> Document:
    clean = documents.clean_document(name, data)
    title = _text(
        title or name, code="title_required", message=_("The document needs a title."), limit=MAX_TITLE
    )
    with transaction.atomic():
        topic = _locked(topic)
        _require_state(topic, EDITABLE)
        if topic.documents.count() >= documents.MAX_DOCUMENTS:
            raise DomainError(
                "too_many_documents",
                _("A topic has at most %(n)s documents.") % {"n": documents.MAX_DOCUMENTS},
                status=422,
            )
        document = Document(
            topic=topic,
            title=title,
            token=secrets.token_hex(16),
            extension=clean.extension,
            content_type=clean.content_type,
            size=len(clean.data),
            uploaded_by=_user(actor),
        )
        document.file.save("upload", ContentFile(clean.data), save=False)
        document.save()
        record_audit(
            AuditAction.CONSULTATION_CHANGED,
            actor=actor,
            target=topic,
            node=topic.node,
            details={
                "document_added": document.pk,
                "title": title,
                "content_type": clean.content_type,
                "size": document.size,
            },
        )
    return document


def do_remove_document(document: Document, *, actor: Any) -> None:
    with transaction.atomic():
        topic = _locked(document.topic_id)
        _require_state(topic, EDITABLE)
        name = document.file.name
        record_audit(
            AuditAction.CONSULTATION_CHANGED,
            actor=actor,
            target=topic,
            node=topic.node,
            details={"document_removed": document.pk, "title": document.title},
        )
        document.delete()
        storage = document.file.storage
        transaction.on_commit(lambda: storage.delete(name))


def do_transition_topic(
    topic: Topic | int,
    transition: str,
    *,
    actor: Any,
    reason: str = "",
    today: date | None = None,
) -> Topic:
    """The one way a topic changes state; guards per transition, followers told on commit."""
    if transition not in TRANSITIONS:
        raise DomainError("unknown_transition", _("Unknown step."), status=404)
    sources, target = TRANSITIONS[transition]
    with transaction.atomic():
        topic = _locked(topic)
        if topic.state not in sources:
            _require_state(topic, sources)
        details: dict[str, Any] = {"transition": str(transition), "from": topic.state, "to": target}
        if transition == Transition.OPEN:
            if topic.opens_on is None or topic.closes_on is None:
                raise DomainError("period_required", _("Set the consultation period first."))
            if topic.closes_on < _today(today):
                raise DomainError("period_over", _("The consultation period is already over."))
        elif transition == Transition.DECIDE:
            if not topic.decisions.exists():
                raise DomainError("decision_required", _("Record the decision first."))
        elif transition == Transition.START:
            if not Milestone.objects.filter(decision__topic=topic).exists():
                raise DomainError("milestones_required", _("Plan at least one milestone first."))
        elif transition == Transition.COMPLETE:
            if Milestone.objects.filter(decision__topic=topic).exclude(status=MilestoneStatus.DONE).exists():
                raise DomainError("milestones_open", _("Every milestone must be done first."))
        elif transition == Transition.WITHDRAW:
            reason = str(reason or "").strip()[:300]
            if not reason:
                raise DomainError("reason_required", _("Say why the topic is withdrawn."))
            topic.withdrawn_reason = reason
            details["reason"] = reason
        topic.state = target
        topic.state_changed_at = timezone.now()
        topic.save(update_fields=["state", "state_changed_at", "withdrawn_reason"])
        record_audit(
            AuditAction.CONSULTATION_TRANSITION, actor=actor, target=topic, node=topic.node, details=details
        )
        notifications.state_changed(topic, target, actor=actor)
    return topic


# ---------------------------------------------------------------------------------------------
# Residents: proposals, comments, supports, follows


def _require_open_period(topic: Topic, today: date) -> None:
    _require_state(topic, PROPOSING)
    if topic.opens_on and today < topic.opens_on:
        raise DomainError("not_yet_open", _("The consultation has not opened yet."), status=409)
    if topic.closes_on and today > topic.closes_on:
        raise DomainError("period_over", _("The consultation period is over."), status=409)


def do_submit_proposal(
    topic: Topic | int, *, title: str, body: str, actor: Any, today: date | None = None
) -> Proposal:
    title = _text(title, code="title_required", message=_("Give your proposal a title."), limit=MAX_TITLE)
    body = _text(body, code="body_required", message=_("Describe your proposal."), limit=MAX_BODY)
    with transaction.atomic():
        topic = _locked(topic)
        _require_open_period(topic, _today(today))
        person = policies.require_participant(actor, topic, today)
        proposal = Proposal.objects.create(topic=topic, author=actor, person=person, title=title, body=body)
        record_audit(
            AuditAction.CONSULTATION_POSTED,
            actor=actor,
            target=proposal,
            node=topic.node,
            details={"topic": topic.pk, "kind": "proposal"},
        )
    return proposal


def do_submit_comment(
    topic: Topic | int,
    *,
    body: str,
    actor: Any,
    proposal: Proposal | None = None,
    today: date | None = None,
) -> Comment:
    body = _text(body, code="body_required", message=_("Write your comment."), limit=MAX_BODY)
    with transaction.atomic():
        topic = _locked(topic)
        _require_state(topic, COMMENTING)
        if proposal is not None and (proposal.topic_id != topic.pk or proposal.is_hidden):
            raise DomainError("bad_proposal", _("That proposal cannot be commented on."), status=404)
        person = policies.require_participant(actor, topic, today)
        comment = Comment.objects.create(
            topic=topic, proposal=proposal, author=actor, person=person, body=body
        )
        record_audit(
            AuditAction.CONSULTATION_POSTED,
            actor=actor,
            target=comment,
            node=topic.node,
            details={"topic": topic.pk, "kind": "comment", "proposal": proposal.pk if proposal else None},
        )
    return comment


def do_set_support(
    proposal: Proposal | int, *, supported: bool, actor: Any, today: date | None = None
) -> bool:
    """Give or withdraw the resident's support; returns whether they support it afterwards.

    Idempotent: asking for the state one is already in changes nothing and writes no audit row.
    Two concurrent "support" requests of one resident meet at the unique constraint; the loser
    finds the winner's row and reports it as supported.
    """
    pk = proposal.pk if isinstance(proposal, Proposal) else proposal
    with transaction.atomic():
        try:
            proposal = Proposal.objects.select_related("topic__node").get(pk=pk)
        except Proposal.DoesNotExist:
            raise DomainError("not_found", _("Not found."), status=404) from None
        topic = proposal.topic
        _require_open_period(topic, _today(today))
        person = policies.require_participant(actor, topic, today)
        if proposal.is_hidden:
            raise DomainError("proposal_hidden", _("A hidden proposal cannot be supported."), status=409)
        existing = Support.objects.filter(proposal=proposal, person=person)
        if supported:
            if existing.exists():
                return True
            try:
                with transaction.atomic():
                    Support.objects.create(proposal=proposal, person=person, user=actor)
            except IntegrityError:
                return True  # a concurrent request of the same resident won
        else:
            deleted, _rows = existing.delete()
            if not deleted:
                return False
        record_audit(
            AuditAction.CONSULTATION_SUPPORT,
            actor=actor,
            target=proposal,
            node=topic.node,
            details={"topic": topic.pk, "supported": supported},
        )
    return supported


def do_set_follow(topic: Topic, *, following: bool, actor: Any) -> bool:
    """Follow or unfollow a topic the caller can see (policies decided that); idempotent."""
    with transaction.atomic():
        existing = Follow.objects.filter(topic=topic, user=actor)
        if following:
            if existing.exists():
                return True
            try:
                with transaction.atomic():
                    Follow.objects.create(topic=topic, user=actor)
            except IntegrityError:
                return True
        else:
            deleted, _rows = existing.delete()
            if not deleted:
                return False
        record_audit(
            AuditAction.CONSULTATION_FOLLOW,
            actor=actor,
            target=topic,
            node=topic.node,
            details={"following": following},
        )
    return following


# ---------------------------------------------------------------------------------------------
# Moderation


def _moderated(kind: str, pk: Any) -> Proposal | Comment:
    model: type[Proposal] | type[Comment] = Proposal if kind == "proposal" else Comment
    if kind not in ("proposal", "comment"):
        raise DomainError("not_found", _("Not found."), status=404)
    try:
        return model.objects.select_for_update(of=("self",)).select_related("topic__node").get(pk=pk)
    except (Proposal.DoesNotExist, Comment.DoesNotExist, ValueError, TypeError):
        raise DomainError("not_found", _("Not found."), status=404) from None


def do_hide_item(item: Proposal | Comment, *, reason: str, note: str = "", actor: Any) -> Proposal | Comment:
    """Hide a proposal or comment; it stays listed as "hidden: reason" for everyone."""
    if reason not in HideReason.values:
        raise DomainError("bad_reason", _("Choose a reason from the list."))
    kind = "proposal" if isinstance(item, Proposal) else "comment"
    with transaction.atomic():
        item = _moderated(kind, item.pk)
        if item.is_hidden:
            raise DomainError("already_hidden", _("This is already hidden."), status=409)
        item.hidden_reason = reason
        item.hidden_note = str(note or "").strip()[:300]
        item.hidden_by = _user(actor)
        item.hidden_at = timezone.now()
        item.save(update_fields=["hidden_reason", "hidden_note", "hidden_by", "hidden_at"])
        record_audit(
            AuditAction.CONSULTATION_MODERATED,
            actor=actor,
            target=item,
            node=item.topic.node,
            details={
                "topic": item.topic_id,
                "kind": kind,
                "hidden": True,
                "reason": reason,
                "note": item.hidden_note,
            },
        )
    return item


def do_restore_item(item: Proposal | Comment, *, actor: Any) -> Proposal | Comment:
    kind = "proposal" if isinstance(item, Proposal) else "comment"
    with transaction.atomic():
        item = _moderated(kind, item.pk)
        if not item.is_hidden:
            raise DomainError("not_hidden", _("This is not hidden."), status=409)
        reason = item.hidden_reason
        item.hidden_reason = ""
        item.hidden_note = ""
        item.hidden_by = None
        item.hidden_at = None
        item.save(update_fields=["hidden_reason", "hidden_note", "hidden_by", "hidden_at"])
        record_audit(
            AuditAction.CONSULTATION_MODERATED,
            actor=actor,
            target=item,
            node=item.topic.node,
            details={"topic": item.topic_id, "kind": kind, "hidden": False, "was": reason},
        )
    return item


# ---------------------------------------------------------------------------------------------
# The council meeting


def do_record_meeting(
    topic: Topic | int,
    *,
    held_at: datetime,
    place: str,
    agenda: str,
    minutes: str,
    expected_count: int,
    attendees: Sequence[tuple[str, str, str]],
    actor: Any,
) -> Meeting:
    """``attendees``: (name, role, organisation) of everyone present."""
    place = _text(place, code="place_required", message=_("Where was the meeting held?"), limit=120)
    agenda = _text(agenda, code="agenda_required", message=_("Write the agenda."), limit=MAX_BODY)
    minutes = _text(minutes, code="minutes_required", message=_("Write the minutes."), limit=MAX_BODY * 4)
    rows = []
    for name, role, organisation in attendees:
        name = str(name or "").strip()
        if not name:
            continue
        if role not in AttendeeRole.values:
            raise DomainError("bad_role", _("Unknown participant role."))
        rows.append((name[:50], role, str(organisation or "").strip()[:100]))
    if not rows:
        raise DomainError("attendees_required", _("List who attended."))
    if len(rows) > MAX_ATTENDEES:
        raise DomainError("too_many_attendees", _("Too many participants."), status=422)
    if expected_count < len(rows):
        raise DomainError(
            "bad_expected_count", _("More participants attended than were expected; check the numbers.")
        )
    with transaction.atomic():
        topic = _locked(topic)
        _require_state(topic, MEETING_STATES)
        meeting = Meeting.objects.create(
            topic=topic,
            held_at=held_at,
            place=place,
            agenda=agenda,
            minutes=minutes,
            expected_count=expected_count,
            recorded_by=_user(actor),
        )
        Attendee.objects.bulk_create(
            [Attendee(meeting=meeting, name=n, role=r, organisation=o) for n, r, o in rows]
        )
        counts = {role: sum(1 for _n, r, _o in rows if r == role) for role in AttendeeRole.values}
        record_audit(
            AuditAction.CONSULTATION_MEETING,
            actor=actor,
            target=meeting,
            node=topic.node,
            details={
                "topic": topic.pk,
                "held_at": held_at,
                "expected": expected_count,
                "present": len(rows),
                "by_role": counts,
            },
        )
    return meeting


# ---------------------------------------------------------------------------------------------
# Outcome: decisions and milestones, with history


def _history(
    topic: Topic,
    decision: Decision,
    changes: Iterable[tuple[str, Any, Any]],
    *,
    actor: Any,
    milestone: Milestone | None = None,
    note: str = "",
) -> list[OutcomeChange]:
    now = timezone.now()
    rows = [
        OutcomeChange(
            topic=topic,
            decision=decision,
            milestone=milestone,
            field=field,
            old_value="" if old is None else str(old),
            new_value="" if new is None else str(new),
            note=note[:300],
            changed_by=_user(actor),
            changed_at=now,
        )
        for field, old, new in changes
    ]
    return OutcomeChange.objects.bulk_create(rows)


def _meeting_of(topic: Topic, meeting: Meeting | int | None) -> Meeting | None:
    if meeting is None or meeting == "":
        return None
    pk: Any = meeting.pk if isinstance(meeting, Meeting) else meeting
    found = Meeting.objects.filter(topic=topic, pk=pk).first()
    if found is None:
        raise DomainError("bad_meeting", _("That meeting does not belong to this topic."))
    return found


def _decision_values(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "text" in out:
        out["text"] = _text(
            out["text"], code="text_required", message=_("Write the decision."), limit=MAX_BODY
        )
    if "responsible_unit" in out:
        out["responsible_unit"] = _text(
            out["responsible_unit"], code="unit_required", message=_("Who carries it out?"), limit=100
        )
    if "responsible_person" in out:
        out["responsible_person"] = _text(
            out["responsible_person"],
            code="person_required",
            message=_("Name the person responsible."),
            limit=50,
        )
    if "due_on" in out and not isinstance(out["due_on"], date):
        raise DomainError("due_required", _("Set the due date."))
    return out


def do_record_decision(
    topic: Topic | int,
    *,
    text: str,
    responsible_unit: str,
    responsible_person: str,
    due_on: date,
    meeting: Meeting | int | None = None,
    actor: Any,
) -> Decision:
    values = _decision_values(
        {
            "text": text,
            "responsible_unit": responsible_unit,
            "responsible_person": responsible_person,
            "due_on": due_on,
        }
    )
    with transaction.atomic():
        topic = _locked(topic)
        _require_state(topic, DECISION_STATES)
        decision = Decision.objects.create(
            topic=topic, meeting=_meeting_of(topic, meeting), created_by=_user(actor), **values
        )
        _history(topic, decision, [("created", "", decision.text)], actor=actor)
        record_audit(
            AuditAction.CONSULTATION_OUTCOME,
            actor=actor,
            target=decision,
            node=topic.node,
            details={"topic": topic.pk, "decision_created": True, **values, "meeting": decision.meeting_id},
        )
        notifications.decision_recorded(decision, actor=actor)
    return decision


DECISION_FIELDS = ("text", "responsible_unit", "responsible_person", "due_on", "meeting")


def do_update_decision(decision: Decision, *, actor: Any, note: str = "", **values: Any) -> Decision:
    unknown = set(values) - set(DECISION_FIELDS)
    if unknown:
        raise DomainError("unknown_field", f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        topic = _locked(decision.topic_id)
        _require_state(topic, DECISION_STATES)
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        if "meeting" in values:
            values["meeting"] = _meeting_of(topic, values["meeting"])
        values = _decision_values(values)
        changes = []
        for name, value in values.items():
            old = getattr(decision, name)
            if old != value:
                changes.append((name, _plain(old), _plain(value)))
                setattr(decision, name, value)
        if not changes:
            return decision
        decision.save(update_fields=[name if name != "meeting" else "meeting" for name, _o, _n in changes])
        _history(topic, decision, changes, actor=actor, note=str(note or "").strip())
        record_audit(
            AuditAction.CONSULTATION_OUTCOME,
            actor=actor,
            target=decision,
            node=topic.node,
            details={"topic": topic.pk, "changed": {n: [o, v] for n, o, v in changes}, "note": note},
        )
        notifications.decision_changed(decision, actor=actor)
    return decision


def _plain(value: Any) -> Any:
    if isinstance(value, Meeting):
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    return value


def do_add_milestone(decision: Decision, *, title: str, due_on: date, actor: Any) -> Milestone:
    title = _text(title, code="title_required", message=_("Name the milestone."), limit=MAX_TITLE)
    if not isinstance(due_on, date):
        raise DomainError("due_required", _("Set the due date."))
    with transaction.atomic():
        topic = _locked(decision.topic_id)
        _require_state(topic, MILESTONE_STATES)
        milestone = Milestone.objects.create(decision=decision, title=title, due_on=due_on)
        _history(topic, decision, [("created", "", title)], actor=actor, milestone=milestone)
        record_audit(
            AuditAction.CONSULTATION_OUTCOME,
            actor=actor,
            target=milestone,
            node=topic.node,
            details={"topic": topic.pk, "milestone_created": True, "title": title, "due_on": due_on},
        )
    return milestone


MILESTONE_FIELDS = ("title", "due_on", "percent", "status")


def do_update_milestone(
    milestone: Milestone, *, actor: Any, note: str = "", today: date | None = None, **values: Any
) -> Milestone:
    """Report progress. "Done" and 100 % go together: either one sets the other."""
    unknown = set(values) - set(MILESTONE_FIELDS)
    if unknown:
        raise DomainError("unknown_field", f"unknown fields: {sorted(unknown)}")
    if "percent" in values:
        percent = values["percent"]
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise DomainError("bad_percent", _("The percentage lies between 0 and 100."))
    if "status" in values and values["status"] not in MilestoneStatus.values:
        raise DomainError("bad_status", _("Unknown milestone status."))
    if "title" in values:
        values["title"] = _text(
            values["title"], code="title_required", message=_("Name the milestone."), limit=MAX_TITLE
        )
    if "due_on" in values and not isinstance(values["due_on"], date):
        raise DomainError("due_required", _("Set the due date."))
    with transaction.atomic():
        topic = _locked(milestone.decision.topic_id)
        _require_state(topic, MILESTONE_STATES)
        milestone = (
            Milestone.objects.select_for_update(of=("self",)).select_related("decision").get(pk=milestone.pk)
        )
        new = {name: values.get(name, getattr(milestone, name)) for name in MILESTONE_FIELDS}
        if new["status"] == MilestoneStatus.DONE and "percent" in values and new["percent"] < 100:
            new["status"] = MilestoneStatus.IN_PROGRESS
        if new["status"] == MilestoneStatus.DONE:
            new["percent"] = 100
        elif new["percent"] == 100:
            new["status"] = MilestoneStatus.DONE
        elif new["status"] == MilestoneStatus.PLANNED and new["percent"] > 0:
            new["status"] = MilestoneStatus.IN_PROGRESS
        new_done_on = milestone.done_on
        if new["status"] == MilestoneStatus.DONE and milestone.status != MilestoneStatus.DONE:
            new_done_on = _today(today)
        elif new["status"] != MilestoneStatus.DONE:
            new_done_on = None
        changes = [
            (name, _plain(getattr(milestone, name)), _plain(new[name]))
            for name in MILESTONE_FIELDS
            if getattr(milestone, name) != new[name]
        ]
        if not changes:
            return milestone
        for name in MILESTONE_FIELDS:
            setattr(milestone, name, new[name])
        milestone.done_on = new_done_on
        milestone.save(update_fields=[*MILESTONE_FIELDS, "done_on"])
        _history(
            topic, milestone.decision, changes, actor=actor, milestone=milestone, note=str(note or "").strip()
        )
        record_audit(
            AuditAction.CONSULTATION_OUTCOME,
            actor=actor,
            target=milestone,
            node=topic.node,
            details={"topic": topic.pk, "changed": {n: [o, v] for n, o, v in changes}, "note": note},
        )
        notifications.milestone_updated(milestone, actor=actor, changes=changes, note=str(note or "").strip())
    return milestone
