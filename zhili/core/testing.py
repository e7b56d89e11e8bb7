"""Test personas: one small region and a user for every role, shared by every app's tests.

Region (lng/lat near 116.3E, 39.9N):

    street S ─┬─ community C1 ─┬─ grid A   (116.300–116.310, 39.900–39.910)
              │                └─ grid B   (116.310–116.320, 39.900–39.910)
              └─ community C2 ─── grid C   (116.320–116.330, 39.900–39.910)
    street T (another street) ─── community D1 ─── grid D  (outsider lives here)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from zhili.accounts.models import Department, Membership, User
from zhili.accounts.roles import Role
from zhili.territory.actions import do_create_node, do_draw_boundary
from zhili.territory.models import Node, NodeKind

PASSWORD = "correct-horse-battery-staple"


def square(lng0: float, lat0: float, lng1: float, lat1: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]],
    }


GRID_SQUARES = {
    "A": square(116.300, 39.900, 116.310, 39.910),
    "B": square(116.310, 39.900, 116.320, 39.910),
    "C": square(116.320, 39.900, 116.330, 39.910),
    "D": square(116.400, 39.900, 116.410, 39.910),
}


@dataclass
class Region:
    street: Node
    c1: Node
    c2: Node
    grid_a: Node
    grid_b: Node
    grid_c: Node
    other_street: Node
    other_community: Node
    grid_d: Node
    department: Department
    users: dict[str, User] = field(default_factory=dict)

    def user(self, persona: str) -> User:
        return self.users[persona]


def make_user(username: str, *, role: Role | None, node: Node | None, **extra: Any) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=username, **extra)
    if role is not None and node is not None:
        Membership.objects.create(user=user, role=role, node=node)
    return user


@transaction.atomic
def make_region() -> Region:
    street = do_create_node(kind=NodeKind.STREET, name="Test street", code="S", parent=None, actor=None)
    c1 = do_create_node(kind=NodeKind.COMMUNITY, name="Community 1", code="S-C1", parent=street, actor=None)
    c2 = do_create_node(kind=NodeKind.COMMUNITY, name="Community 2", code="S-C2", parent=street, actor=None)
    grid_a = do_create_node(kind=NodeKind.GRID, name="Grid A", code="S-C1-A", parent=c1, actor=None)
    grid_b = do_create_node(kind=NodeKind.GRID, name="Grid B", code="S-C1-B", parent=c1, actor=None)
    grid_c = do_create_node(kind=NodeKind.GRID, name="Grid C", code="S-C2-C", parent=c2, actor=None)
    other = do_create_node(kind=NodeKind.STREET, name="Other street", code="T", parent=None, actor=None)
    d1 = do_create_node(kind=NodeKind.COMMUNITY, name="Community D1", code="T-D1", parent=other, actor=None)
    grid_d = do_create_node(kind=NodeKind.GRID, name="Grid D", code="T-D1-D", parent=d1, actor=None)
    # territory: every grid gets its square as boundary version 1.
    for letter, grid in (("A", grid_a), ("B", grid_b), ("C", grid_c), ("D", grid_d)):
        do_draw_boundary(grid, GRID_SQUARES[letter], actor=None)
    department = Department.objects.create(name="Urban management", code="CG", node=street)
    region = Region(street, c1, c2, grid_a, grid_b, grid_c, other, d1, grid_d, department)
    personas: dict[str, tuple[Role | None, Node | None]] = {
        "resident": (Role.RESIDENT, grid_a),
        "grid_worker_a": (Role.GRID_WORKER, grid_a),
        "grid_worker_b": (Role.GRID_WORKER, grid_b),
        "community_staff": (Role.COMMUNITY_STAFF, c1),
        "dispatcher": (Role.DISPATCHER, street),
        "handler": (Role.HANDLER, street),
        "supervisor": (Role.SUPERVISOR, street),
        "leader": (Role.LEADER, street),
        "party_secretary": (Role.PARTY_SECRETARY, street),
        "auditor": (Role.AUDITOR, street),
        "admin": (Role.ADMIN, street),
        "outsider": (Role.GRID_WORKER, grid_d),
        "nobody": (None, None),
    }
    for persona, (role, node) in personas.items():
        extra: dict[str, Any] = {"department": department} if persona == "handler" else {}
        region.users[persona] = make_user(persona, role=role, node=node, **extra)
    return region
