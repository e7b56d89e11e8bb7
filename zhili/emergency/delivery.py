"""Who an alert reaches, and the batched fan-out of its messages through the outbox (zhili.notify).

Recipients are fixed when the alert is sent: one Acknowledgement row each. The fan-out then claims
unqueued rows in batches and writes their outbox messages in the same transaction as the claim, so
a crashed or repeated run neither skips nor doubles anyone.

Residents and staff are told different things. Residents get the alert's public words (headline,
instruction) and how to acknowledge: their own link in an SMS, the message's View button in the
in-app inbox. Staff get a working message in the inbox: what the alert is, where and when, what
their part in the response is; its View button opens the alert page, where they confirm receipt.
Texts never carry a recipient's name, address or number, nor anything about the households of the
area; logs carry counts.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.emergency.area import Area
from zhili.emergency.models import Acknowledgement, Alert, Audience
from zhili.emergency.policies import PERM_ROLES, Perm
from zhili.notify.actions import do_enqueue_notification
from zhili.notify.models import NotifyChannel

logger = logging.getLogger(__name__)

BATCH = 200
# Staff told about an alert over their grid: everyone who works in the area (not auditors or
# administrators, who have no part in the response).
STAFF_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.DISPATCHER,
        Role.HANDLER,
        Role.SUPERVISOR,
        Role.LEADER,
        Role.PARTY_SECRETARY,
    }
)
# Staff whose part is to check on the area's households (the roles that record check tasks); the
# others follow the response from the alert page.
FIELD_ROLES = PERM_ROLES[Perm.CHECK]


@dataclass(frozen=True)
class Recipient:
    audience: str
    channel: str
    user_id: int | None = None
    person_id: int | None = None


def recipients(area: Area) -> list[Recipient]:
    """Staff of the area's nodes (and above), then residents of the area with a login or a mobile."""
    from zhili.participation.elections.models import ResidentAccount
    from zhili.residents.models import Person

    node_ids: set[int] = set()
    for grid in area.touched:
        node_ids.update(grid.ancestors())
    staff = list(
        User.objects.filter(
            is_active=True,
            memberships__active=True,
            memberships__role__in=sorted(STAFF_ROLES),
            memberships__node_id__in=sorted(node_ids),
        )
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    out = [Recipient(Audience.STAFF, NotifyChannel.IN_APP, user_id=pk) for pk in staff]
    seen_users = set(staff)
    # Resident logins registered at a grid wholly inside the area.
    for pk in (
        User.objects.filter(
            is_active=True,
            memberships__active=True,
            memberships__role=Role.RESIDENT,
            memberships__node_id__in=[g.pk for g in area.covered],
        )
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        if pk not in seen_users:
            seen_users.add(pk)
            out.append(Recipient(Audience.RESIDENT, NotifyChannel.IN_APP, user_id=pk))
    # Registered residents living in the area: their login if linked, else an SMS to their mobile.
    persons = Person.objects.filter(
        household__in=area.households(), anonymised_at__isnull=True, moved_out_on__isnull=True
    )
    linked = dict(
        ResidentAccount.objects.filter(person__in=persons, user__is_active=True).values_list(
            "person_id", "user_id"
        )
    )
    for pk, has_mobile in persons.order_by("pk").values_list("pk", "mobile_enc").iterator(chunk_size=2000):
        user_id = linked.get(pk)
        if user_id is not None:
            if user_id not in seen_users:
                seen_users.add(user_id)
                out.append(Recipient(Audience.RESIDENT, NotifyChannel.IN_APP, user_id=user_id, person_id=pk))
        elif has_mobile:
            out.append(Recipient(Audience.RESIDENT, NotifyChannel.SMS, person_id=pk))
    return out


def create_acknowledgements(alert: Alert, people: list[Recipient]) -> int:
    rows = [
        Acknowledgement(
            alert=alert,
            user_id=r.user_id,
            person_id=r.person_id,
            audience=r.audience,
            channel=r.channel,
            token=secrets.token_urlsafe(32),
        )
        for r in people
    ]
    Acknowledgement.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def ack_path(token: str) -> str:
    return reverse("emergency:ack", args=[token])


def alert_path(alert_id: int) -> str:
    return reverse("emergency:alert", args=[alert_id])


def public_link(path: str) -> str:
    """``path`` on the site's public address; the bare path when that is not configured."""
    base = str(getattr(settings, "ZHILI_PUBLIC_URL", "") or "").rstrip("/")
    return base + path


def _subject(alert: Alert) -> str:
    return _("[%(severity)s] %(headline)s") % {
        "severity": alert.get_severity_display(),
        "headline": alert.headline,
    }


def resident_texts(alert: Alert, link: str | None) -> tuple[str, str]:
    """The alert's public words and how to acknowledge: by the recipient's link in an SMS
    (``link``), by the message's own button in the in-app inbox (``link`` None)."""
    with translation.override(settings.LANGUAGE_CODE):
        parts = [alert.headline]
        if alert.instruction:
            parts.append(alert.instruction)
        if link is None:
            parts.append(_("Please confirm you received this: tap View below."))
        else:
            parts.append(_("Please confirm you received this: %(link)s") % {"link": link})
        return _subject(alert), "\n".join(parts)


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


def staff_texts(alert: Alert, *, field: bool) -> tuple[str, str]:
    """The working message for staff; ``field``: they check on households (grid workers …).

    The same for every staff recipient of its kind: it names no person, household or tag, and
    links to pages that show each reader only what their own role may see.
    """
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Emergency alert for action: %(subject)s") % {"subject": _subject(alert)}
        parts = [
            _("Alert: %(event)s (severity: %(severity)s; urgency: %(urgency)s).")
            % {
                "event": alert.event,
                "severity": alert.get_severity_display(),
                "urgency": alert.get_urgency_display(),
            },
            _("Area: %(area)s.") % {"area": alert.area_desc},
            _("In force from %(start)s to %(end)s.")
            % {"start": _when(alert.effective), "end": _when(alert.expires)},
        ]
        if field:
            parts.append(
                _(
                    "Your part: check on the vulnerable residents in your area and record each"
                    " check; your check tasks are under Check tasks in the menu."
                )
            )
        else:
            parts.append(
                _(
                    "Your part: follow the response on the alert page (check tasks, progress,"
                    " acknowledgements) and take the steps your role calls for."
                )
            )
        parts.append(_("Tap View below to open the alert page and confirm receipt there."))
        return subject, "\n".join(parts)


def field_staff(alert: Alert, user_ids: list[int]) -> set[int]:
    """Those of ``user_ids`` holding a checking role inside the alert's territory or above it.

    Staff recipients were chosen over the area's grids, which lie in the alert node's subtree, so
    this needs neither the area nor the role each was chosen for.
    """
    if not user_ids:
        return set()
    node = alert.node
    return set(
        Membership.objects.filter(user_id__in=user_ids, active=True, role__in=sorted(FIELD_ROLES))
        .filter(Q(node__path__startswith=node.path) | Q(node_id__in=node.ancestors()))
        .values_list("user_id", flat=True)
    )


def deliver_batch(alert_id: int, *, batch: int = BATCH) -> int:
    """Queue the messages of up to ``batch`` unqueued recipients; returns how many were queued."""
    from zhili.residents.models import Person

    with transaction.atomic():
        alert = Alert.objects.select_related("node").get(pk=alert_id)
        # skip_locked: a second worker takes the next batch instead of waiting for this one.
        rows = list(
            Acknowledgement.objects.select_for_update(skip_locked=True)
            .filter(alert_id=alert_id, notified_at__isnull=True)
            .order_by("pk")[:batch]
        )
        if not rows:
            return 0
        mobiles = {
            p.pk: p.mobile
            for p in Person.objects.filter(
                pk__in=[r.person_id for r in rows if r.channel == NotifyChannel.SMS]
            )
        }
        field = field_staff(alert, [r.user_id for r in rows if r.audience == Audience.STAFF and r.user_id])
        staff = {kind: staff_texts(alert, field=kind) for kind in (True, False)}
        now = timezone.now()
        for row in rows:
            if row.audience == Audience.STAFF:
                # Staff confirm on the alert page (logged in), not through the token link.
                path = alert_path(alert.pk)
                subject, body = staff[row.user_id in field]
            else:
                path = ack_path(row.token)
                in_app = row.channel != NotifyChannel.SMS
                subject, body = resident_texts(alert, None if in_app else public_link(path))
            if row.channel == NotifyChannel.SMS:
                mobile = mobiles.get(row.person_id or 0, "")
                if mobile:
                    do_enqueue_notification(
                        channel=NotifyChannel.SMS,
                        address=mobile,
                        subject=subject,
                        body=body,
                        topic=f"emergency.alert:{alert.pk}",
                    )
            else:
                do_enqueue_notification(
                    channel=NotifyChannel.IN_APP,
                    recipient=User(pk=row.user_id),
                    subject=subject,
                    body=body,
                    topic=f"emergency.alert:{alert.pk}",
                    url=path,
                )
            row.notified_at = now
        Acknowledgement.objects.bulk_update(rows, ["notified_at"])
    return len(rows)


def deliver_alert(alert_id: int, *, batch: int = BATCH) -> int:
    """Queue every remaining message of the alert, batch by batch. Safe to run twice or in parallel."""
    total = 0
    while True:
        queued = deliver_batch(alert_id, batch=batch)
        if not queued:
            break
        total += queued
    logger.info("emergency alert %s: %s messages queued", alert_id, total)
    return total


def start_delivery(alert_id: int) -> None:
    """After the send commits: hand the fan-out to the worker (or run it here when none can take it)."""
    from zhili.emergency.tasks import deliver_alert_task

    try:
        deliver_alert_task.enqueue(alert_id)
    except Exception:  # the rows are waiting in the table; the next run of the task picks them up
        logger.exception("could not enqueue the alert fan-out for alert %s", alert_id)
