"""Loading the demo region: one action, one transaction, one DEMO_LOADED audit row.

The tree and the boundaries go through the territory actions (so they carry their own audit rows
and checks); the thousands of buildings, households and residents are bulk inserted. That is the
documented exception to one action per row: a generated region is one event, recorded once with
its counts, and per-row audit rows would bury the real log under fifteen thousand demo entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils.translation import gettext as _

from zhili.accounts.models import Department, Membership, User
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError
from zhili.demo.logins import demo_logins
from zhili.demo.names import DEPARTMENTS, DISTRICT_NAME, STREET_NAME
from zhili.demo.people import PersonPlan
from zhili.demo.plan import DISTRICT_CODE, STREET_CODE, RegionPlan, plan_region
from zhili.residents.models import Person, PersonTag, Tag
from zhili.territory.actions import do_create_node, do_draw_area_boundary, do_draw_boundary
from zhili.territory.addresses import normalise_address
from zhili.territory.geometry import to_geojson
from zhili.territory.models import Building, GridBoundary, Household, Node, NodeKind

BATCH_SIZE = 1000


@dataclass
class DemoLoadResult:
    seed: int
    scale: float
    counts: dict[str, int]
    district: Node


def territory_is_empty() -> bool:
    return not Node.objects.exists()


def _person_row(plan: PersonPlan, household_id: int) -> Person:
    person = Person(
        household_id=household_id,
        name=plan.name,
        gender=plan.gender,
        birth_date=plan.birth_date,
        relation_to_head=plan.relation,
        residence_status=plan.status,
        moved_in_on=plan.moved_in_on,
    )
    person.set_id_number(plan.id_number)
    person.set_mobile(plan.mobile)
    return person


def _create_tree(plan: RegionPlan, actor: Any) -> tuple[Node, Node, dict[str, Node], dict[str, GridBoundary]]:
    district = do_create_node(
        kind=NodeKind.DISTRICT, name=DISTRICT_NAME, code=DISTRICT_CODE, parent=None, actor=actor
    )
    street = do_create_node(
        kind=NodeKind.STREET, name=STREET_NAME, code=STREET_CODE, parent=district, actor=actor
    )
    nodes: dict[str, Node] = {district.code: district, street.code: street}
    boundaries: dict[str, GridBoundary] = {}
    note = _("Demo region")
    for community in plan.communities:
        community_node = do_create_node(
            kind=NodeKind.COMMUNITY, name=community.name, code=community.code, parent=street, actor=actor
        )
        nodes[community.code] = community_node
        for grid in community.grids:
            grid_node = do_create_node(
                kind=NodeKind.GRID, name=grid.name, code=grid.code, parent=community_node, actor=actor
            )
            nodes[grid.code] = grid_node
            boundaries[grid.code] = do_draw_boundary(
                grid_node, to_geojson(grid.polygon), actor=actor, note=note
            )
        # The community's polygon is the union of its grids (demo.geometry): stored so that a later
        # import or redraw is checked against it. Empty only if the union fell apart (never seen).
        if not community.polygon.is_empty:
            do_draw_area_boundary(community_node, to_geojson(community.polygon), actor=actor, note=note)
    return district, street, nodes, boundaries


def _create_residents(plan: RegionPlan, nodes: dict[str, Node], boundaries: dict[str, GridBoundary]) -> int:
    buildings = [
        Building(
            grid=nodes[grid.code],
            boundary=boundaries[grid.code],
            name=building.name,
            address=building.address,
            address_key=normalise_address(building.address),
            lat=building.lat,
            lng=building.lng,
            floors=building.floors,
        )
        for grid in plan.grids()
        for building in grid.buildings
    ]
    Building.objects.bulk_create(buildings, batch_size=BATCH_SIZE)
    households = [
        Household(building=row, number=household.number)
        for row, building in zip(buildings, plan.buildings(), strict=True)
        for household in building.households
    ]
    Household.objects.bulk_create(households, batch_size=BATCH_SIZE)
    person_plans: list[PersonPlan] = []
    persons: list[Person] = []
    for row, household in zip(households, plan.households(), strict=True):
        for member in household.members:
            person_plans.append(member)
            persons.append(_person_row(member, row.pk))
    Person.objects.bulk_create(persons, batch_size=BATCH_SIZE)
    tag_ids = dict(Tag.objects.values_list("code", "pk"))
    PersonTag.objects.bulk_create(
        [
            PersonTag(person_id=person.pk, tag_id=tag_ids[code])
            for person, member in zip(persons, person_plans, strict=True)
            for code in member.tags
        ],
        batch_size=BATCH_SIZE * 2,
    )
    return len(buildings)


def _create_staff(street: Node, nodes: dict[str, Node]) -> tuple[int, int]:
    departments = {
        code: Department.objects.create(name=name, code=code, node=street)
        for name, code, _slug in DEPARTMENTS
    }
    logins = demo_logins()
    # One hash for the one published password: at Django's argon2 cost (100 MiB, ~0.3-0.5 s each
    # on two cores) hashing it once per account was most of the load time. Each account still
    # checks its password with argon2, and a changed password gets its own salt.
    hashed = {password: make_password(password) for password in {login.password for login in logins}}
    users: list[User] = []
    for login in logins:
        department = departments[login.department_code] if login.department_code else None
        user = User(
            username=User.normalize_username(login.username),
            display_name=login.display_name,
            email=login.email,
            department=department,
            password=hashed[login.password],
        )
        # The demo must never hand out a password that the site itself would refuse.
        validate_password(login.password, user=user)
        users.append(user)
    User.objects.bulk_create(users)
    Membership.objects.bulk_create(
        [
            Membership(user=user, role=login.role, node=nodes[login.node_code])
            for user, login in zip(users, logins, strict=True)
        ]
    )
    return len(departments), len(logins)


def do_load_demo_region(seed: int, *, actor: Any = None, scale: float = 1.0) -> DemoLoadResult:
    """Build the demo district into an empty database; refuses when any territory node exists."""
    plan = plan_region(seed, scale=scale)  # pure computation, before the write transaction
    with transaction.atomic():
        if not territory_is_empty():
            raise DomainError(
                "territory_not_empty",
                _("The territory already holds data; the demo region loads only into an empty database."),
            )
        district, street, nodes, boundaries = _create_tree(plan, actor)
        buildings = _create_residents(plan, nodes, boundaries)
        departments, users = _create_staff(street, nodes)
        counts = {
            **plan.counts(),
            "buildings": buildings,
            "tagged_persons": sum(1 for person in plan.persons() if person.tags),
            "departments": departments,
            "users": users,
        }
        record_audit(
            AuditAction.DEMO_LOADED,
            actor=actor,
            target=district,
            node=district,
            details={"seed": seed, "scale": scale, "counts": counts},
        )
    return DemoLoadResult(seed=seed, scale=scale, counts=counts, district=district)
