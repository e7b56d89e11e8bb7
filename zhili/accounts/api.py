"""Accounts API: who am I, and which posts do I hold."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.accounts.selectors import active_memberships

router = Router(tags=["accounts"])


class MembershipOut(Schema):
    id: int
    role: str
    role_label: str
    node_id: int
    node_code: str
    node_name: str
    node_kind: str


class MeOut(Schema):
    username: str
    display_name: str
    department: str | None
    memberships: list[MembershipOut]


@router.get("/me", response=MeOut, summary="The logged-in user and their active posts")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    assert isinstance(user, User)  # the API's django_auth lets only logged-in users through
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        department=user.department.name if user.department_id and user.department else None,
        memberships=[
            MembershipOut(
                id=m.pk,
                role=m.role,
                role_label=str(Role(m.role).label),
                node_id=m.node_id,
                node_code=m.node.code,
                node_name=m.node.name,
                node_kind=m.node.kind,
            )
            for m in active_memberships(user)
        ],
    )
