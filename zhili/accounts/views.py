"""Login, logout and the staff pages for administrators.

Every staff page first asks for the actor's staff-management scope (403 for anyone who manages
no staff, whatever the object), then loads objects inside that scope (404 for anything outside).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zhili.accounts import actions, selectors
from zhili.accounts.forms import CreateUserForm, GrantMembershipForm, LoginForm, SetEmailForm
from zhili.accounts.models import User
from zhili.accounts.policies import manage_staff_scope
from zhili.core.errors import DomainError
from zhili.core.http import page_errors

STAFF_PAGE_SIZE = 25


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


@login_required
@page_errors
def staff_list(request: HttpRequest) -> HttpResponse:
    scope = manage_staff_scope(request.user)
    query = request.GET.get("q", "").strip()[:100]
    paginator = Paginator(selectors.manageable_users(scope, search=query), STAFF_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "accounts/staff_list.html", {"page": page, "q": query})


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    scope = manage_staff_scope(request.user)
    form = CreateUserForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = actions.do_create_user(
                username=data["username"],
                display_name=data["display_name"],
                password=data["password1"],
                department=data["department"],
                email=data["email"],
                role=data["role"],
                node=data["node"],
                actor=request.user,
            )
        except DomainError as exc:
            if exc.status != 400:
                raise
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Account %(username)s created.") % {"username": user.username})
            return redirect("accounts:staff_detail", pk=user.pk)
    return render(request, "accounts/staff_create.html", {"form": form})


def _detail(
    request: HttpRequest,
    user: User,
    scope: list[str],
    grant_form: GrantMembershipForm | None = None,
    email_form: SetEmailForm | None = None,
) -> HttpResponse:
    memberships = list(selectors.memberships_of_user_in(user, scope))
    labels = selectors.node_labels(list(selectors.nodes_in(scope)))
    for membership in memberships:
        membership.node_label = labels.get(membership.node_id, membership.node.name)  # type: ignore[attr-defined]
    # The address is shown (and editable) only to an administrator who may change it.
    may_set_email = actions.may_set_email_of(request.user, user)
    if may_set_email and email_form is None:
        email_form = SetEmailForm(initial={"email": user.email})
    context: dict[str, Any] = {
        "person": user,
        "memberships": memberships,
        "elsewhere": selectors.count_memberships_elsewhere(user, scope),
        "grant_form": grant_form or GrantMembershipForm(scope=scope),
        "email_form": email_form if may_set_email else None,
    }
    return render(request, "accounts/staff_detail.html", context)


@login_required
@page_errors
@require_http_methods(["GET"])
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = manage_staff_scope(request.user)
    user = selectors.get_manageable_user(scope, pk)
    return _detail(request, user, scope)


@login_required
@page_errors
@require_POST
def staff_grant(request: HttpRequest, pk: int) -> HttpResponse:
    scope = manage_staff_scope(request.user)
    user = selectors.get_manageable_user(scope, pk)
    form = GrantMembershipForm(request.POST, scope=scope)
    if form.is_valid():
        try:
            membership = actions.do_grant_membership(
                user=user, role=form.cleaned_data["role"], node=form.cleaned_data["node"], actor=request.user
            )
        except DomainError as exc:
            if exc.status != 400:
                raise
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                _("Granted: %(role)s at %(node)s.")
                % {"role": membership.get_role_display(), "node": membership.node.name},
            )
            return redirect("accounts:staff_detail", pk=user.pk)
    return _detail(request, user, scope, grant_form=form)


@login_required
@page_errors
@require_POST
def staff_set_email(request: HttpRequest, pk: int) -> HttpResponse:
    scope = manage_staff_scope(request.user)
    user = selectors.get_manageable_user(scope, pk)
    form = SetEmailForm(request.POST)
    if form.is_valid():
        try:
            user = actions.do_set_user_email(user=user, email=form.cleaned_data["email"], actor=request.user)
        except DomainError as exc:
            if exc.status != 400:
                raise
            if not actions.may_set_email_of(request.user, user):
                # No e-mail form on the page for this administrator: the refusal is a message.
                messages.error(request, exc.message)
                return redirect("accounts:staff_detail", pk=user.pk)
            form.add_domain_error(exc)
        else:
            if user.email:
                messages.success(request, _("E-mail address saved."))
            else:
                messages.success(request, _("E-mail address removed."))
            return redirect("accounts:staff_detail", pk=user.pk)
    return _detail(request, user, scope, email_form=form)


@login_required
@page_errors
@require_POST
def membership_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    scope = manage_staff_scope(request.user)
    membership = selectors.get_manageable_membership(scope, pk)
    try:
        actions.do_revoke_membership(membership=membership, actor=request.user)
    except DomainError as exc:
        if exc.status != 400:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Revoked: %(role)s at %(node)s.")
            % {"role": membership.get_role_display(), "node": membership.node.name},
        )
    return redirect("accounts:staff_detail", pk=membership.user_id)
