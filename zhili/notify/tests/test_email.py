"""E-mail: settings from the environment, and staff copies of escalations (Django's locmem backend)."""

from __future__ import annotations

import importlib.util

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

import zhili.settings.base
from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.core import crypto
from zhili.notify.actions import batch, do_email_staff, send_due_notifications
from zhili.notify.models import Notification

EMAIL_VARIABLES = (
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_HOST_PASSWORD_FILE",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "DEFAULT_FROM_EMAIL",
)


def load_settings(monkeypatch, **environment: str):
    """A fresh copy of the settings module read under ``environment`` (Django's settings untouched)."""
    for name in EMAIL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("zhili_settings_probe", zhili.settings.base.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_a_mail_server_mail_goes_to_the_console(monkeypatch):
    settings = load_settings(monkeypatch)
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"


def test_a_mail_server_is_read_from_the_environment(monkeypatch, tmp_path):
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret\n", encoding="utf-8")
    settings = load_settings(
        monkeypatch,
        EMAIL_HOST="smtp.example.gov.cn",
        EMAIL_HOST_USER="zhili@example.gov.cn",
        EMAIL_HOST_PASSWORD_FILE=str(secret),
        DEFAULT_FROM_EMAIL="智理 <zhili@example.gov.cn>",
    )
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    assert (settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS) == (
        "smtp.example.gov.cn",
        587,
        True,
    )
    assert settings.EMAIL_HOST_PASSWORD == "s3cret"
    assert settings.DEFAULT_FROM_EMAIL == settings.SERVER_EMAIL == "智理 <zhili@example.gov.cn>"
    ssl = load_settings(
        monkeypatch,
        EMAIL_HOST="smtp.example.gov.cn",
        EMAIL_USE_SSL="1",
        DEFAULT_FROM_EMAIL="z@example.gov.cn",
    )
    assert (ssl.EMAIL_PORT, ssl.EMAIL_USE_SSL, ssl.EMAIL_USE_TLS) == (465, True, False)


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT"),
        ({"EMAIL_PORT": "70000"}, "EMAIL_PORT"),
        ({"EMAIL_USE_TLS": "maybe"}, "EMAIL_USE_TLS"),
        ({"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "EMAIL_USE_TLS"),
        ({"EMAIL_HOST": "smtp.example.gov.cn"}, "DEFAULT_FROM_EMAIL"),
        ({"DEFAULT_FROM_EMAIL": "nobody"}, "DEFAULT_FROM_EMAIL"),
        ({"EMAIL_HOST_USER": "zhili"}, "EMAIL_HOST_PASSWORD"),
        ({"EMAIL_HOST_PASSWORD": "a", "EMAIL_HOST_PASSWORD_FILE": "/x"}, "EMAIL_HOST_PASSWORD"),
    ],
)
def test_bad_mail_settings_name_the_variable(monkeypatch, environment, named):
    with pytest.raises(ImproperlyConfigured) as raised:
        load_settings(monkeypatch, **environment)
    assert str(raised.value).startswith(named)


@override_settings(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
@pytest.mark.django_db
def test_demo_mode_prints_the_email_with_the_address_masked(region, capsys):
    supervisor = region.user("supervisor")
    User.objects.filter(pk=supervisor.pk).update(email="supervisor@example.org")
    assert do_email_staff([supervisor.pk], subject="超期诉求已升级：S-1", url="/cases/1/") == 1
    send_due_notifications()
    out = capsys.readouterr().out
    assert "s***@example.org" in out and "supervisor@example.org" not in out and "超期诉求已升级" in out
    assert Notification.objects.get(channel="email").status == "sent"


@override_settings(ZHILI_PUBLIC_URL="https://zhili.example.gov.cn")
@pytest.mark.django_db
def test_staff_with_an_address_get_an_email_copy_and_nobody_else(region):
    with_address = ["supervisor", "dispatcher", "resident", "nobody"]
    for persona in with_address:
        User.objects.filter(pk=region.user(persona).pk).update(email=f"{persona}@example.org")
    retired = region.user("leader")
    User.objects.filter(pk=retired.pk).update(email="leader@example.org", is_active=False)
    users = [region.user(p) for p in with_address] + [
        region.user("handler").pk,
        retired.pk,
    ]  # handler: no address
    with batch():
        queued = do_email_staff(users, subject="超期诉求已升级：S-1", url="/cases/1/", topic="cases.case:1")
    assert (
        queued == 2
    )  # the resident, the user without a post, the one without an address and the leaver: none
    rows = list(Notification.objects.filter(channel="email").order_by("recipient_id"))
    assert [crypto.decrypt(row.address_enc) for row in rows] == [
        "dispatcher@example.org",
        "supervisor@example.org",
    ]
    assert {row.topic for row in rows} == {"cases.case:1"}
    assert send_due_notifications()["sent"] == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["dispatcher@example.org", "supervisor@example.org"]
    message = mail.outbox[0]
    assert message.subject == "超期诉求已升级：S-1"
    assert message.body == "超期诉求已升级：S-1\n\n请登录智理查看：https://zhili.example.gov.cn/cases/1/"


@pytest.mark.django_db
def test_a_resident_with_a_second_post_counts_as_staff_and_a_revoked_post_does_not(region):
    resident = region.user("resident")
    User.objects.filter(pk=resident.pk).update(email="r@example.org")
    assert do_email_staff([resident.pk], subject="s") == 0
    post = Membership.objects.create(user=resident, role=Role.GRID_WORKER, node=region.grid_a)
    assert do_email_staff([resident.pk], subject="s") == 1
    post.active = False
    post.save()
    assert do_email_staff([resident.pk], subject="s") == 0
    assert do_email_staff([], subject="s") == 0
    body = Notification.objects.get(channel="email").body
    assert body == "s\n\n请登录智理查看。"
