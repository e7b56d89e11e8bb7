from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.core.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="root", password="x-long-enough-password-1")


def test_is_staff_alone_does_not_open_the_admin_site(client, region):
    user = region.user("dispatcher")  # neither a superuser nor an administrator
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client.force_login(User.objects.get(pk=user.pk))
    response = client.get("/django-admin/")
    assert response.status_code == 302
    assert "/django-admin/login/" in response["Location"]


def test_superuser_sees_users_departments_and_memberships(client, region, superuser):
    client.force_login(superuser)
    for url in (
        "/django-admin/",
        "/django-admin/accounts/user/",
        f"/django-admin/accounts/user/{region.user('grid_worker_a').pk}/change/",
        "/django-admin/accounts/department/",
        "/django-admin/accounts/membership/",
    ):
        assert client.get(url).status_code == 200, url


def test_memberships_are_read_only_in_the_admin(client, region, superuser):
    client.force_login(superuser)
    membership = Membership.objects.get(user=region.user("grid_worker_a"))
    assert client.get("/django-admin/accounts/membership/add/").status_code == 403
    assert client.get(f"/django-admin/accounts/membership/{membership.pk}/delete/").status_code == 403
    response = client.post(
        f"/django-admin/accounts/membership/{membership.pk}/change/",
        {"role": "admin", "node": region.street.pk, "active": "on"},
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == "grid_worker"
    view = client.get(f"/django-admin/accounts/membership/{membership.pk}/change/")
    assert view.status_code == 200  # a superuser may look


def test_admin_verbose_names_are_chinese(client, region, superuser):
    client.force_login(superuser)
    html = client.get("/django-admin/").content.decode()
    assert "账户" in html and "岗位" in html and "部门" in html


# An administrator (系统管理员: an ADMIN post, neither superuser nor is_staff) configures the loop in
# the admin site and sees nothing else there.
CONFIGURATION_PAGES = (
    "/django-admin/",
    "/django-admin/cases/",
    "/django-admin/cases/category/",
    "/django-admin/cases/dispatchrule/",
    "/django-admin/cases/slapolicy/",
    "/django-admin/cases/slapolicy/add/",
)
OTHER_PAGES = (
    "/django-admin/accounts/user/",
    "/django-admin/accounts/department/",
    "/django-admin/accounts/membership/",
    "/django-admin/audit/auditevent/",
    "/django-admin/territory/node/",
    "/django-admin/territory/household/",
    "/django-admin/residents/resident/",
    "/django-admin/auth/group/",
    "/django-admin/password_change/",
)


def test_an_administrator_opens_the_configuration_pages_and_no_others(client, login, region):
    user = login("admin")
    assert not user.is_staff and not user.is_superuser
    for url in CONFIGURATION_PAGES:
        assert client.get(url).status_code == 200, url
    for url in (*OTHER_PAGES, f"/django-admin/accounts/user/{region.user('resident').pk}/change/"):
        assert client.get(url).status_code in (403, 404), url
    assert client.get("/django-admin/accounts/").status_code == 404  # no app of theirs


def test_the_administrators_index_lists_the_configuration_in_chinese(client, login):
    login("admin")
    html = client.get("/django-admin/").content.decode()
    assert "诉求分类" in html and "派单规则" in html and "办理时限规则" in html
    assert "智理 · 系统配置" in html
    assert "账户" not in html and "岗位" not in html and "审计" not in html
    sla = client.get("/django-admin/cases/slapolicy/add/").content.decode()
    assert "诉求分类" in sla and "签收时限" in sla and ">Category<" not in sla


def test_django_permissions_do_not_widen_an_administrators_admin(client, login):
    user = login("admin")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    assert client.get("/django-admin/accounts/user/").status_code == 403
    assert "账户" not in client.get("/django-admin/").content.decode()


@pytest.mark.parametrize("persona", ["resident", "dispatcher", "supervisor", "auditor", "nobody"])
def test_other_posts_are_kept_out_of_the_admin_site(client, login, persona):
    login(persona)
    for url in ("/django-admin/", "/django-admin/cases/dispatchrule/", "/django-admin/cases/slapolicy/"):
        response = client.get(url)
        assert response.status_code == 302 and "/django-admin/login/" in response["Location"], url


def test_a_revoked_admin_post_closes_the_admin_site(client, region):
    user = region.user("admin")
    Membership.objects.filter(user=user).update(active=False)
    client.force_login(user)
    assert client.get("/django-admin/cases/dispatchrule/").status_code == 302


def test_the_admin_sign_in_asks_for_the_post_not_is_staff(client, region):
    dispatcher = region.user("dispatcher")
    User.objects.filter(pk=dispatcher.pk).update(is_staff=True)
    refused = client.post("/django-admin/login/", {"username": "dispatcher", "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    signed_in = client.post(
        "/django-admin/login/?next=/django-admin/cases/", {"username": "admin", "password": PASSWORD}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/django-admin/cases/"
    assert client.get("/django-admin/cases/").status_code == 200


def test_the_configuration_menu_entry_shows_to_administrators_only(client, login):
    url = reverse("admin:index")
    for persona in ("resident", "grid_worker_a", "dispatcher", "supervisor", "leader", "auditor"):
        login(persona)
        assert url not in [e["url"] for e in client.get(reverse("core:home")).context["nav_entries"]]
    login("admin")
    entries = client.get(reverse("core:home")).context["nav_entries"]
    assert [str(e["label"]) for e in entries if e["url"] == url] == ["系统配置"]


def test_the_configuration_menu_entry_is_hidden_from_an_administrator_below_the_root(client, region):
    url = reverse("admin:index")
    client.force_login(make_user("community_admin", role=Role.ADMIN, node=region.c1))
    entries = client.get(reverse("core:home")).context["nav_entries"]
    assert url not in [e["url"] for e in entries]
    assert reverse("accounts:staff_list") in [e["url"] for e in entries]  # their other pages stay
