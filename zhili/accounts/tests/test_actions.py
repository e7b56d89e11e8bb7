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
    assert created.details == {
        "username": "newcomer",
        "display_name": "王小明",
        "department": "CG",
        "email_set": False,
    }
    assert user.email == ""
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


# E-mail addresses (copies of escalations go to them)


def _email_events():
    return AuditEvent.objects.filter(action=AuditAction.USER_EMAIL_CHANGED)


def test_create_user_stores_the_email_with_its_domain_in_lower_case_and_audits_only_that_one_was_given(
    region,
):
    user = create(region, region.user("admin"), email="  Wang.Xiaoming@Example.GOV.cn ")
    user.refresh_from_db()
    assert user.email == "Wang.Xiaoming@example.gov.cn"
    created = AuditEvent.objects.get(action=AuditAction.USER_CREATED)
    assert created.details["email_set"] is True
    dumped = json.dumps(list(AuditEvent.objects.values("details")), ensure_ascii=False).lower()
    assert "example.gov.cn" not in dumped and "wang.xiaoming" not in dumped


@pytest.mark.parametrize("email", ["not-an-address", "wang@", "@example.gov.cn", "a b@example.gov.cn"])
def test_create_user_with_a_bad_email_is_refused_and_writes_nothing(region, email):
    before = (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    with pytest.raises(DomainError) as caught:
        create(region, region.user("admin"), email=email)
    assert caught.value.code == "email_invalid"
    assert caught.value.params["field"] == "email"
    assert (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count()) == before


def test_set_email_then_clear_it_is_audited_without_the_address(region):
    admin = region.user("admin")
    worker = region.user("grid_worker_a")
    actions.do_set_user_email(user=worker, email="Worker.A@Example.ORG", actor=admin)
    worker.refresh_from_db()
    assert worker.email == "Worker.A@example.org"
    actions.do_set_user_email(user=worker, email="", actor=admin)
    worker.refresh_from_db()
    assert worker.email == ""
    set_event, cleared_event = _email_events().order_by("id")
    for event, change in ((set_event, "set"), (cleared_event, "cleared")):
        assert event.actor_id == admin.pk
        assert event.target_id == str(worker.pk)
        assert event.node_id == region.grid_a.pk
        assert event.details == {"user_id": worker.pk, "username": "grid_worker_a", "email": change}
    dumped = json.dumps(list(AuditEvent.objects.values("details")), ensure_ascii=False).lower()
    assert "example.org" not in dumped and "worker.a@" not in dumped


def test_setting_the_same_email_again_writes_nothing(region):
    admin = region.user("admin")
    worker = region.user("grid_worker_a")
    actions.do_set_user_email(user=worker, email="a@example.org", actor=admin)
    actions.do_set_user_email(user=worker, email="a@EXAMPLE.org", actor=admin)
    assert _email_events().count() == 1


def test_set_email_refuses_a_bad_address_and_keeps_the_old_one(region):
    admin = region.user("admin")
    worker = region.user("grid_worker_a")
    actions.do_set_user_email(user=worker, email="a@example.org", actor=admin)
    with pytest.raises(DomainError) as caught:
        actions.do_set_user_email(user=worker, email="a@b@c", actor=admin)
    assert caught.value.code == "email_invalid"
    worker.refresh_from_db()
    assert worker.email == "a@example.org"
    assert _email_events().count() == 1


def test_set_email_outside_scope_is_not_found(region, other_admin):
    worker = region.user("grid_worker_a")
    with pytest.raises(NotFound):
        actions.do_set_user_email(user=worker, email="x@example.org", actor=other_admin)
    worker.refresh_from_db()
    assert worker.email == "" and not _email_events().exists()


@pytest.mark.parametrize("persona", ["leader", "supervisor", "grid_worker_a", "resident", "nobody"])
def test_only_administrators_set_emails(region, persona):
    with pytest.raises(Forbidden):
        actions.do_set_user_email(
            user=region.user("grid_worker_a"), email="x@example.org", actor=region.user(persona)
        )
    assert not _email_events().exists()


def test_an_administrators_email_is_changed_only_from_their_node_or_above(region):
    from zhili.core.testing import make_user

    street_admin = region.user("admin")
    community_admin = make_user("admin_c1", role=Role.ADMIN, node=region.c1)
    # An administrator of the street who also works in grid A, inside the community admin's scope.
    two_posts = make_user("two_posts", role=Role.ADMIN, node=region.street)
    Membership.objects.create(user=two_posts, role=Role.GRID_WORKER, node=region.grid_a)
    assert actions.may_set_email_of(community_admin, community_admin)
    actions.do_set_user_email(user=community_admin, email="own@example.org", actor=community_admin)
    with pytest.raises(DomainError) as caught:
        actions.do_set_user_email(user=two_posts, email="x@example.org", actor=community_admin)
    assert caught.value.code == "admin_email_needs_admin_above"
    assert not actions.may_set_email_of(community_admin, two_posts)
    two_posts.refresh_from_db()
    assert two_posts.email == ""
    actions.do_set_user_email(user=two_posts, email="x@example.org", actor=street_admin)
    actions.do_set_user_email(user=community_admin, email="", actor=street_admin)
    assert _email_events().count() == 3
