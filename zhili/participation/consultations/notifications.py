"""Followers of a topic hear of its state changes, new decisions and milestone updates.

Messages are written to the outbox (zhili.notify) inside the action's transaction, in-app only,
one per follower; the one who made the change is not told about their own change. Texts carry the
topic's title and the change, never a resident's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from zhili.accounts.models import User
from zhili.notify.actions import do_enqueue_notification
from zhili.notify.models import NotifyChannel
from zhili.participation.consultations.models import Decision, Milestone, MilestoneStatus, Topic
from zhili.participation.consultations.states import TopicState


def _url(topic: Topic) -> str:
    try:
        return reverse("consultations:topic", args=[topic.pk])
    except Exception:  # pages not mounted (API-only deployments)
        return ""


def followers(topic: Topic) -> list[User]:
    return list(User.objects.filter(is_active=True, pk__in=topic.follows.values("user_id")).order_by("pk"))


def _tell(topic: Topic, subject: str, body: str, *, actor: Any) -> int:
    sent = 0
    url = _url(topic)
    for user in followers(topic):
        if actor is not None and user.pk == getattr(actor, "pk", None):
            continue
        do_enqueue_notification(
            channel=NotifyChannel.IN_APP,
            recipient=user,
            subject=subject,
            body=body,
            topic=f"consultations.topic:{topic.pk}",
            url=url,
        )
        sent += 1
    return sent


def state_changed(topic: Topic, target: str, *, actor: Any) -> int:
    with translation.override(settings.LANGUAGE_CODE):
        state = str(TopicState(target).label)
        subject = _("%(title)s: %(state)s") % {"title": topic.title[:80], "state": state}
        body = _("The topic “%(title)s” you follow is now: %(state)s.") % {
            "title": topic.title,
            "state": state,
        }
        return _tell(topic, subject, body, actor=actor)


def decision_recorded(decision: Decision, *, actor: Any) -> int:
    topic = decision.topic
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("New decision: %(title)s") % {"title": topic.title[:80]}
        body = _("%(text)s — carried out by %(unit)s, due %(due)s.") % {
            "text": decision.text[:200],
            "unit": decision.responsible_unit,
            "due": decision.due_on.isoformat(),
        }
        return _tell(topic, subject, body, actor=actor)


def decision_changed(decision: Decision, *, actor: Any) -> int:
    topic = decision.topic
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Decision changed: %(title)s") % {"title": topic.title[:80]}
        body = _("%(text)s — carried out by %(unit)s, due %(due)s.") % {
            "text": decision.text[:200],
            "unit": decision.responsible_unit,
            "due": decision.due_on.isoformat(),
        }
        return _tell(topic, subject, body, actor=actor)


def _status_label(value: str) -> str:
    return str(MilestoneStatus(value).label) if value in MilestoneStatus.values else value


def _milestone_clauses(changes: Sequence[tuple[str, Any, Any]], note: str) -> list[str]:
    """One clause per changed field (old → new), in a fixed order, then the staff's note."""
    by_field = {name: (old, new) for name, old, new in changes}
    clauses = []
    if "title" in by_field:
        clauses.append(_("renamed from “%(old)s”") % {"old": by_field["title"][0]})
    if "due_on" in by_field:
        old, new = by_field["due_on"]
        clauses.append(_("due date moved from %(old)s to %(new)s") % {"old": old, "new": new})
    if "percent" in by_field:
        old, new = by_field["percent"]
        clauses.append(_("progress went from %(old)s%% to %(new)s%%") % {"old": old, "new": new})
    if "status" in by_field:
        old, new = by_field["status"]
        clauses.append(
            _("status changed from %(old)s to %(new)s")
            % {"old": _status_label(old), "new": _status_label(new)}
        )
    if note:
        clauses.append(_("note: %(note)s") % {"note": note[:200]})
    return clauses


def milestone_updated(
    milestone: Milestone,
    *,
    actor: Any,
    changes: Sequence[tuple[str, Any, Any]] = (),
    note: str = "",
) -> int:
    """Tell followers what changed: ``changes`` holds (field, old, new) as the history records them."""
    topic = milestone.decision.topic
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Progress on %(title)s") % {"title": topic.title[:80]}
        clauses = _milestone_clauses(changes, note)
        if clauses:
            body = _("%(milestone)s: %(changes)s.") % {
                "milestone": milestone.title,
                "changes": pgettext("between clauses", "; ").join(clauses),
            }
        else:
            body = _("%(milestone)s: %(percent)s%% done (%(status)s).") % {
                "milestone": milestone.title,
                "percent": milestone.percent,
                "status": milestone.get_status_display(),
            }
        return _tell(topic, subject, body, actor=actor)
