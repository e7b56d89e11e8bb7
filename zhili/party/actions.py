"""Every write of party building: one transaction, one audit row.

Audit details never hold a member's mobile (only whether it changed) or a household's address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.authz.policies import path_q
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.party import policies
from zhili.party.models import (
    KINDS_AT_NODE,
    Activity,
    ActivityKind,
    Attendance,
    ContactHousehold,
    MemberTransfer,
    OrgKind,
    PartyMember,
    PartyOrg,
    VolunteerSignup,
)
from zhili.party.policies import Perm
from zhili.party.states import (
    ACTIVITY_TRANSITIONS,
    ATTENDANCE_STATUSES,
    ActivityStatus,
    ActivityTransition,
    MemberStatus,
    MemberTransition,
    activity_allowed,
    member_allowed,
)
from zhili.residents.models import Gender, Person
from zhili.residents.validation import check_mobile, normalise_mobile
from zhili.territory.models import Household, Node, NodeKind

MAX_HOURS = Decimal("24")


def _text(value: Any, limit: int, field: str, *, required: bool = False) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > limit:
        raise DomainError("too_long", _("This text is too long."), field=field)
    if required and not text:
        raise DomainError("required", _("This field is required."), field=field)
    return text


def _ancestor_paths(path: str) -> list[str]:
    return [p for p in policies._ancestor_paths(path) if p != path]


def _nearest_org(node: Node) -> PartyOrg | None:
    return PartyOrg.objects.filter(node__path__in=_ancestor_paths(node.path)).order_by("-node__depth").first()


# Organisations -----------------------------------------------------------------------------------


def _check_org_values(node: Node, kind: str, secretary_user: Any) -> None:
    if kind not in KINDS_AT_NODE.get(node.kind, ()):
        raise DomainError(
            "kind_not_at_node", _("This kind of organisation does not stand at this level."), field="kind"
        )
    if secretary_user is not None:
        # The linked login must work in or above the organisation's territory.
        from zhili.accounts.models import Membership

        paths = [*policies._ancestor_paths(node.path)]
        linked = Membership.objects.filter(
            Q(node__path__in=paths) | Q(node__path__startswith=node.path),
            user=secretary_user,
            active=True,
            role__in=policies.STAFF_ROLES,
        )
        if not getattr(secretary_user, "is_active", False) or not linked.exists():
            raise DomainError(
                "secretary_out_of_scope",
                _("The linked login must work in this organisation's territory."),
                field="secretary_user",
            )


def do_create_org(
    *,
    node: Node,
    kind: str,
    name: str,
    actor: Any,
    secretary_name: str = "",
    secretary_user: Any = None,
) -> PartyOrg:
    if not policies.allowed_at(actor, Perm.MANAGE, node.path):
        raise Forbidden()
    name = _text(name, 100, "name", required=True)
    secretary_name = _text(secretary_name, 50, "secretary_name")
    _check_org_values(node, kind, secretary_user)
    exists = DomainError(
        "org_exists", _("This place already has a party organisation."), field="node", status=409
    )
    with transaction.atomic():
        if PartyOrg.objects.filter(node=node).exists():
            raise exists
        try:
            # A concurrent request may have created it since: the unique node decides.
            with transaction.atomic():
                org = PartyOrg.objects.create(
                    node=node,
                    kind=kind,
                    name=name,
                    parent=_nearest_org(node),
                    secretary_name=secretary_name,
                    secretary_user=secretary_user,
                )
        except IntegrityError:
            raise exists from None
        _adopt_children(org)
        record_audit(
            AuditAction.PARTY_ORG_CHANGED,
            actor=actor,
            target=org,
            node=node,
            details={"created": True, "kind": kind, "name": name},
        )
    return org


def _adopt_children(org: PartyOrg) -> None:
    """Organisations below the new one that hung from an organisation above it now hang from it."""
    above = _ancestor_paths(org.node.path)
    PartyOrg.objects.filter(node__path__startswith=org.node.path).exclude(pk=org.pk).filter(
        Q(parent__isnull=True) | Q(parent__node__path__in=above)
    ).update(parent=org)


def do_update_org(
    org: PartyOrg,
    *,
    kind: str,
    name: str,
    actor: Any,
    secretary_name: str = "",
    secretary_user: Any = None,
) -> PartyOrg:
    if not policies.allowed_at(actor, Perm.MANAGE, org.node.path):
        raise Forbidden()
    name = _text(name, 100, "name", required=True)
    secretary_name = _text(secretary_name, 50, "secretary_name")
    _check_org_values(org.node, kind, secretary_user)
    with transaction.atomic():
        locked = PartyOrg.objects.select_for_update().select_related("node").get(pk=org.pk)
        changed = [
            field
            for field, value in (
                ("kind", kind),
                ("name", name),
                ("secretary_name", secretary_name),
                ("secretary_user_id", getattr(secretary_user, "pk", None)),
            )
            if getattr(locked, field) != value
        ]
        locked.kind, locked.name, locked.secretary_name = kind, name, secretary_name
        locked.secretary_user = secretary_user
        locked.save(update_fields=["kind", "name", "secretary_name", "secretary_user", "updated_at"])
        record_audit(
            AuditAction.PARTY_ORG_CHANGED,
            actor=actor,
            target=locked,
            node=locked.node,
            details={"changed": changed},
        )
    return locked


def grid_group_name(grid: Node) -> str:
    return _("%(grid)s party group") % {"grid": grid.name}


def do_create_missing_grid_groups(community: Node, *, actor: Any) -> list[PartyOrg]:
    """A 网格党小组 for every grid of the community that has none, in one go."""
    if community.kind != NodeKind.COMMUNITY:
        raise DomainError("not_a_community", _("Choose a community."), field="node")
    if not policies.allowed_at(actor, Perm.MANAGE, community.path):
        raise Forbidden()
    with transaction.atomic():
        # Lock the community first: a second request waits here and then finds the groups made, where
        # locking only the grids without a group would let it read the same gaps (READ COMMITTED).
        Node.objects.select_for_update().filter(pk=community.pk).first()
        parent = PartyOrg.objects.filter(node=community).first() or _nearest_org(community)
        grids = list(
            Node.objects.filter(parent=community, kind=NodeKind.GRID, party_org__isnull=True).order_by(
                "sort_key"
            )
        )
        created = PartyOrg.objects.bulk_create(
            [
                PartyOrg(node=grid, kind=OrgKind.GRID_GROUP, name=grid_group_name(grid)[:100], parent=parent)
                for grid in grids
            ]
        )
        if created:
            record_audit(
                AuditAction.PARTY_ORG_CHANGED,
                actor=actor,
                target=community,
                node=community,
                details={"grid_groups_created": [g.pk for g in grids]},
            )
    return list(PartyOrg.objects.filter(node__in=grids).order_by("node__sort_key"))


# Members -----------------------------------------------------------------------------------------


def person_invalid(field: str = "person") -> DomainError:
    """One refusal for a resident who is missing, lives elsewhere or is linked out of sight."""
    return DomainError(
        "person_invalid",
        _("Give the number of a resident registered in the organisation's territory."),
        field=field,
    )


def persons_under(org: PartyOrg) -> Any:
    """The residents a member of ``org`` may be linked to: those living in its territory."""
    return Person.objects.filter(household__building__grid__path__startswith=org.node.path)


def _member_values(
    org: PartyOrg,
    *,
    name: str,
    gender: str,
    joined_on: Any,
    standing: str,
    mobile: str,
    person: Any,
    actor: Any,
    exclude: int | None = None,
) -> dict[str, Any]:
    name = _text(name, 50, "name", required=True)
    if gender not in Gender.values:
        raise DomainError("choice_invalid", _("Choose one of the offered values."), field="gender")
    if standing not in PartyMember.Standing.values:
        raise DomainError("choice_invalid", _("Choose one of the offered values."), field="standing")
    if not isinstance(joined_on, date) or joined_on > timezone.localdate() or joined_on.year < 1921:
        raise DomainError("date_invalid", _("Give a date between 1921 and today."), field="joined_on")
    mobile = normalise_mobile(mobile or "")
    if check_mobile(mobile):
        raise DomainError("mobile_format", _("Enter an 11-digit mainland mobile number."), field="mobile")
    if person is not None:
        # Missing, living elsewhere or linked to a member the actor cannot see: one and the same
        # refusal, so that the registry cannot be probed through this form.
        invalid = person_invalid()
        if not isinstance(person, Person) or not persons_under(org).filter(pk=person.pk).exists():
            raise invalid
        taken = PartyMember.objects.filter(person=person)
        if exclude is not None:
            taken = taken.exclude(pk=exclude)
        if taken.exists():
            if not taken.filter(pk__in=policies.visible_members(actor).values("pk")).exists():
                raise invalid
            raise DomainError(
                "person_taken", _("This resident is already linked to another party member."), field="person"
            )
    return {
        "name": name,
        "gender": gender,
        "joined_on": joined_on,
        "standing": standing,
        "mobile": mobile,
        "person": person,
    }


def do_register_member(
    *,
    org: PartyOrg,
    actor: Any,
    name: str,
    gender: str,
    joined_on: Any,
    standing: str = PartyMember.Standing.FULL,
    mobile: str = "",
    person: Any = None,
) -> PartyMember:
    if not policies.allowed_at(actor, Perm.MANAGE, org.node.path):
        raise Forbidden()
    values = _member_values(
        org,
        name=name,
        gender=gender,
        joined_on=joined_on,
        standing=standing,
        mobile=mobile,
        person=person,
        actor=actor,
    )
    mobile = values.pop("mobile")
    with transaction.atomic():
        member = PartyMember(org=org, **values)
        member.set_mobile(mobile)
        member.save()
        record_audit(
            AuditAction.PARTY_MEMBER_CHANGED,
            actor=actor,
            target=member,
            node=org.node,
            details={"registered": True, "org": org.pk, "mobile": bool(mobile), "person": bool(person)},
        )
    return member


def do_update_member(
    member: PartyMember,
    *,
    actor: Any,
    name: str,
    gender: str,
    joined_on: Any,
    standing: str,
    mobile: str | None = None,
    person: Any = None,
) -> PartyMember:
    """``mobile`` None keeps the stored number, "" removes it."""
    if not policies.allowed_at(actor, Perm.MANAGE, member.org.node.path):
        raise Forbidden()
    values = _member_values(
        member.org,
        name=name,
        gender=gender,
        joined_on=joined_on,
        standing=standing,
        mobile=mobile or "",
        person=person,
        exclude=member.pk,
        actor=actor,
    )
    new_mobile = values.pop("mobile")
    with transaction.atomic():
        locked = PartyMember.objects.select_for_update().get(pk=member.pk)
        changed = [f for f, v in values.items() if getattr(locked, f) != v]
        if mobile is not None and locked.mobile != new_mobile:
            changed.append("mobile")  # that it changed, never the number
            locked.set_mobile(new_mobile)
        for field, value in values.items():
            setattr(locked, field, value)
        locked.save()
        record_audit(
            AuditAction.PARTY_MEMBER_CHANGED,
            actor=actor,
            target=locked,
            node=member.org.node,
            details={"changed": changed},
        )
    return locked


def do_transfer_member(
    member: PartyMember, *, to_org: PartyOrg, actor: Any, on: date | None = None, note: str = ""
) -> PartyMember:
    """组织关系转接 within the platform: both organisations must be the actor's to manage."""
    if not policies.allowed_at(actor, Perm.MANAGE, member.org.node.path):
        raise Forbidden()
    if not policies.allowed_at(actor, Perm.MANAGE, to_org.node.path):
        raise DomainError(
            "org_out_of_scope", _("Choose an organisation you manage."), field="to_org", status=403
        )
    note = _text(note, 300, "note")
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = PartyMember.objects.select_for_update().select_related("org__node").get(pk=member.pk)
        if locked.status != MemberStatus.ACTIVE:
            raise DomainError(
                "not_active", _("Only a member on the register can be transferred."), status=409
            )
        if locked.org_id == to_org.pk:
            raise DomainError(
                "same_org", _("The member already belongs to this organisation."), field="to_org"
            )
        from_org = locked.org
        # A linked resident who does not live under the new organisation is unlinked, and the history
        # says so.
        unlink = (
            locked.person_id is not None and not persons_under(to_org).filter(pk=locked.person_id).exists()
        )
        if unlink:
            said = _("Link to the resident record removed: not living in the new territory.")
            note = f"{said} {note}".strip()[:300]
            locked.person = None
        MemberTransfer.objects.create(
            member=locked, from_org=from_org, to_org=to_org, on=on, note=note, actor=actor, at=timezone.now()
        )
        # Households kept in touch with belong to the old grid.
        dropped = ContactHousehold.objects.filter(member=locked).exclude(
            household__building__grid__path__startswith=to_org.node.path
        )
        dropped_count = dropped.count()
        dropped.delete()
        locked.org = to_org
        locked.save(update_fields=["org", "person", "updated_at"])
        record_audit(
            AuditAction.PARTY_MEMBER_CHANGED,
            actor=actor,
            target=locked,
            node=to_org.node,
            details={
                "transfer": True,
                "from": from_org.pk,
                "to": to_org.pk,
                "contacts_dropped": dropped_count,
                "person_unlinked": unlink,
            },
        )
    return locked


def do_transition_member(
    member: PartyMember,
    transition: MemberTransition,
    *,
    actor: Any,
    on: date | None = None,
    destination: str = "",
) -> PartyMember:
    """The one path of member status changes (states.MEMBER_TRANSITIONS): 转出."""
    if not policies.allowed_at(actor, Perm.MANAGE, member.org.node.path):
        raise Forbidden()
    destination = _text(destination, 200, "destination", required=True)
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = PartyMember.objects.select_for_update().select_related("org__node").get(pk=member.pk)
        if not member_allowed(transition, locked.status):
            raise DomainError(
                "transition_not_allowed",
                _("This step is not possible in the member's current status."),
                status=409,
            )
        source = locked.status
        MemberTransfer.objects.create(
            member=locked, from_org=locked.org, destination=destination, on=on, actor=actor, at=timezone.now()
        )
        ContactHousehold.objects.filter(member=locked).delete()
        locked.status = MemberStatus.MOVED_OUT
        locked.moved_out_on, locked.moved_out_to = on, destination
        locked.save(update_fields=["status", "moved_out_on", "moved_out_to", "updated_at"])
        record_audit(
            AuditAction.PARTY_MEMBER_CHANGED,
            actor=actor,
            target=locked,
            node=locked.org.node,
            details={"transition": transition.value, "from": source, "to": locked.status},
        )
    return locked


# Households kept in touch with (党员联系户) --------------------------------------------------------


def _contact_guard(member: PartyMember, household: Household, actor: Any) -> None:
    grid_path = household.building.grid.path
    if not policies.allowed_at(actor, Perm.ATTEND, grid_path):
        raise Forbidden()
    if not policies.allowed_at(actor, Perm.NAMES, member.org.node.path):
        raise Forbidden()
    if member.status != MemberStatus.ACTIVE:
        raise DomainError("not_active", _("Only a member on the register keeps in touch with households."))
    if not grid_path.startswith(member.org.node.path) or member.org.node.kind != NodeKind.GRID:
        raise DomainError(
            "household_out_of_grid",
            _("A member keeps in touch with households of their own grid only."),
            field="household",
        )


def do_link_household(member: PartyMember, household: Household, *, actor: Any) -> bool:
    _contact_guard(member, household, actor)
    with transaction.atomic():
        _link, created = ContactHousehold.objects.get_or_create(member=member, household=household)
        if created:
            record_audit(
                AuditAction.PARTY_MEMBER_CHANGED,
                actor=actor,
                target=member,
                node=household.building.grid,
                details={"contact_added": household.pk},
            )
    return created


def do_unlink_household(member: PartyMember, household: Household, *, actor: Any) -> bool:
    grid_path = household.building.grid.path
    if not policies.allowed_at(actor, Perm.ATTEND, grid_path):
        raise Forbidden()
    with transaction.atomic():
        deleted, _rows = ContactHousehold.objects.filter(member=member, household=household).delete()
        if deleted:
            record_audit(
                AuditAction.PARTY_MEMBER_CHANGED,
                actor=actor,
                target=member,
                node=household.building.grid,
                details={"contact_removed": household.pk},
            )
    return bool(deleted)


# Activities --------------------------------------------------------------------------------------


MAX_PLACES = 9999


def _places(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        places = int(value)
    except (TypeError, ValueError, OverflowError):
        places = 0
    if places < 1 or places > MAX_PLACES:
        raise DomainError("places_invalid", _("Give a number of places between 1 and 9999."), field="places")
    return places


def do_plan_activity(
    *,
    org: PartyOrg,
    actor: Any,
    kind: str,
    title: str,
    date: Any,
    place: str = "",
    note: str = "",
    open_to_residents: bool = False,
    places: Any = None,
) -> Activity:
    if not policies.allowed_at(actor, Perm.PLAN, org.node.path):
        raise Forbidden()
    if kind not in ActivityKind.values:
        raise DomainError("choice_invalid", _("Choose one of the offered values."), field="kind")
    title = _text(title, 120, "title", required=True)
    place = _text(place, 120, "place")
    note = _text(note, 500, "note")
    if not isinstance(date, dt.date):
        raise DomainError("required", _("This field is required."), field="date")
    open_to_residents = bool(open_to_residents)
    if open_to_residents and kind != ActivityKind.VOLUNTEER:
        raise DomainError(
            "open_volunteer_only",
            _("Only a volunteer service can be opened to residents' sign-up."),
            field="open_to_residents",
        )
    cap = _places(places) if open_to_residents else None
    with transaction.atomic():
        activity = Activity.objects.create(
            org=org,
            kind=kind,
            title=title,
            date=date,
            place=place,
            note=note,
            open_to_residents=open_to_residents,
            places=cap,
            created_by=actor,
        )
        details: dict[str, Any] = {"planned": True, "kind": kind, "date": date.isoformat()}
        if open_to_residents:
            details.update(open_to_residents=True, places=cap)
        record_audit(
            AuditAction.PARTY_ACTIVITY_CHANGED, actor=actor, target=activity, node=org.node, details=details
        )
    return activity


def do_transition_activity(activity: Activity, transition: ActivityTransition, *, actor: Any) -> Activity:
    """The one path of activity status changes (states.ACTIVITY_TRANSITIONS)."""
    now = timezone.now()
    with transaction.atomic():
        locked = Activity.objects.select_for_update().select_related("org__node").get(pk=activity.pk)
        if not policies.allowed_at(actor, Perm.PLAN, locked.org.node.path):
            raise Forbidden()
        if not activity_allowed(transition, locked.status):
            raise DomainError(
                "transition_not_allowed",
                _("This step is not possible in the activity's current status."),
                status=409,
            )
        if transition is ActivityTransition.HOLD and locked.date > timezone.localdate():
            raise DomainError(
                "not_yet", _("An activity can be marked as held on or after its date."), status=409
            )
        source, target = locked.status, ACTIVITY_TRANSITIONS[transition][1]
        locked.status = target
        fields = ["status", "updated_at"]
        if transition is ActivityTransition.HOLD:
            locked.held_at = now
            fields.append("held_at")
        else:
            locked.cancelled_at = now
            fields.append("cancelled_at")
        locked.save(update_fields=fields)
        record_audit(
            AuditAction.PARTY_ACTIVITY_CHANGED,
            actor=actor,
            target=locked,
            node=locked.org.node,
            details={"transition": transition.value, "from": source, "to": target},
        )
    return locked


# Residents' sign-up for volunteer services (社区志愿活动) -------------------------------------------


def _locked_open_activity(activity_id: Any, actor: Any) -> Activity:
    """The activity row locked (places are counted under this lock), 404 unless open to ``actor``."""
    ids = policies.home_node_ids(actor)
    try:
        locked = (
            Activity.objects.select_for_update()
            .select_related("org__node")
            .get(pk=activity_id, org__node_id__in=sorted(ids))
        )
    except (Activity.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if not locked.open_to_residents or locked.kind != ActivityKind.VOLUNTEER:
        raise NotFound()
    if locked.status != ActivityStatus.PLANNED:
        raise DomainError("not_planned", _("This activity is no longer taking sign-ups."), status=409)
    return locked


def do_sign_up(activity_id: Any, *, actor: Any) -> bool:
    """Sign ``actor`` up for an open volunteer service. True when signed up now, False when they
    already were. Refused once all places are taken or the activity's date has passed."""
    with transaction.atomic():
        locked = _locked_open_activity(activity_id, actor)
        if VolunteerSignup.objects.filter(activity=locked, user=actor).exists():
            return False
        if locked.date < timezone.localdate():
            raise DomainError("too_late", _("This activity has already taken place."), status=409)
        taken = VolunteerSignup.objects.filter(activity=locked).count()
        if locked.places is not None and taken >= locked.places:
            raise DomainError("full", _("All places are taken: the sign-up did not go through."), status=409)
        VolunteerSignup.objects.create(activity=locked, user=actor)
        record_audit(
            AuditAction.PARTY_ACTIVITY_CHANGED,
            actor=actor,
            target=locked,
            node=locked.org.node,
            details={"signed_up": True, "signups": taken + 1},
        )
    return True


def do_cancel_sign_up(activity_id: Any, *, actor: Any) -> bool:
    """Withdraw ``actor``'s own sign-up, before the activity's date. False when there was none."""
    with transaction.atomic():
        locked = _locked_open_activity(activity_id, actor)
        signup = VolunteerSignup.objects.filter(activity=locked, user=actor).first()
        if signup is None:
            return False
        if locked.date <= timezone.localdate():
            raise DomainError(
                "too_late", _("A sign-up can be cancelled only before the day of the activity."), status=409
            )
        signup.delete()
        left = VolunteerSignup.objects.filter(activity=locked).count()
        record_audit(
            AuditAction.PARTY_ACTIVITY_CHANGED,
            actor=actor,
            target=locked,
            node=locked.org.node,
            details={"signup_cancelled": True, "signups": left},
        )
    return True


def _hours(value: Any) -> Decimal:
    try:
        hours = Decimal(str(value if value not in (None, "") else 0))
    except (InvalidOperation, ValueError):
        raise DomainError("hours_invalid", _("Give hours between 0 and 24."), field="hours") from None
    if not hours.is_finite() or hours < 0 or hours > MAX_HOURS:
        raise DomainError("hours_invalid", _("Give hours between 0 and 24."), field="hours")
    return hours.quantize(Decimal("0.1"))


def do_record_attendance(activity: Activity, *, entries: Mapping[Any, Any], actor: Any) -> int:
    """Who took part and their volunteer hours: ``entries`` maps member id → hours, for the members
    the actor may record (grid workers: their grid's). Members of that part left out are marked
    absent; attendance recorded by others for other members is kept. Returns how many attended."""
    with transaction.atomic():
        locked = Activity.objects.select_for_update().select_related("org__node").get(pk=activity.pk)
        paths = policies.attend_paths(actor, locked)
        if not paths:
            raise Forbidden()
        if locked.status not in ATTENDANCE_STATUSES:
            raise DomainError(
                "not_held", _("Attendance is recorded once the activity has been held."), status=409
            )
        try:
            wanted = {int(k): _hours(v) for k, v in entries.items()}
        except (TypeError, ValueError):
            raise DomainError(
                "member_invalid", _("Choose members of this organisation."), field="members"
            ) from None
        # Members may have moved out since; those already recorded stay eligible for correction.
        eligible = PartyMember.objects.filter(path_q(paths, "org__node__path")).filter(
            Q(status=MemberStatus.ACTIVE) | Q(attendance__activity=locked)
        )
        eligible_ids = set(eligible.values_list("pk", flat=True))
        if set(wanted) - eligible_ids:
            raise DomainError("member_invalid", _("Choose members of this organisation."), field="members")
        now = timezone.now()
        existing = {
            a.member_id: a for a in Attendance.objects.filter(activity=locked, member_id__in=eligible_ids)
        }
        removed = [pk for pk in existing if pk not in wanted]
        Attendance.objects.filter(activity=locked, member_id__in=removed).delete()
        changed = []
        for member_id, hours in wanted.items():
            row = existing.get(member_id)
            if row is None:
                changed.append(Attendance(activity=locked, member_id=member_id, hours=hours))
            elif row.hours != hours:
                row.hours = hours
                row.recorded_by, row.recorded_at = actor, now
                row.save(update_fields=["hours", "recorded_by", "recorded_at"])
        for row in changed:
            row.recorded_by, row.recorded_at = actor, now
        Attendance.objects.bulk_create(changed)
        record_audit(
            AuditAction.PARTY_ACTIVITY_CHANGED,
            actor=actor,
            target=locked,
            node=locked.org.node,
            details={
                "attendance": True,
                "present": sorted(wanted),
                "removed": sorted(removed),
                "hours": str(sum(wanted.values(), Decimal(0))),
            },
        )
    return len(wanted)


def do_record_members_export(*, actor: Any, counts: list[tuple[Node, int]]) -> None:
    """One audit row per exported subtree (node, rows), so that the auditors of each see it."""
    with transaction.atomic():
        for node, count in counts:
            record_audit(
                AuditAction.PARTY_MEMBERS_EXPORTED,
                actor=actor,
                target=node,
                node=node,
                details={"rows": count},
            )
