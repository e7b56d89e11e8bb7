"""Who hears about a case's progress, and what they are told.

Messages are written to the outbox (zhili.notify) inside the action's transaction. Staff get
in-app messages; the reporter gets an in-app message when they have an account and an SMS when they
left a mobile number, at the milestones a resident cares about. Reporters of cases merged into this
one hear about it too. Message texts carry the tracking code and the status, never personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.cases.contact import MOBILE_RE, unseal
from zhili.cases.models import Case, Channel
from zhili.cases.states import CaseStatus
from zhili.core import prepared
from zhili.notify.actions import batch, do_email_staff, do_enqueue_notification
from zhili.notify.models import NotifyChannel
from zhili.territory.models import Node

# Statuses whose arrival the reporter is told about.
REPORTER_MILESTONES = frozenset(
    {
        CaseStatus.PENDING,
        CaseStatus.DISPATCHED,
        CaseStatus.REJECTED,
        CaseStatus.RESOLVED,
        CaseStatus.VERIFIED,
        CaseStatus.CLOSED,
    }
)


def staff_ids_over(node: Node, role: str, *, department_id: int | None = None) -> list[int]:
    """Ids of the active users holding ``role`` at this node or above it (in ``department_id``).

    Plain SQL: it runs on nearly every transition, and the ORM spends longer building the join
    than the database spends answering it.
    """
    ancestors = list(node.ancestors())
    if not ancestors:
        return []
    qn = connection.ops.quote_name
    user, membership = User._meta, Membership._meta

    def col(meta: Any, name: str) -> str:
        return qn(meta.get_field(name).column)

    sql = (
        f"SELECT DISTINCT u.{col(user, 'id')} FROM {qn(user.db_table)} u"
        f" JOIN {qn(membership.db_table)} m ON m.{col(membership, 'user')} = u.{col(user, 'id')}"
        f" WHERE u.{col(user, 'is_active')} AND m.{col(membership, 'active')}"
        f" AND m.{col(membership, 'role')} = %s"
        f" AND m.{col(membership, 'node')} IN ({', '.join(['%s'] * len(ancestors))})"
    )
    params: list[Any] = [role, *ancestors]
    if department_id is not None:
        sql += f" AND u.{col(user, 'department')} = %s"
        params.append(department_id)
    with prepared.cursor() as cursor:
        cursor.execute(sql + f" ORDER BY u.{col(user, 'id')}", params)
        return [int(row[0]) for row in cursor.fetchall()]


def staff_over(node: Node, role: str) -> QuerySet[User]:
    """Active users holding ``role`` at this node or above it."""
    return User.objects.filter(pk__in=staff_ids_over(node, role)).order_by("pk")


def assignees(case: Case) -> list[int]:
    """Ids of the staff a dispatched case waits with: its department's handlers, or the grid's workers."""
    if case.department_id:
        return staff_ids_over(case.node, Role.HANDLER, department_id=case.department_id)
    if case.assigned_grid_id and case.assigned_grid is not None:
        return staff_ids_over(case.assigned_grid, Role.GRID_WORKER)
    return []


def verifiers(case: Case) -> list[int]:
    ids = staff_ids_over(case.node, Role.SUPERVISOR)
    if case.grid is not None:
        ids += staff_ids_over(case.grid, Role.GRID_WORKER)
    return ids


def _url(case: Case) -> str:
    try:
        return reverse("cases:detail", args=[case.pk])
    except Exception:  # the page may not be mounted (API-only deployments)
        return ""


def _send_in_app(users: Iterable[Any], case: Case, subject: str, body: str, skip: Any = None) -> None:
    """``users``: users, or their ids."""
    seen: set[int] = set()
    skip_pk = getattr(skip, "pk", None) if skip is not None else None
    for user in users:
        pk = user if isinstance(user, int) else getattr(user, "pk", None)
        if pk is None or pk in seen or (skip_pk is not None and pk == skip_pk):
            continue
        seen.add(pk)
        do_enqueue_notification(
            channel=NotifyChannel.IN_APP,
            recipient_id=pk,
            subject=subject,
            body=body,
            topic=f"cases.case:{case.pk}",
            url=_url(case),
        )


def _status_label(status: str) -> str:
    return str(CaseStatus(status).label)


def tell_reporters(case: Case, status: str, *, new: bool = False) -> None:
    """The reporter of this case and of every case merged into it (``new``: just submitted, so
    nothing is merged into it and nobody supports it yet)."""
    with translation.override(settings.LANGUAGE_CODE):
        cases = [case, *case.merged_cases.all()] if case.pk and not new else [case]
        for each in cases:
            values = {"code": each.code, "main": case.code, "status": _status_label(status)}
            if each.channel == Channel.PATROL:  # the grid worker who found it: no tracking advice
                subject = _("Your patrol report %(code)s: %(status)s") % values
                if each.pk == case.pk:
                    body = _("The problem you reported on patrol, %(code)s, is now: %(status)s.")
                else:
                    body = _(
                        "Your patrol report %(code)s was merged into %(main)s, which is now: %(status)s."
                    )
            else:
                subject = _("Your request %(code)s: %(status)s") % values
                if each.pk == case.pk:
                    body = _(
                        "Your request %(code)s is now: %(status)s."
                        " Track it with the code and your phone number."
                    )
                else:
                    body = _("Your request %(code)s was merged into %(main)s, which is now: %(status)s.")
            body = body % values
            # A hotline case's reporter is the operator who took the call: the caller hears by SMS.
            if each.reporter_id and each.channel != Channel.HOTLINE:
                do_enqueue_notification(
                    channel=NotifyChannel.IN_APP,
                    recipient=each.reporter,
                    subject=subject,
                    body=body,
                    topic=f"cases.case:{each.pk}",
                )
            caller = unseal(each.contact_mobile_enc) if each.contact_mobile_enc else ""
            # A caller on a landline (the hotline takes those) cannot get a text: staff call back.
            if MOBILE_RE.match(caller):
                do_enqueue_notification(
                    channel=NotifyChannel.SMS,
                    address=caller,
                    subject=subject,
                    body=body,
                    topic=f"cases.case:{each.pk}",
                )
        # Residents who added their voice (附议) to the case hear what the reporter hears.
        supports = case.supports.select_related("supporter").all() if case.pk and not new else []
        for support in supports:
            values = {"code": case.code, "status": _status_label(status)}
            subject = _("A request you supported, %(code)s: %(status)s") % values
            body = _("The request %(code)s that you supported is now: %(status)s.") % values
            if support.supporter_id:
                do_enqueue_notification(
                    channel=NotifyChannel.IN_APP,
                    recipient=support.supporter,
                    subject=subject,
                    body=body,
                    topic=f"cases.case:{case.pk}",
                )
            if support.contact_mobile_enc:
                do_enqueue_notification(
                    channel=NotifyChannel.SMS,
                    address=unseal(support.contact_mobile_enc),
                    subject=subject,
                    body=body,
                    topic=f"cases.case:{case.pk}",
                )


def announce(case: Case, transition: str, source: str, target: str, *, actor: Any = None) -> None:
    """Messages for one status change (called inside the action's transaction), written together."""
    with batch():
        _announce(case, transition, source, target, actor=actor)


def _announce(case: Case, transition: str, source: str, target: str, *, actor: Any) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        code, title = case.code, case.title
        status = _status_label(target)
        if target == CaseStatus.DISPATCHED:
            subject = _("New case to sign for: %(code)s") % {"code": code}
            if source == CaseStatus.VERIFIED:
                subject = _("Case reopened after an unsatisfied rating: %(code)s") % {"code": code}
            _send_in_app(assignees(case), case, subject, title, skip=actor)
        elif target == CaseStatus.RETURNED:
            from zhili.cases.conf import max_returns

            if case.return_count >= max_returns():
                subject = _("Case needs arbitration after %(n)s returns: %(code)s") % {
                    "n": case.return_count,
                    "code": code,
                }
                supervisors = staff_ids_over(case.node, Role.SUPERVISOR)
                _send_in_app(supervisors, case, subject, title, skip=actor)
                do_email_staff(supervisors, subject=subject, url=_url(case), topic=f"cases.case:{case.pk}")
            else:
                subject = _("Case returned, dispatch it again: %(code)s") % {"code": code}
                _send_in_app(staff_over(case.node, Role.DISPATCHER), case, subject, title, skip=actor)
        elif target == CaseStatus.EXTENSION_PENDING:
            subject = _("Extension requested: %(code)s") % {"code": code}
            users = [*staff_over(case.node, Role.DISPATCHER), *staff_over(case.node, Role.SUPERVISOR)]
            _send_in_app(users, case, subject, title, skip=actor)
        elif target == CaseStatus.RESOLVED:
            subject = _("Case resolved, please verify: %(code)s") % {"code": code}
            _send_in_app(verifiers(case), case, subject, title, skip=actor)
        elif transition in ("approve_extension", "deny_extension", "send_back", "resume"):
            subject = _("Case %(code)s: %(status)s") % {"code": code, "status": status}
            _send_in_app(assignees(case), case, subject, title, skip=actor)
        elif target == CaseStatus.RATED and case.needs_review:
            subject = _("Resident unsatisfied again, supervisor review needed: %(code)s") % {"code": code}
            supervisors = staff_ids_over(case.node, Role.SUPERVISOR)
            _send_in_app(supervisors, case, subject, title, skip=actor)
            do_email_staff(supervisors, subject=subject, url=_url(case), topic=f"cases.case:{case.pk}")
    if target in REPORTER_MILESTONES:
        tell_reporters(case, target, new=transition == "submit")


def announce_escalation(case: Case) -> int:
    """Overdue: every supervisor over the case's node, and the WeCom group when one is configured."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Overdue case escalated: %(code)s") % {"code": case.code}
        body = _("%(title)s — the deadline to finish has passed.") % {"title": case.title}
        supervisors = list(staff_over(case.node, Role.SUPERVISOR))
        _send_in_app(supervisors, case, subject, body)
        # A copy by e-mail for those who left an address: the code and a link, no title.
        do_email_staff(supervisors, subject=subject, url=_url(case), topic=f"cases.case:{case.pk}")
        if getattr(settings, "ZHILI_WECOM_WEBHOOK_URL", ""):
            # A group chat: no title (residents write names and addresses into titles).
            group_body = _("Category: %(category)s; area: %(area)s.") % {
                "category": case.category.name if case.category else "-",
                "area": case.node.name,
            }
            do_enqueue_notification(channel=NotifyChannel.WECOM, subject=subject, body=group_body)
    return len(supervisors)
