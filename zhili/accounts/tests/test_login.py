from __future__ import annotations

import json

import pytest
from django.test import override_settings
from django.urls import reverse

from zhili.accounts.models import User
from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.testing import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def events(action: AuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_url_names_are_kept():
    assert reverse("accounts:login") == LOGIN_URL
    assert reverse("accounts:logout") == "/accounts/logout/"
    assert reverse("accounts:staff_list") == "/accounts/staff/"


def test_login_page_is_chinese_and_has_the_form_the_browser_fixture_uses(client):
    html = client.get(LOGIN_URL).content.decode()
    assert "智理" in html
    assert "用户名" in html and "密码" in html
    assert 'class="panel login-box"' in html
    assert 'name="username"' in html and 'name="password"' in html
    assert 'button type="submit"' in html
    assert 'name="viewport"' in html


def test_successful_login_redirects_home_and_is_audited(client, region):
    response = client.post(LOGIN_URL, {"username": "grid_worker_a", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    [event] = events(AuditAction.LOGIN)
    user = region.user("grid_worker_a")
    assert event.actor_id == user.pk
    assert event.target_id == str(user.pk)
    assert event.node_id == region.grid_a.pk  # shows in the audit log of the grid's subtree


def test_failed_login_is_audited_with_the_username_and_never_the_password(client, region):
    wrong = "this-is-the-wrong-password-1234"
    response = client.post(LOGIN_URL, {"username": "grid_worker_a", "password": wrong})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    [event] = events(AuditAction.LOGIN_FAILED)
    assert event.details["username"] == "grid_worker_a"
    assert event.details["locked_out"] is False
    assert event.target_id == str(region.user("grid_worker_a").pk)
    dumped = json.dumps([e.details for e in AuditEvent.objects.all()], ensure_ascii=False)
    assert wrong not in dumped
    assert "password" not in dumped
    assert not events(AuditAction.LOGIN)


def test_failed_login_for_an_unknown_username_is_audited_without_a_target(client, region):
    client.post(LOGIN_URL, {"username": "no-such-user", "password": "whatever-it-is-1234"})
    [event] = events(AuditAction.LOGIN_FAILED)
    assert event.details["username"] == "no-such-user"
    assert event.target_id == ""


def test_logout_needs_post_and_is_audited(client, region):
    client.post(LOGIN_URL, {"username": "leader", "password": PASSWORD})
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/accounts/staff/").status_code == 403  # still logged in after the GET
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    [event] = events(AuditAction.LOGOUT)
    assert event.actor_id == region.user("leader").pk
    assert client.get("/accounts/staff/").status_code == 302  # anonymous again: back to login


def test_logout_when_not_logged_in_records_nothing(client, region):
    client.post("/accounts/logout/")
    assert not events(AuditAction.LOGOUT)


def test_five_wrong_passwords_lock_the_account_out_with_a_chinese_429_page(client, region):
    for _attempt in range(4):
        response = client.post(LOGIN_URL, {"username": "dispatcher", "password": "wrong-password-0000"})
        assert response.status_code == 200
    response = client.post(LOGIN_URL, {"username": "dispatcher", "password": "wrong-password-0000"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "暂时锁定" in html
    assert "15 分钟" in html
    # Locked means locked: even the right password is refused now.
    response = client.post(LOGIN_URL, {"username": "dispatcher", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    failed = events(AuditAction.LOGIN_FAILED)
    assert len(failed) == 6
    assert failed[-1].details["locked_out"] is True
    assert not events(AuditAction.LOGIN)


def test_lockout_is_per_username_so_others_can_still_log_in(client, region):
    for _attempt in range(5):
        client.post(LOGIN_URL, {"username": "dispatcher", "password": "wrong-password-0000"})
    response = client.post(LOGIN_URL, {"username": "supervisor", "password": PASSWORD})
    assert response.status_code == 302


def test_four_failures_then_success_resets_the_counter(client, region):
    for _attempt in range(4):
        client.post(LOGIN_URL, {"username": "dispatcher", "password": "wrong-password-0000"})
    assert client.post(LOGIN_URL, {"username": "dispatcher", "password": PASSWORD}).status_code == 302
    client.post("/accounts/logout/")
    for _attempt in range(4):
        response = client.post(LOGIN_URL, {"username": "dispatcher", "password": "wrong-password-0000"})
    assert response.status_code == 200


def test_logged_in_user_visiting_login_is_sent_home(client, login):
    login("grid_worker_a")
    response = client.get(LOGIN_URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_login_follows_a_safe_next_and_ignores_an_offsite_one(client, region):
    response = client.post(
        LOGIN_URL + "?next=/accounts/staff/",
        {"username": "admin", "password": PASSWORD, "next": "/accounts/staff/"},
    )
    assert response["Location"] == "/accounts/staff/"
    client.post("/accounts/logout/")
    response = client.post(
        LOGIN_URL, {"username": "admin", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("core:home")


def test_production_settings_hash_passwords_with_argon2():
    from zhili.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_a_password_stored_under_production_hashers_is_an_argon2_hash(db):
    from zhili.settings import base

    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        user = User.objects.create_user(username="argon", password="a-long-enough-password-42")
        assert user.password.startswith("argon2$argon2id$")
        assert user.check_password("a-long-enough-password-42")
