from __future__ import annotations

import pytest

from zhili.accounts.models import Membership, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="root", password="x-long-enough-password-1")


def test_is_staff_alone_does_not_open_the_admin_site(client, region):
    user = region.user("admin")  # the product's administrator is not a Django superuser
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
