"""Writes to accounts: users, staff posts (memberships) and the sign-in trail.

Every write is one transaction with its audit rows. Passwords never reach the audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zhili.accounts.models import Department, Membership, User
from zhili.accounts.policies import manage_staff_scope, may_grant_admin_at
from zhili.accounts.roles import Role
from zhili.accounts.selectors import staff_memberships_in
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError, NotFound
from zhili.territory.models import Node


def _in_scope(path: str, scope: list[str]) -> bool:
    return any(path.startswith(root) for root in scope)


def _check_new_user(*, username: str, display_name: str, password: str) -> str:
    username = User.normalize_username(username).strip()
    if not username:
        raise DomainError("username_required", _("Enter a username."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError("username_taken", _("This username is already taken."), field="username")
    try:
        validate_password(password, user=User(username=username, display_name=display_name))
    except ValidationError as exc:
        raise DomainError("password_invalid", _password_messages(exc), field="password1") from None
    return username


def _password_messages(exc: ValidationError) -> str:
    messages = []
    for error in exc.error_list:
        if error.code == "password_too_short":
            # Django 5.2's own Chinese catalogue misses this message (its msgid changed).
            min_length = (error.params or {}).get("min_length", 0)
            messages.append(
                _("This password is too short: it needs at least %(n)d characters.") % {"n": min_length}
            )
        else:
            messages.extend(error.messages)
    return " ".join(messages)


EMAIL_MAX_LENGTH = 254  # User.email


def clean_email(email: str) -> str:
    """``""`` for no address, else a valid address with its domain in lower case.

    Refuses (400, field ``email``) anything Django's EmailField would refuse.
    """
    email = (email or "").strip()
    if not email:
        return ""
    try:
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise DomainError(
            "email_invalid",
            _("This is not a valid e-mail address; write it like name@example.gov.cn."),
            field="email",
        ) from None
    return BaseUserManager.normalize_email(email)


def do_create_user(
    *,
    username: str,
    display_name: str,
    password: str,
    role: str,
    node: Node,
    department: Department | None = None,
    email: str = "",
    actor: Any,
) -> User:
    """Create a staff account together with its first post.

    The first post is not optional: an account without a post lies in nobody's scope, so no
    administrator could ever find it again. The e-mail address (optional) receives copies of
    escalations; the audit row says only whether one was given, never the address.
    """
    scope = manage_staff_scope(actor)
    if department is not None and not _in_scope(department.node.path, scope):
        raise DomainError(
            "department_out_of_scope", _("This department is outside your scope."), field="department"
        )
    email = clean_email(email)
    with transaction.atomic():
        username = _check_new_user(username=username, display_name=display_name, password=password)
        user = User.objects.create_user(
            username=username,
            password=password,
            email=email,
            display_name=display_name.strip(),
            department=department,
        )
        record_audit(
            AuditAction.USER_CREATED,
            actor=actor,
            target=user,
            node=node,
            details={
                "username": user.username,
                "display_name": user.display_name,
                "department": department.code if department else None,
                "email_set": bool(email),
            },
        )
        do_grant_membership(user=user, role=role, node=node, actor=actor)
    return user


def may_set_email_of(actor: Any, user: User) -> bool:
    """Whether ``actor`` may see and change ``user``'s e-mail address (``user`` is in their scope).

    Like removing an administrator: when ``user`` holds an administrator's post anywhere, only an
    administrator of that node or a node above it may redirect their mail.
    """
    admin_nodes = Membership.objects.filter(user=user, role=Role.ADMIN, active=True).values_list(
        "node__path", flat=True
    )
    return all(may_grant_admin_at(actor, path) for path in admin_nodes)


def do_set_user_email(*, user: User, email: str, actor: Any) -> User:
    """Set (or, with ``""``, clear) the e-mail address of a staff member in the actor's scope.

    The audit row records whether an address was set or cleared, never the address: it is
    personal data, and the audit log is kept for years. Writing the same address again writes
    nothing.
    """
    scope = manage_staff_scope(actor)
    email = clean_email(email)
    with transaction.atomic():
        try:
            user = (
                User.objects.select_for_update()
                .filter(pk__in=staff_memberships_in(scope).values("user_id"))
                .get(pk=user.pk)
            )
        except User.DoesNotExist:
            raise NotFound() from None
        if not may_set_email_of(actor, user):
            raise DomainError(
                "admin_email_needs_admin_above",
                _(
                    "This person is an administrator: only an administrator of their node or a node "
                    "above it can change their e-mail address."
                ),
                field="email",
            )
        if user.email == email:
            return user
        user.email = email
        user.save(update_fields=["email"])
        post = (
            staff_memberships_in(scope)
            .filter(user=user)
            .select_related("node")
            .order_by("-active", "node__depth", "node__sort_key")
            .first()
        )
        record_audit(
            AuditAction.USER_EMAIL_CHANGED,
            actor=actor,
            target=user,
            node=post.node if post else None,
            details={"user_id": user.pk, "username": user.username, "email": "set" if email else "cleared"},
        )
    return user


def _check_grant(*, user: User, role: str, node: Node, actor: Any) -> None:
    scope = manage_staff_scope(actor)
    if role not in Role.values or role == Role.RESIDENT:
        raise DomainError("role_not_grantable", _("This role cannot be granted here."), field="role")
    if not _in_scope(node.path, scope):
        raise DomainError("node_out_of_scope", _("This node is outside your scope."), field="node")
    if role == Role.ADMIN and not may_grant_admin_at(actor, node.path):
        raise DomainError(
            "admin_grant_needs_admin_above",
            _("Only an administrator of this node or a node above it can appoint an administrator here."),
            field="role",
        )
    if user.pk == getattr(actor, "pk", None):
        raise DomainError("cannot_grant_self", _("You cannot grant a post to yourself."))
    # The user must be one of ours already, or a brand-new account with no post anywhere; an
    # administrator must not pull in a user that only another street can see.
    if user.memberships.exists() and not staff_memberships_in(scope).filter(user=user).exists():
        raise NotFound()
    if Membership.objects.filter(user=user, role=role, node=node, active=True).exists():
        raise DomainError("membership_exists", _("This user already holds this post."))


def do_grant_membership(*, user: User, role: str, node: Node, actor: Any) -> Membership:
    with transaction.atomic():
        _check_grant(user=user, role=role, node=node, actor=actor)
        try:
            # A savepoint, so that losing a race to the unique constraint leaves the outer
            # transaction usable and the refusal reads like the one above.
            with transaction.atomic():
                membership = Membership.objects.create(user=user, role=role, node=node, granted_by=actor)
        except IntegrityError:
            raise DomainError("membership_exists", _("This user already holds this post.")) from None
        record_audit(
            AuditAction.MEMBERSHIP_GRANTED,
            actor=actor,
            target=membership,
            node=node,
            details={"username": user.username, "role": role, "node": node.code},
        )
    return membership


def do_revoke_membership(*, membership: Membership, actor: Any) -> Membership:
    scope = manage_staff_scope(actor)
    with transaction.atomic():
        try:
            membership = (
                staff_memberships_in(scope)
                .select_for_update()
                .select_related("user", "node")
                .get(pk=membership.pk)
            )
        except Membership.DoesNotExist:
            raise NotFound() from None
        if not membership.active:
            raise DomainError("membership_already_revoked", _("This post has already been revoked."))
        if membership.user_id == getattr(actor, "pk", None):
            raise DomainError("cannot_revoke_own", _("You cannot revoke your own post."))
        if membership.role == Role.ADMIN and not may_grant_admin_at(actor, membership.node.path):
            raise DomainError(
                "admin_revoke_needs_admin_above",
                _("Only an administrator of this node or a node above it can remove an administrator here."),
            )
        membership.active = False
        membership.save(update_fields=["active"])
        record_audit(
            AuditAction.MEMBERSHIP_REVOKED,
            actor=actor,
            target=membership,
            node=membership.node,
            details={
                "username": membership.user.username,
                "role": membership.role,
                "node": membership.node.code,
            },
        )
    return membership


def do_bootstrap_admin(*, username: str, password: str, node: Node, display_name: str = "") -> User:
    """The first administrator of a node, created from the command line with no one logged in."""
    with transaction.atomic():
        username = _check_new_user(username=username, display_name=display_name, password=password)
        user = User.objects.create_user(username=username, password=password, display_name=display_name)
        Membership.objects.create(user=user, role=Role.ADMIN, node=node, granted_by=None)
        record_audit(
            AuditAction.ADMIN_BOOTSTRAPPED,
            actor=None,
            target=user,
            node=node,
            details={"username": user.username, "role": Role.ADMIN.value, "node": node.code},
        )
    return user


# Sign-in trail. Called from Django's authentication signals (framework events, not domain logic).


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def _home_node(user: User | None) -> Node | None:
    """The broadest node the user holds a post at: where their sign-ins show in the audit log."""
    if user is None:
        return None
    membership = (
        user.memberships.filter(active=True)
        .select_related("node")
        .order_by("node__depth", "node__sort_key")
        .first()
    )
    return membership.node if membership else None


def do_record_login(*, user: User, request: HttpRequest | None) -> None:
    with transaction.atomic():
        record_audit(
            AuditAction.LOGIN,
            actor=user,
            target=user,
            node=_home_node(user),
            details={"ip": _client_ip(request)},
        )


def do_record_login_failed(*, username: str, request: HttpRequest | None) -> None:
    """Only the username that was tried is kept, never what was typed as the password."""
    user = User.objects.filter(username=username).first() if username else None
    with transaction.atomic():
        record_audit(
            AuditAction.LOGIN_FAILED,
            actor=None,
            target=user,
            node=_home_node(user),
            details={
                "username": username[:150],
                "ip": _client_ip(request),
                "locked_out": bool(getattr(request, "axes_locked_out", False)),
            },
        )


def do_record_logout(*, user: User, request: HttpRequest | None) -> None:
    with transaction.atomic():
        record_audit(
            AuditAction.LOGOUT,
            actor=user,
            target=user,
            node=_home_node(user),
            details={"ip": _client_ip(request)},
        )
