"""Every write of disclosure: one transaction, one audit row, side effects after commit.

A published version is never changed: a correction (更正) is a new version that replaces it, and a
withdrawal (撤回) keeps the title and the reason on the board. Residents of the node hear of a
residents-only item in-app once it is out.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError, Forbidden
from zhili.disclosure import policies
from zhili.disclosure.models import Audience, Kind, Publication, Question
from zhili.disclosure.policies import Perm
from zhili.disclosure.states import (
    OUT_STATUSES,
    REASON_REQUIRED,
    PublicationStatus,
    PublicationTransition,
    allowed,
    target_of,
)
from zhili.territory.models import Node, NodeKind

logger = logging.getLogger(__name__)

S = PublicationStatus
T = PublicationTransition

TITLE_MAX = 120
BODY_MAX = 20_000
PERIOD_MAX = 60
LABEL_MAX = 60
MAX_ITEMS = 40
MAX_YUAN = Decimal("9999999999.99")
REASON_MIN, REASON_MAX = 2, 300
QUESTION_MAX, ANSWER_MAX = 500, 2000


def _line(text: Any) -> str:
    return " ".join(str(text or "").split())


def clean_items(items: Any) -> list[dict[str, Any]]:
    """[{"label", "amount" (yuan)}] → [{"label", "fen"}]: labels given, amounts ≥ 0 with at most 分."""
    out: list[dict[str, Any]] = []
    for index, item in enumerate(items or [], start=1):
        label = _line(item.get("label") if isinstance(item, dict) else "")
        raw = item.get("amount") if isinstance(item, dict) else None
        if not label and raw in (None, ""):
            continue
        if not label or len(label) > LABEL_MAX:
            raise DomainError(
                "item_label_invalid",
                _("Line %(n)s: give the item's name (at most %(max)s characters).")
                % {"n": index, "max": LABEL_MAX},
                field="items",
            )
        try:
            amount = Decimal(str(raw).replace(",", "").strip())
        except (InvalidOperation, ValueError):
            amount = Decimal("NaN")
        if (
            not amount.is_finite()
            or amount < 0
            or amount > MAX_YUAN
            or amount != amount.quantize(Decimal("0.01"))
        ):
            raise DomainError(
                "item_amount_invalid",
                _("Line %(n)s: the amount must be a number of yuan, at most two decimals, not negative.")
                % {"n": index},
                field="items",
            )
        out.append({"label": label, "fen": int(amount * 100)})
    if len(out) > MAX_ITEMS:
        raise DomainError(
            "too_many_items", _("At most %(max)s line items.") % {"max": MAX_ITEMS}, field="items"
        )
    return out


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    kind = values.get("kind")
    if kind not in Kind.values:
        raise DomainError("choice_invalid", _("Choose one of the offered values."), field="kind")
    audience = values.get("audience") or Audience.PUBLIC
    if audience not in Audience.values:
        raise DomainError("choice_invalid", _("Choose one of the offered values."), field="audience")
    title = _line(values.get("title"))
    if not title:
        raise DomainError("required", _("This field is required."), field="title")
    if len(title) > TITLE_MAX:
        raise DomainError("too_long", _("This text is too long."), field="title")
    body = str(values.get("body") or "").strip()
    if len(body) > BODY_MAX:
        raise DomainError("too_long", _("This text is too long."), field="body")
    period = _line(values.get("period"))
    if len(period) > PERIOD_MAX:
        raise DomainError("too_long", _("This text is too long."), field="period")
    year, quarter = values.get("period_year"), values.get("period_quarter")
    if year in ("", None) and quarter in ("", None):
        year = quarter = None
    else:
        try:
            year, quarter = int(year), int(quarter)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            year = quarter = -1
        if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
            raise DomainError("quarter_invalid", _("Choose a quarter from the list."), field="quarter")
    items = clean_items(values.get("items"))
    if not body and not items:
        raise DomainError("required", _("Give the text or the line items."), field="body")
    return {
        "kind": kind,
        "audience": audience,
        "title": title,
        "body": body,
        "period": period,
        "period_year": year,
        "period_quarter": quarter,
        "items": items,
    }


def _reason(reason: Any) -> str:
    text = _line(reason)[:REASON_MAX]
    if len(text) < REASON_MIN:
        raise DomainError(
            "reason_required",
            _("Give the reason (at least %(n)s characters).") % {"n": REASON_MIN},
            field="reason",
        )
    return text


def do_draft_publication(*, actor: Any, node: Node, **values: Any) -> Publication:
    """A new draft for a street or community where the actor may publish."""
    if not policies.allowed_at(actor, Perm.PUBLISH, node.path):
        raise Forbidden()
    if node.kind not in (NodeKind.STREET, NodeKind.COMMUNITY):
        raise DomainError("node_invalid", _("Choose a street or a community."), field="node")
    clean = _clean(values)
    with transaction.atomic():
        publication = Publication.objects.create(node=node, drafted_by=actor, **clean)
        record_audit(
            AuditAction.DISCLOSURE_CHANGED,
            actor=actor,
            target=publication,
            node=node,
            details={"draft": True, "kind": clean["kind"], "audience": clean["audience"]},
        )
    return publication


def do_update_publication(publication: Publication, *, actor: Any, **values: Any) -> Publication:
    """Change a draft; what is out is corrected, never changed."""
    if not policies.can(actor, Perm.PUBLISH, publication):
        raise Forbidden()
    clean = _clean(values)
    with transaction.atomic():
        locked = Publication.objects.select_for_update().select_related("node").get(pk=publication.pk)
        if locked.status != S.DRAFT:
            raise DomainError(
                "not_editable",
                _("Only a draft can be changed; correct a published item instead."),
                status=409,
            )
        changed = sorted(name for name, value in clean.items() if getattr(locked, name) != value)
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*clean, "updated_at"])
        record_audit(
            AuditAction.DISCLOSURE_CHANGED,
            actor=actor,
            target=locked,
            node=locked.node,
            details={"edit": True, "fields": changed},
        )
    return locked


def do_transition_publication(
    publication: Publication,
    transition: PublicationTransition,
    *,
    actor: Any,
    reason: str = "",
    correction: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Publication:
    """The one path of status changes (states.TRANSITIONS). Returns the current version: for a
    correction the new one, which is published at once in place of the old."""
    if not policies.can(actor, Perm.PUBLISH, publication):
        raise Forbidden()
    clean_reason = _reason(reason) if transition in REASON_REQUIRED else ""
    clean = _clean(correction or {}) if transition is T.CORRECT else {}
    now = now or timezone.now()
    with transaction.atomic():
        locked = Publication.objects.select_for_update().select_related("node").get(pk=publication.pk)
        if not allowed(transition, locked.status):
            raise DomainError(
                "transition_not_allowed",
                _("This step is not possible in the item's current state."),
                status=409,
            )
        source, target = locked.status, target_of(transition)
        details: dict[str, Any] = {"transition": transition.value, "from": source, "to": target}
        locked.status = target
        fields = ["status", "updated_at"]
        current = locked
        if transition is T.PUBLISH:
            locked.published_by, locked.published_at = actor, now
            fields += ["published_by", "published_at"]
        else:
            locked.end_reason, locked.ended_at = clean_reason, now
            fields += ["end_reason", "ended_at"]
            details["reason"] = clean_reason
        locked.save(update_fields=fields)
        if transition is T.CORRECT:
            current = Publication.objects.create(
                node=locked.node,
                drafted_by=actor,
                status=S.PUBLISHED,
                published_by=actor,
                published_at=now,
                version=locked.version + 1,
                replaces=locked,
                **clean,
            )
            details["new_version"] = current.pk
        record_audit(
            AuditAction.DISCLOSURE_TRANSITION, actor=actor, target=locked, node=locked.node, details=details
        )
        if current.status == S.PUBLISHED and current.audience == Audience.RESIDENTS:
            publication_id = current.pk
            transaction.on_commit(lambda: start_notifying(publication_id))
    return current


def do_publish_publication(publication: Publication, *, actor: Any) -> Publication:
    return do_transition_publication(publication, T.PUBLISH, actor=actor)


def do_withdraw_publication(publication: Publication, *, actor: Any, reason: str) -> Publication:
    return do_transition_publication(publication, T.WITHDRAW, actor=actor, reason=reason)


def do_correct_publication(
    publication: Publication, *, actor: Any, reason: str, **values: Any
) -> Publication:
    return do_transition_publication(publication, T.CORRECT, actor=actor, reason=reason, correction=values)


def do_count_read(publication: Publication) -> None:
    """One more read of an item that is out. Not audited, and nobody is recorded: only the count."""
    Publication.objects.filter(pk=publication.pk, status__in=sorted(OUT_STATUSES)).update(
        read_count=F("read_count") + 1
    )


# Questions (意见表达) ---------------------------------------------------------------------------


def do_ask_question(
    publication: Publication, *, actor: Any, text: str, now: datetime | None = None
) -> Question:
    """A resident living under the item's node asks about a published item."""
    if publication.status != S.PUBLISHED:
        raise DomainError("not_published", _("Questions can be asked on published items only."), status=409)
    if not policies.lives_under(actor, publication.node):
        raise DomainError(
            "not_eligible", _("Only residents of this area can ask about this item."), status=403
        )
    clean = _line(text)
    if len(clean) < 2:
        raise DomainError("required", _("Write your question."), field="text")
    if len(clean) > QUESTION_MAX:
        raise DomainError("too_long", _("This text is too long."), field="text")
    with transaction.atomic():
        question = Question.objects.create(
            publication=publication, text=clean, asked_by=actor, asked_at=now or timezone.now()
        )
        # The audit row names the asker (who did what); the public page never does.
        record_audit(
            AuditAction.DISCLOSURE_QUESTION,
            actor=actor,
            target=question,
            node=publication.node,
            details={"publication": publication.pk, "asked": True},
        )
    return question


def do_answer_question(
    question: Question, *, actor: Any, answer: str, now: datetime | None = None
) -> Question:
    """Staff of the node answer publicly, once."""
    publication = question.publication
    if not policies.can(actor, Perm.PUBLISH, publication):
        raise Forbidden()
    text = str(answer or "").strip()
    if len(text) < 2:
        raise DomainError("required", _("Write the answer."), field="answer")
    if len(text) > ANSWER_MAX:
        raise DomainError("too_long", _("This text is too long."), field="answer")
    with transaction.atomic():
        locked = Question.objects.select_for_update().get(pk=question.pk)
        if locked.answered_at is not None:
            raise DomainError("already_answered", _("This question has already been answered."), status=409)
        locked.answer, locked.answered_by, locked.answered_at = text, actor, now or timezone.now()
        locked.save(update_fields=["answer", "answered_by", "answered_at"])
        record_audit(
            AuditAction.DISCLOSURE_QUESTION,
            actor=actor,
            target=locked,
            node=publication.node,
            details={"publication": publication.pk, "answered": True},
        )
    return locked


# Notifications ----------------------------------------------------------------------------------


def resident_recipients(node: Node) -> list[int]:
    """Ids of the active resident logins living under ``node``: a resident membership there, or a
    verified registry record of a household there (not moved out, not anonymised)."""
    from zhili.accounts.models import User
    from zhili.accounts.roles import Role
    from zhili.participation.elections.models import ResidentAccount

    today = timezone.localdate()
    ids = set(
        User.objects.filter(
            is_active=True,
            memberships__active=True,
            memberships__role=Role.RESIDENT,
            memberships__node__path__startswith=node.path,
        ).values_list("pk", flat=True)
    )
    linked = ResidentAccount.objects.filter(
        user__is_active=True,
        person__household__building__grid__path__startswith=node.path,
        person__anonymised_at__isnull=True,
    ).exclude(person__moved_out_on__lte=today)
    ids.update(linked.values_list("user_id", flat=True))
    return sorted(ids)


def start_notifying(publication_id: int) -> None:
    """After the publish commits: hand the messages to the worker (a street's item may mean tens of
    thousands of them; a failure must not turn a committed publish into an error page)."""
    from zhili.disclosure.tasks import notify_residents_task

    try:
        notify_residents_task.enqueue(publication_id)
    except Exception:
        logger.exception("could not enqueue the residents' messages for publication %s", publication_id)


def notify_residents(publication_id: int) -> int:
    """In-app messages to the residents of a residents-only item (run by the worker; safe to rerun:
    the topic carries the version, and a version already told is not told again)."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    from zhili.notify.actions import batch, do_enqueue_notification
    from zhili.notify.models import Notification, NotifyChannel

    publication = Publication.objects.select_related("node").filter(pk=publication_id).first()
    if publication is None or publication.status != S.PUBLISHED:
        return 0
    topic = f"disclosure.publication:{publication.pk}"
    told = set(Notification.objects.filter(topic=topic).values_list("recipient_id", flat=True))
    try:
        url = reverse("disclosure:item", args=[publication.pk])
    except Exception:  # pages not mounted (API-only deployments)
        url = ""
    sent = 0
    with translation.override(settings.LANGUAGE_CODE), batch():
        kind = str(publication.get_kind_display())
        if publication.replaces_id:
            subject = _("Corrected: %(title)s") % {"title": publication.title[:80]}
        else:
            subject = _("%(kind)s: %(title)s") % {"kind": kind, "title": publication.title[:80]}
        body = _("%(node)s has published “%(title)s” (%(kind)s) for its residents.") % {
            "node": publication.node.name,
            "title": publication.title,
            "kind": kind,
        }
        for user_id in resident_recipients(publication.node):
            if user_id in told:
                continue
            do_enqueue_notification(
                channel=NotifyChannel.IN_APP,
                recipient_id=user_id,
                subject=subject,
                body=body,
                topic=topic,
                url=url,
            )
            sent += 1
    return sent
