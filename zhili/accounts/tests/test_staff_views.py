from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.testing import make_user

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Qingshan-Road-2024!"


def staff_urls(region) -> dict[str, str]:
    worker = region.user("grid_worker_a")
    membership = Membership.objects.get(user=worker)
    return {
        "list": "/accounts/staff/",
        "create": "/accounts/staff/new/",
        "detail": f"/accounts/staff/{worker.pk}/",
        "grant": f"/accounts/staff/{worker.pk}/grant/",
        "email": f"/accounts/staff/{worker.pk}/email/",
        "revoke": f"/accounts/memberships/{membership.pk}/revoke/",
    }


def create_form(region, **overrides):
    data = {
        "username": "newcomer",
        "display_name": "王小明",
        "department": "",
        "role": Role.GRID_WORKER,
        "node": region.grid_a.pk,
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    data.update(overrides)
    return data


# Who may open the staff pages at all


@pytest.mark.parametrize("name", ["list", "create", "detail"])
def test_anonymous_users_are_sent_to_login(client, region, name):
    response = client.get(staff_urls(region)[name])
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    "persona",
    [
        "grid_worker_a",
        "community_staff",
        "dispatcher",
        "handler",
        "supervisor",
        "leader",
        "party_secretary",
        "auditor",
        "outsider",
        "resident",
        "nobody",
    ],
)
@pytest.mark.parametrize("name", ["list", "create", "detail"])
def test_staff_pages_are_forbidden_to_everyone_but_administrators(client, login, region, persona, name):
    login(persona)
    assert client.get(staff_urls(region)[name]).status_code == 403


@pytest.mark.parametrize("persona", ["leader", "resident", "nobody", "grid_worker_a"])
@pytest.mark.parametrize("name", ["list", "create", "grant", "revoke", "email"])
def test_every_post_by_a_non_administrator_is_forbidden_and_changes_nothing(
    client, login, region, persona, name
):
    login(persona)
    before = (
        User.objects.count(),
        Membership.objects.filter(active=True).count(),
        AuditEvent.objects.count(),
    )
    data = {**create_form(region), "role": Role.LEADER, "node": region.c1.pk, "email": "x@example.org"}
    assert client.post(staff_urls(region)[name], data).status_code == 403
    after = (User.objects.count(), Membership.objects.filter(active=True).count(), AuditEvent.objects.count())
    assert after == before
    assert not User.objects.exclude(email="").exists()


# The list


def test_list_shows_users_with_posts_in_the_admins_subtree_and_their_posts(client, login, region):
    login("admin")
    response = client.get("/accounts/staff/")
    assert response.status_code == 200
    html = response.content.decode()
    listed = {u.username for u in response.context["page"]}
    assert {"grid_worker_a", "grid_worker_b", "community_staff", "leader", "admin"} <= listed
    assert "outsider" not in listed  # grid D, another street
    assert "resident" not in listed  # residents are not staff
    assert "nobody" not in listed  # no post anywhere
    assert "网格员 · Grid A" in html
    assert "人员管理" in html


def test_list_of_the_other_streets_admin_shows_only_their_street(client, region, other_admin):
    client.force_login(other_admin)
    listed = {u.username for u in client.get("/accounts/staff/").context["page"]}
    assert listed == {"outsider", "admin_t"}


def test_list_search_matches_username_or_name(client, login, region):
    User.objects.filter(pk=make_user("zhangsan", role=Role.GRID_WORKER, node=region.grid_c).pk).update(
        display_name="张三"
    )
    login("admin")
    by_name = {u.username for u in client.get("/accounts/staff/", {"q": "张"}).context["page"]}
    by_username = {u.username for u in client.get("/accounts/staff/", {"q": "GRID_WORKER"}).context["page"]}
    assert by_name == {"zhangsan"}
    assert by_username == {"grid_worker_a", "grid_worker_b"}


def test_list_keeps_users_whose_posts_here_were_all_revoked(client, login, region):
    Membership.objects.filter(user=region.user("grid_worker_b")).update(active=False)
    login("admin")
    response = client.get("/accounts/staff/", {"q": "grid_worker_b"})
    assert [u.username for u in response.context["page"]] == ["grid_worker_b"]
    assert "无有效岗位" in response.content.decode()


def test_list_is_paginated(client, login, region):
    for i in range(30):
        make_user(f"worker{i:02d}", role=Role.GRID_WORKER, node=region.grid_c)
    login("admin")
    first = client.get("/accounts/staff/", {"q": "worker"})
    second = client.get("/accounts/staff/", {"q": "worker", "page": 2})
    assert first.context["page"].paginator.count == 32  # 30 + grid_worker_a/b
    assert len(first.context["page"]) == 25
    assert len(second.context["page"]) == 7
    assert "page=2" in first.content.decode()
    assert "q=worker" in first.content.decode()


def test_list_query_count_does_not_grow_with_the_number_of_users(client, login, region):
    login("admin")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/accounts/staff/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(15):
        user = make_user(f"extra{i}", role=Role.GRID_WORKER, node=region.grid_c, department=region.department)
        Membership.objects.create(user=user, role=Role.SUPERVISOR, node=region.c2)
    assert count() == few


# Creating a user


def test_create_form_offers_only_nodes_and_departments_in_scope_and_no_resident_role(
    client, region, other_admin
):
    client.force_login(other_admin)
    form = client.get("/accounts/staff/new/").context["form"]
    assert set(form.fields["node"].queryset) == {region.other_street, region.other_community, region.grid_d}
    assert list(form.fields["department"].queryset) == []
    roles = [value for value, _label in form.fields["role"].choices]
    assert Role.RESIDENT not in roles and Role.ADMIN in roles


def test_admin_creates_a_user_and_lands_on_their_page(client, login, region):
    login("admin")
    response = client.post("/accounts/staff/new/", create_form(region, department=region.department.pk))
    user = User.objects.get(username="newcomer")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/staff/{user.pk}/"
    assert user.check_password(GOOD_PASSWORD)
    assert user.department == region.department
    assert AuditEvent.objects.filter(action=AuditAction.USER_CREATED, target_id=str(user.pk)).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "已创建账户 newcomer" in page
    assert "王小明" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password1": "12345678901", "password2": "12345678901"}, "password1", "密码只包含数字"),
        ({"password1": "short", "password2": "short"}, "password1", "密码太短：至少需要 10 个字符"),
        ({"password2": "something-else-entirely"}, "password2", "两次输入的密码不一致"),
        ({"username": "grid_worker_a"}, "username", "该用户名已被使用"),
        ({"username": "bad name!"}, "username", None),
        ({"role": Role.RESIDENT}, "role", None),
    ],
)
def test_create_refusals_show_as_chinese_form_errors(client, login, region, overrides, field, message):
    login("admin")
    response = client.post("/accounts/staff/new/", create_form(region, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert any(message in e for e in errors[field]), errors
    assert not User.objects.filter(
        username=overrides.get("username", "newcomer"), display_name="王小明"
    ).exists()


def test_create_with_a_node_outside_scope_is_rejected_by_the_form(client, login, region):
    login("admin")
    response = client.post("/accounts/staff/new/", create_form(region, node=region.grid_d.pk))
    assert response.status_code == 200
    assert "node" in response.context["form"].errors
    assert not User.objects.filter(username="newcomer").exists()


# The user page, granting and revoking


def test_detail_shows_posts_in_scope_and_counts_the_others(client, login, region, colleague):
    Membership.objects.create(user=colleague, role=Role.LEADER, node=region.grid_d)
    login("admin")
    response = client.get(f"/accounts/staff/{colleague.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Test street / Community 1 / Grid B" in html
    assert "Test street / Community 2" in html
    assert "Grid D" not in html  # the post in the other street is counted, not shown
    assert "还担任 1 个岗位" in html
    grant_nodes = set(response.context["grant_form"].fields["node"].queryset)
    assert region.grid_d not in grant_nodes and region.grid_a in grant_nodes


def test_outsider_admin_gets_404_for_a_user_only_in_our_street(client, region, other_admin):
    worker = region.user("grid_worker_a")
    membership = Membership.objects.get(user=worker)
    client.force_login(other_admin)
    assert client.get(f"/accounts/staff/{worker.pk}/").status_code == 404
    grant = {"role": Role.GRID_WORKER, "node": region.grid_d.pk}
    assert client.post(f"/accounts/staff/{worker.pk}/grant/", grant).status_code == 404
    assert client.post(f"/accounts/memberships/{membership.pk}/revoke/").status_code == 404
    membership.refresh_from_db()
    assert membership.active
    assert not Membership.objects.filter(user=worker, node=region.grid_d).exists()


def test_missing_user_and_membership_are_404_for_an_admin(client, login, region):
    login("admin")
    assert client.get("/accounts/staff/999999/").status_code == 404
    assert client.post("/accounts/memberships/999999/revoke/").status_code == 404


def test_residents_are_not_reachable_through_staff_pages(client, login, region):
    login("admin")
    assert client.get(f"/accounts/staff/{region.user('resident').pk}/").status_code == 404


def test_admin_grants_a_post(client, login, region):
    login("admin")
    worker = region.user("grid_worker_a")
    response = client.post(
        f"/accounts/staff/{worker.pk}/grant/", {"role": Role.SUPERVISOR, "node": region.c1.pk}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=worker, role=Role.SUPERVISOR, node=region.c1, active=True).exists()
    event = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_GRANTED)
    assert event.details["role"] == "supervisor" and event.details["node"] == "S-C1"
    assert "已授予" in client.get(response["Location"]).content.decode()


def test_grant_duplicate_shows_a_chinese_form_error(client, login, region):
    login("admin")
    worker = region.user("grid_worker_a")
    response = client.post(
        f"/accounts/staff/{worker.pk}/grant/", {"role": Role.GRID_WORKER, "node": region.grid_a.pk}
    )
    assert response.status_code == 200
    assert "该用户已担任此岗位" in response.content.decode()
    assert Membership.objects.filter(user=worker).count() == 1


def test_grant_outside_scope_is_a_form_error(client, login, region):
    login("admin")
    worker = region.user("grid_worker_a")
    response = client.post(
        f"/accounts/staff/{worker.pk}/grant/", {"role": Role.LEADER, "node": region.grid_d.pk}
    )
    assert response.status_code == 200
    assert "node" in response.context["grant_form"].errors
    assert not Membership.objects.filter(user=worker, node=region.grid_d).exists()


def test_grant_to_yourself_is_a_form_error(client, login, region):
    admin = login("admin")
    response = client.post(f"/accounts/staff/{admin.pk}/grant/", {"role": Role.LEADER, "node": region.c1.pk})
    assert response.status_code == 200
    assert "不能给自己授予岗位" in response.content.decode()


def test_admin_revokes_a_post(client, login, region):
    login("admin")
    membership = Membership.objects.get(user=region.user("grid_worker_b"))
    response = client.post(f"/accounts/memberships/{membership.pk}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/staff/{membership.user_id}/"
    membership.refresh_from_db()
    assert not membership.active
    assert AuditEvent.objects.filter(action=AuditAction.MEMBERSHIP_REVOKED).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "已撤销" in page


def test_revoking_twice_shows_a_message_and_changes_nothing(client, login, region):
    login("admin")
    membership = Membership.objects.get(user=region.user("grid_worker_b"))
    client.post(f"/accounts/memberships/{membership.pk}/revoke/")
    response = client.post(f"/accounts/memberships/{membership.pk}/revoke/", follow=True)
    assert "该岗位已被撤销" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.MEMBERSHIP_REVOKED).count() == 1


def test_grant_and_revoke_need_post(client, login, region):
    login("admin")
    urls = staff_urls(region)
    assert client.get(urls["grant"]).status_code == 405
    assert client.get(urls["revoke"]).status_code == 405


def test_nav_shows_staff_only_to_admins(client, login, region):
    login("admin")
    assert "/accounts/staff/" in client.get("/").content.decode()
    client.logout()
    login("leader")
    assert "/accounts/staff/" not in client.get("/").content.decode()


# E-mail addresses


def test_create_form_has_an_optional_chinese_email_field(client, login, region):
    login("admin")
    html = client.get("/accounts/staff/new/").content.decode()
    assert "电子邮箱：" in html
    assert 'type="email" name="email"' in html
    assert "邮件抄送" in html  # the help text says what the address is for


def test_admin_creates_a_user_with_an_email(client, login, region):
    login("admin")
    response = client.post("/accounts/staff/new/", create_form(region, email="Wang@Example.GOV.CN"))
    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert user.email == "Wang@example.gov.cn"
    assert AuditEvent.objects.get(action=AuditAction.USER_CREATED).details["email_set"] is True


def test_admin_creates_a_user_without_an_email(client, login, region):
    login("admin")
    assert client.post("/accounts/staff/new/", create_form(region)).status_code == 302
    assert User.objects.get(username="newcomer").email == ""


def test_create_with_a_bad_email_shows_a_chinese_error_and_writes_nothing(client, login, region):
    login("admin")
    before = (User.objects.count(), AuditEvent.objects.count())
    response = client.post("/accounts/staff/new/", create_form(region, email="wang@example"))
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "电子邮箱地址无效，请按 name@example.gov.cn 的格式填写。"
    ]
    assert (User.objects.count(), AuditEvent.objects.count()) == before


def test_detail_shows_the_address_and_its_form_in_chinese_to_the_admin(client, login, region):
    worker = region.user("grid_worker_a")
    worker.email = "worker.a@example.org"
    worker.save(update_fields=["email"])
    login("admin")
    html = client.get(f"/accounts/staff/{worker.pk}/").content.decode()
    assert "电子邮箱：" in html
    assert 'value="worker.a@example.org"' in html
    assert "邮件抄送目前发往 worker.a@example.org" in html
    assert "删除邮箱" in html
    assert f'action="/accounts/staff/{worker.pk}/email/"' in html
    assert "csrfmiddlewaretoken" in html


def test_admin_sets_and_clears_an_email_from_the_detail_page(client, login, region):
    worker = region.user("grid_worker_a")
    login("admin")
    response = client.post(f"/accounts/staff/{worker.pk}/email/", {"email": "Worker.A@Example.ORG"})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/staff/{worker.pk}/"
    worker.refresh_from_db()
    assert worker.email == "Worker.A@example.org"
    assert "电子邮箱已保存" in client.get(response["Location"]).content.decode()
    response = client.post(f"/accounts/staff/{worker.pk}/email/", {"email": ""}, follow=True)
    assert "电子邮箱已删除" in response.content.decode()
    worker.refresh_from_db()
    assert worker.email == ""
    events = AuditEvent.objects.filter(action=AuditAction.USER_EMAIL_CHANGED).order_by("id")
    assert [e.details["email"] for e in events] == ["set", "cleared"]
    assert all(e.details["user_id"] == worker.pk for e in events)
    assert "example.org" not in str([e.details for e in events]).lower()


def test_a_bad_email_on_the_detail_page_is_a_chinese_form_error(client, login, region):
    worker = region.user("grid_worker_a")
    login("admin")
    response = client.post(f"/accounts/staff/{worker.pk}/email/", {"email": "not an address"})
    assert response.status_code == 200
    assert "电子邮箱地址无效" in response.content.decode()
    worker.refresh_from_db()
    assert worker.email == ""
    assert not AuditEvent.objects.filter(action=AuditAction.USER_EMAIL_CHANGED).exists()


def test_the_admin_of_another_street_can_neither_see_nor_change_an_email(client, region, other_admin):
    worker = region.user("grid_worker_a")
    worker.email = "worker.a@example.org"
    worker.save(update_fields=["email"])
    client.force_login(other_admin)
    assert client.get(f"/accounts/staff/{worker.pk}/").status_code == 404
    assert client.post(f"/accounts/staff/{worker.pk}/email/", {"email": ""}).status_code == 404
    assert client.post("/accounts/staff/999999/email/", {"email": ""}).status_code == 404
    worker.refresh_from_db()
    assert worker.email == "worker.a@example.org"
    assert not AuditEvent.objects.filter(action=AuditAction.USER_EMAIL_CHANGED).exists()


def test_an_admin_below_sees_no_address_of_an_administrator_above(client, region):
    from zhili.core.testing import make_user

    community_admin = make_user("admin_c1", role=Role.ADMIN, node=region.c1)
    two_posts = make_user("two_posts", role=Role.ADMIN, node=region.street)
    Membership.objects.create(user=two_posts, role=Role.GRID_WORKER, node=region.grid_a)
    two_posts.email = "boss@example.org"
    two_posts.save(update_fields=["email"])
    client.force_login(community_admin)
    response = client.get(f"/accounts/staff/{two_posts.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "boss@example.org" not in html and "电子邮箱" not in html
    response = client.post(f"/accounts/staff/{two_posts.pk}/email/", {"email": ""}, follow=True)
    assert "只有其所在区域本级或上级的系统管理员才能修改其电子邮箱" in response.content.decode()
    two_posts.refresh_from_db()
    assert two_posts.email == "boss@example.org"


def test_the_email_form_needs_post(client, login, region):
    login("admin")
    assert client.get(staff_urls(region)["email"]).status_code == 405


def test_the_email_form_is_refused_without_the_csrf_token(region):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(region.user("admin"))
    worker = region.user("grid_worker_a")
    assert client.post(f"/accounts/staff/{worker.pk}/email/", {"email": "x@example.org"}).status_code == 403
    worker.refresh_from_db()
    assert worker.email == ""
