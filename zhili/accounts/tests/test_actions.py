from __future__ import annotations

import json

import pytest

from zhili.accounts import actions
from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.audit.models import AuditAction, AuditEvent
from zhili.authz import policies
from zhili.core.errors import DomainError, Forbidden, NotFound

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Qingshan-Road-2024!"


def create(region, actor, **overrides):
    fields = {
        "username": "newcomer",
        "display_name": "王小明",
        "password": GOOD_PASSWORD,
        "role": Role.GRID_WORKER,
        "node": region.grid_a,
        "department": None,
    }
    fields.update(overrides)
    return actions.do_create_user(actor=actor, **fields)


def test_create_user_makes_the_account_and_its_first_post_and_audits_both(region):
    admin = region.user("admin")
    user = create(region, admin, department=region.department)
    assert user.check_password(GOOD_PASSWORD)
    assert user.display_name == "王小明"
    assert user.department == region.department
    assert not user.is_staff and not user.is_superuser
    [membership] = user.memberships.all()
    assert (membership.role, membership.node, membership.granted_by, membership.active) == (
        Role.GRID_WORKER,
        region.grid_a,
        admin,
        True,
    )
    created = AuditEvent.objects.get(action=AuditAction.USER_CREATED)
    assert created.actor_id == admin.pk
    assert created.target_id == str(user.pk)
    assert created.details == {"username": "newcomer", "display_name": "王小明", "department": "CG"}
    granted = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_GRANTED)
    assert granted.details == {"username": "newcomer", "role": "grid_worker", "node": "S-C1-A"}
    assert granted.node_id == region.grid_a.pk


def test_the_password_never_reaches_the_audit_log(region):
    create(region, region.user("admin"))
    dumped = json.dumps(list(AuditEvent.objects.values("details")), ensure_ascii=False)
    assert GOOD_PASSWORD not in dumped
    assert "password" not in dumped


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"username": "GRID_WORKER_A"}, "username_taken"),  # case-insensitively taken
        ({"username": "  "}, "username_required"),
        ({"password": "12345678901"}, "password_invalid"),  # all digits
        ({"password": "short"}, "password_invalid"),
        ({"password": "newcomer123"}, "password_invalid"),  # too like the username
        ({"role": Role.RESIDENT}, "role_not_grantable"),
        ({"role": "emperor"}, "role_not_grantable"),
    ],
)
def test_create_user_refusals_leave_nothing_behind(region, overrides, code):
    before = (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    with pytest.raises(DomainError) as caught:
        create(region, region.user("admin"), **overrides)
    assert caught.value.code == code
    assert caught.value.message != code  # a real, translated message
    assert (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count()) == before


def test_create_user_outside_scope_is_refused_and_rolled_back(region):
    with pytest.raises(DomainError) as caught:
        create(region, region.user("admin"), node=region.grid_d)
    assert caught.value.code == "node_out_of_scope"
    assert caught.value.params["field"] == "node"
    assert not User.objects.filter(username="newcomer").exists()


def test_create_user_with_a_department_outside_scope_is_refused(region):
    from zhili.accounts.models import Department

    foreign = Department.objects.create(name="Other street office", code="T-OFF", node=region.other_street)
    with pytest.raises(DomainError) as caught:
        create(region, region.user("admin"), department=foreign)
    assert caught.value.code == "department_out_of_scope"


@pytest.mark.parametrize(
    "persona", ["leader", "grid_worker_a", "community_staff", "resident", "nobody", "auditor"]
)
def test_only_administrators_create_users(region, persona):
    with pytest.raises(Forbidden):
        create(region, region.user(persona))
    assert not User.objects.filter(username="newcomer").exists()


def test_grant_membership_is_audited_with_role_and_node(region):
    admin = region.user("admin")
    worker = region.user("grid_worker_a")
    membership = actions.do_grant_membership(user=worker, role=Role.SUPERVISOR, node=region.c1, actor=admin)
    assert membership.active and membership.granted_by == admin
    event = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_GRANTED)
    assert event.target_type == "accounts.membership"
    assert event.target_id == str(membership.pk)
    assert event.details == {"username": "grid_worker_a", "role": "supervisor", "node": "S-C1"}


def test_grant_duplicate_active_membership_is_refused(region):
    with pytest.raises(DomainError) as caught:
        actions.do_grant_membership(
            user=region.user("grid_worker_a"),
            role=Role.GRID_WORKER,
            node=region.grid_a,
            actor=region.user("admin"),
        )
    assert caught.value.code == "membership_exists"
    assert not AuditEvent.objects.filter(action=AuditAction.MEMBERSHIP_GRANTED).exists()


def test_a_revoked_post_can_be_granted_again(region):
    admin = region.user("admin")
    old = Membership.objects.get(user=region.user("grid_worker_a"))
    actions.do_revoke_membership(membership=old, actor=admin)
    new = actions.do_grant_membership(user=old.user, role=old.role, node=old.node, actor=admin)
    assert new.pk != old.pk and new.active


def test_grant_outside_scope_is_refused(region, other_admin):
    with pytest.raises(DomainError) as caught:
        actions.do_grant_membership(
            user=region.user("grid_worker_a"),
            role=Role.LEADER,
            node=region.grid_d,
            actor=region.user("admin"),
        )
    assert caught.value.code == "node_out_of_scope"


def test_an_administrator_cannot_pull_in_a_user_of_another_street(region, other_admin):
    # The outsider works in grid D only; street S's admin cannot see them, so cannot grant them posts.
    with pytest.raises(NotFound):
        actions.do_grant_membership(
            user=region.user("outsider"),
            role=Role.GRID_WORKER,
            node=region.grid_a,
            actor=region.user("admin"),
        )


def test_granting_yourself_a_post_is_refused(region):
    admin = region.user("admin")
    with pytest.raises(DomainError) as caught:
        actions.do_grant_membership(user=admin, role=Role.GRID_WORKER, node=region.grid_a, actor=admin)
    assert caught.value.code == "cannot_grant_self"


def test_an_administrator_appoints_administrators_at_or_below_their_node(region):
    admin = region.user("admin")
    worker = region.user("grid_worker_a")
    same = actions.do_grant_membership(user=worker, role=Role.ADMIN, node=region.street, actor=admin)
    below = actions.do_grant_membership(user=worker, role=Role.ADMIN, node=region.c1, actor=admin)
    assert same.active and below.active


def test_appointing_an_administrator_needs_an_admin_post_above_even_if_staff_management_is_widened(
    region, monkeypatch
):
    """MANAGE_STAFF may one day include community staff; minting admins must still need an admin above."""
    widened = {**policies.ROLE_ACTIONS}
    widened[policies.Action.MANAGE_STAFF] = frozenset({Role.ADMIN, Role.COMMUNITY_STAFF})
    monkeypatch.setattr(policies, "ROLE_ACTIONS", widened)
    community_staff = region.user("community_staff")
    worker = region.user("grid_worker_a")
    ordinary = actions.do_grant_membership(
        user=worker, role=Role.SUPERVISOR, node=region.grid_a, actor=community_staff
    )
    assert ordinary.active
    with pytest.raises(DomainError) as caught:
        actions.do_grant_membership(user=worker, role=Role.ADMIN, node=region.grid_a, actor=community_staff)
    assert caught.value.code == "admin_grant_needs_admin_above"
    admin_post = Membership.objects.get(user=region.user("admin"))
    with pytest.raises(DomainError) as caught:
        actions.do_revoke_membership(membership=admin_post, actor=community_staff)
    # The street admin's post lies above community staff's scope: invisible, so not found.
    assert isinstance(caught.value, NotFound)


def test_revoke_deactivates_and_audits(region):
    admin = region.user("admin")
    membership = Membership.objects.get(user=region.user("grid_worker_b"))
    actions.do_revoke_membership(membership=membership, actor=admin)
    membership.refresh_from_db()
    assert membership.active is False
    event = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_REVOKED)
    assert event.details == {"username": "grid_worker_b", "role": "grid_worker", "node": "S-C1-B"}
    assert event.actor_id == admin.pk
    with pytest.raises(DomainError) as caught:
        actions.do_revoke_membership(membership=membership, actor=admin)
    assert caught.value.code == "membership_already_revoked"


def test_revoking_your_own_post_is_refused(region):
    admin = region.user("admin")
    with pytest.raises(DomainError) as caught:
        actions.do_revoke_membership(membership=Membership.objects.get(user=admin), actor=admin)
    assert caught.value.code == "cannot_revoke_own"


def test_revoke_outside_scope_is_not_found(region, other_admin):
    membership = Membership.objects.get(user=region.user("grid_worker_a"))
    with pytest.raises(NotFound):
        actions.do_revoke_membership(membership=membership, actor=other_admin)
    membership.refresh_from_db()
    assert membership.active


def test_revoke_by_read_only_leader_is_forbidden(region):
    membership = Membership.objects.get(user=region.user("grid_worker_a"))
    with pytest.raises(Forbidden):
        actions.do_revoke_membership(membership=membership, actor=region.user("leader"))


def test_bootstrap_admin_creates_an_admin_post_with_one_system_audit_row(region):
    user = actions.do_bootstrap_admin(username="root_t", password=GOOD_PASSWORD, node=region.other_street)
    assert user.check_password(GOOD_PASSWORD)
    assert list(user.memberships.values_list("role", "node")) == [(Role.ADMIN, region.other_street.pk)]
    event = AuditEvent.objects.get(action=AuditAction.ADMIN_BOOTSTRAPPED)
    assert event.actor_id is None and event.actor_label == "system"
    assert event.details == {"username": "root_t", "role": "admin", "node": "T"}
