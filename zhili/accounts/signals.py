"""Sign-in, sign-out and failed sign-in go to the audit log.

Django reports these as signals from its own login machinery (including the admin site and any
other login path), so listening to them is the one place that sees every attempt.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from zhili.accounts import actions


@receiver(user_logged_in, dispatch_uid="zhili.accounts.audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    actions.do_record_login(user=user, request=request)


@receiver(user_login_failed, dispatch_uid="zhili.accounts.audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # ``credentials`` has the password masked by Django already; only the username is read anyway.
    username = str(credentials.get("username") or "")
    actions.do_record_login_failed(username=username, request=request)


@receiver(user_logged_out, dispatch_uid="zhili.accounts.audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and user.is_authenticated:
        actions.do_record_logout(user=user, request=request)
