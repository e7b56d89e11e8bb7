from __future__ import annotations

import pytest

from zhili.accounts.models import Membership, User
from zhili.audit.models import AuditAction, AuditEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_wrong_password_shows_a_chinese_error_on_a_phone_sized_login_page(page, region):
    page.set_viewport_size({"width": 375, "height": 720})
    page.goto(page.base_url + "/accounts/login/")
    assert "智理" in page.inner_text("form.login-box")
    box = page.locator("form.login-box").bounding_box()
    assert box is not None and box["width"] <= 375  # no sideways scrolling on a phone
    page.fill("input[name=username]", "grid_worker_a")
    page.fill("input[name=password]", "not-the-password-123")
    page.click("form.login-box button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "用户名或密码错误" in page.inner_text("form.login-box")
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 1


def test_admin_creates_an_account_grants_and_revokes_a_post(browser_login, region):
    page = browser_login("admin")
    page.click("nav.nav >> text=人员管理")
    page.wait_for_load_state("networkidle")
    assert "grid_worker_a" in page.inner_text("table.staff")
    page.click("text=新增账户")
    page.fill("input[name=username]", "xiaowang")
    page.fill("input[name=display_name]", "王小明")
    page.select_option("select[name=role]", "grid_worker")
    page.select_option("select[name=node]", str(region.grid_b.pk))
    page.fill("input[name=password1]", "Qingshan-Road-2024!")
    page.fill("input[name=password2]", "Qingshan-Road-2024!")
    page.click("form.staff-create button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已创建账户 xiaowang" in page.inner_text(".messages")
    assert "Grid B" in page.inner_text("table.memberships")

    page.select_option("form.grant select[name=role]", "supervisor")
    page.select_option("form.grant select[name=node]", str(region.c1.pk))
    page.click("form.grant button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已授予" in page.inner_text(".messages")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("table.memberships tr", has_text="督查员").locator("button").click()
    page.wait_for_load_state("networkidle")
    assert "已撤销" in page.inner_text(".messages")
    user = User.objects.get(username="xiaowang")
    assert list(Membership.objects.filter(user=user).order_by("pk").values_list("role", "active")) == [
        ("grid_worker", True),
        ("supervisor", False),
    ]


def test_logout_button_logs_out(browser_login, region):
    page = browser_login("leader")
    page.click("header .account button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/accounts/login/")
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT).count() == 1


def test_admin_sets_and_removes_an_email_on_a_phone(browser_login, region):
    worker = User.objects.get(username="grid_worker_a")
    page = browser_login("admin")
    page.set_viewport_size({"width": 375, "height": 720})
    page.goto(f"{page.base_url}/accounts/staff/{worker.pk}/")
    section = page.locator("section.set-email")
    box = section.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375  # fits the phone, no sideways scrolling
    assert "电子邮箱" in section.inner_text()
    section.locator("input[name=email]").fill("Worker.A@Example.ORG")
    section.locator("button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert "电子邮箱已保存" in page.inner_text(".messages")
    assert "Worker.A@example.org" in page.inner_text("section.set-email")

    page.click("form.clear-email button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "电子邮箱已删除" in page.inner_text(".messages")
    worker.refresh_from_db()
    assert worker.email == ""
    assert AuditEvent.objects.filter(action=AuditAction.USER_EMAIL_CHANGED).count() == 2
