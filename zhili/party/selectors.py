"""Reads of party building: organisation lists, coverage, members, contacts, activities, hours."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from zhili.authz.policies import path_q
from zhili.party import policies
from zhili.party.models import Activity, Attendance, ContactHousehold, PartyMember, PartyOrg, VolunteerSignup
from zhili.party.policies import Perm
from zhili.party.states import ActivityStatus, MemberStatus
from zhili.territory.models import Household, Node, NodeKind

ACTIVE = Q(members__status=MemberStatus.ACTIVE)


def this_year() -> int:
    return timezone.localdate().year


def org_list(user: Any, year: int | None = None) -> list[PartyOrg]:
    """Visible organisations in tree order, with members on the register and activities held this year."""
    year = year or this_year()
    members = (
        PartyMember.objects.filter(status=MemberStatus.ACTIVE)
        .values("org")
        .annotate(n=Count("pk"))
        .values_list("org", "n")
    )
    orgs = list(policies.visible_orgs(user).select_related("node", "parent").order_by("node__sort_key"))
    ids = [o.pk for o in orgs]
    member_counts = dict(members.filter(org__in=ids))
    activity_counts = dict(
        Activity.objects.filter(org__in=ids, status=ActivityStatus.HELD, date__year=year)
        .values("org")
        .annotate(n=Count("pk"))
        .values_list("org", "n")
    )
    for org in orgs:
        org.member_count = member_counts.get(org.pk, 0)  # type: ignore[attr-defined]
        org.activity_count = activity_counts.get(org.pk, 0)  # type: ignore[attr-defined]
    return orgs


@dataclass
class CoverageRow:
    grid: Node
    community: Node | None
    org: PartyOrg | None
    members: int


@dataclass
class Coverage:
    rows: list[CoverageRow] = field(default_factory=list)
    # Communities (in the user's managing scope) with grids lacking a party group: id → missing count.
    creatable: dict[int, int] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        return sum(1 for r in self.rows if r.org is None)

    @property
    def covered(self) -> int:
        return len(self.rows) - self.missing


def coverage(user: Any) -> Coverage:
    """Every grid in the user's scope: its party group, members on the register and secretary.
    Grids without a party group come first."""
    paths = policies.scope(user, Perm.VIEW)
    grids = list(
        Node.objects.filter(path_q(paths, "path"), kind=NodeKind.GRID)
        .select_related("parent")
        .order_by("sort_key")
    )
    orgs = {
        o.node_id: o
        for o in PartyOrg.objects.filter(node__in=grids).annotate(
            active_members=Count("members", filter=ACTIVE)
        )
    }
    rows = [
        CoverageRow(
            grid=g,
            community=g.parent,
            org=orgs.get(g.pk),
            members=getattr(orgs.get(g.pk), "active_members", 0),
        )
        for g in grids
    ]
    rows.sort(key=lambda r: r.org is not None)  # stable: tree order within each half
    out = Coverage(rows=rows)
    for row in rows:
        if (
            row.org is None
            and row.community is not None
            and policies.allowed_at(user, Perm.MANAGE, row.community.path)
        ):
            out.creatable[row.community.pk] = out.creatable.get(row.community.pk, 0) + 1
    return out


def member_list(
    user: Any, *, org_id: Any = None, status: str = MemberStatus.ACTIVE, q: str = ""
) -> QuerySet[PartyMember]:
    members = policies.visible_members(user).select_related("org__node")
    if status in MemberStatus.values:
        members = members.filter(status=status)
    if org_id:
        try:
            members = members.filter(org_id=int(org_id))
        except (TypeError, ValueError):
            members = members.none()
    if q:
        members = members.filter(name__icontains=q[:50])
    return members.order_by("org__node__sort_key", "name", "pk")


def member_count_by_org(user: Any) -> dict[int, int]:
    ids = policies.visible_orgs(user).values("pk")
    return dict(
        PartyMember.objects.filter(org__in=ids, status=MemberStatus.ACTIVE)
        .values("org")
        .annotate(n=Count("pk"))
        .values_list("org", "n")
    )


def household_label(household: Household) -> str:
    """The address of a household, nothing about who lives there."""
    return f"{household.building.address} {household.number}"


@dataclass
class ContactsPage:
    grid: Node
    org: PartyOrg | None
    members: list[PartyMember]
    unlinked: list[Household]
    households: list[Household]


def contacts(grid: Node) -> ContactsPage:
    org = PartyOrg.objects.filter(node=grid).first()
    members: list[PartyMember] = []
    if org is not None:
        members = list(
            PartyMember.objects.filter(org=org, status=MemberStatus.ACTIVE)
            .order_by("name", "pk")
            .prefetch_related(
                Prefetch(
                    "contacts",
                    queryset=ContactHousehold.objects.select_related("household__building").order_by(
                        "household__building__address", "household__number"
                    ),
                )
            )
        )
    households = list(
        Household.objects.filter(building__grid=grid)
        .select_related("building")
        .order_by("building__address", "number")
    )
    linked = set(
        ContactHousehold.objects.filter(
            household__building__grid=grid, member__status=MemberStatus.ACTIVE
        ).values_list("household_id", flat=True)
    )
    unlinked = [h for h in households if h.pk not in linked]
    return ContactsPage(grid=grid, org=org, members=members, unlinked=unlinked, households=households)


def activity_list(
    user: Any, *, status: str = "", kind: str = "", year: int | None = None
) -> QuerySet[Activity]:
    activities = policies.visible_activities(user).select_related("org__node")
    if status:
        activities = activities.filter(status=status)
    if kind:
        activities = activities.filter(kind=kind)
    if year:
        activities = activities.filter(date__year=year)
    return activities.annotate(attendees=Count("attendance"), hours=Sum("attendance__hours")).order_by(
        "-date", "-pk"
    )


def attendance_rows(activity: Activity, paths: list[str]) -> list[dict[str, Any]]:
    """Members the recorder may mark (within ``paths``), with what is recorded for them."""
    recorded = {a.member_id: a for a in Attendance.objects.filter(activity=activity)}
    members = (
        PartyMember.objects.filter(path_q(paths, "org__node__path"))
        .filter(Q(status=MemberStatus.ACTIVE) | Q(pk__in=list(recorded)))
        .select_related("org")
        .order_by("org__node__sort_key", "name", "pk")
    )
    return [
        {
            "member": m,
            "present": m.pk in recorded,
            "hours": recorded[m.pk].hours if m.pk in recorded else None,
        }
        for m in members
    ]


def attendance_names(activity: Activity, user: Any) -> list[Attendance]:
    """Recorded attendance the user may see by name."""
    return list(
        Attendance.objects.filter(activity=activity)
        .filter(path_q(policies.scope(user, Perm.NAMES), "member__org__node__path"))
        .select_related("member")
        .order_by("member__name")
    )


def hours_by_node(user: Any, year: int) -> list[dict[str, Any]]:
    """Volunteer hours of held activities in ``year``, by the grid (or other node) of the members'
    organisations, within the user's viewing scope."""
    rows = (
        Attendance.objects.filter(
            activity__status=ActivityStatus.HELD,
            activity__date__year=year,
        )
        .filter(path_q(policies.scope(user, Perm.VIEW), "member__org__node__path"))
        .values("member__org__node", "member__org__node__name", "member__org__node__sort_key")
        .annotate(hours=Sum("hours"), people=Count("member", distinct=True))
        .order_by("member__org__node__sort_key")
    )
    return [
        {
            "node_id": r["member__org__node"],
            "name": r["member__org__node__name"],
            "hours": r["hours"] or Decimal(0),
            "people": r["people"],
        }
        for r in rows
    ]


def member_hours(user: Any, year: int) -> list[dict[str, Any]]:
    """Each visible member's volunteer hours and activities attended in ``year``."""
    totals: dict[int, dict[str, Any]] = defaultdict(lambda: {"hours": Decimal(0), "activities": 0})
    for member_id, hours, n in (
        Attendance.objects.filter(activity__status=ActivityStatus.HELD, activity__date__year=year)
        .filter(path_q(policies.scope(user, Perm.NAMES), "member__org__node__path"))
        .values("member")
        .annotate(h=Sum("hours"), n=Count("pk"))
        .values_list("member", "h", "n")
    ):
        totals[member_id] = {"hours": hours or Decimal(0), "activities": n}
    members = policies.visible_members(user).filter(pk__in=list(totals)).select_related("org")
    out = [{"member": m, **totals[m.pk]} for m in members]
    out.sort(key=lambda r: (-r["hours"], r["member"].name))
    return out


def coverage_counts(path: str) -> tuple[int, int]:
    """(grids, grids with a party group) under the node of ``path``: the cockpit's figure (one query)."""
    counts = Node.objects.filter(path__startswith=path, kind=NodeKind.GRID).aggregate(
        grids=Count("pk"), covered=Count("pk", filter=Q(party_org__isnull=False))
    )
    return counts["grids"], counts["covered"]


# Residents' volunteer page (社区志愿活动) -------------------------------------------------------------


def volunteer_activities(user: Any) -> list[Activity]:
    """Upcoming open volunteer services where the user lives, with ``taken`` (sign-ups so far),
    ``places_left`` (None without a cap) and ``mine`` (the user signed up)."""
    rows: list[Activity] = list(
        policies.open_activities(user)
        .filter(date__gte=timezone.localdate())
        .select_related("org")
        .annotate(
            taken=Count("signups", distinct=True),
            mine=Exists(VolunteerSignup.objects.filter(activity=OuterRef("pk"), user_id=user.pk)),
        )
        .order_by("date", "id")
    )
    for activity in rows:
        taken = getattr(activity, "taken", 0)
        activity.places_left = None if activity.places is None else max(0, activity.places - taken)  # type: ignore[attr-defined]
    return rows


def signups(activity: Activity) -> list[VolunteerSignup]:
    """Who signed up, for those who plan the activity."""
    return list(
        VolunteerSignup.objects.filter(activity=activity).select_related("user").order_by("created_at", "id")
    )
