"""Channel adapters: how one message leaves the building.

Each adapter raises ``ChannelError`` when the message was not delivered (the sender retries).
Without a configured gateway the adapter is in demo mode and writes the message to the console,
with the recipient masked: logs and consoles never carry personal data.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import send_mail

from zhili.core.crypto import mask_mobile

HTTP_TIMEOUT = 5.0


class ChannelError(Exception):
    """Not delivered; ``str(exc)`` must not contain personal data (it is stored as last_error)."""


def _mask_address(channel: str, address: str) -> str:
    if channel == "sms":
        return mask_mobile(address)
    if channel == "email" and "@" in address:
        local, _sep, domain = address.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    if channel == "wecom":
        return "(webhook)"
    return "***"


def console(channel: str, address: str, subject: str, body: str) -> None:
    sys.stdout.write(f"[notify:{channel} demo] to {_mask_address(channel, address)}: {subject} | {body}\n")
    sys.stdout.flush()


def post_json(url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ChannelError("gateway URL must be http(s)")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
            return bytes(response.read(65536))
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"gateway answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ChannelError(f"gateway unreachable ({type(exc).__name__})") from None


def send_in_app(address: str, subject: str, body: str) -> None:
    """The row itself is the inbox entry: nothing to deliver."""


def send_email(address: str, subject: str, body: str) -> None:
    if not address:
        raise ChannelError("no e-mail address")
    backend = getattr(settings, "EMAIL_BACKEND", "")
    if backend == "django.core.mail.backends.console.EmailBackend":
        # No mail server configured (EMAIL_HOST unset): demo mode, with the address masked (Django's
        # console backend would print it whole).
        console("email", address, subject, body)
        return
    try:
        send_mail(subject, body, None, [address], fail_silently=False)
    except OSError as exc:
        raise ChannelError(f"mail server error ({type(exc).__name__})") from None


def send_sms(address: str, subject: str, body: str) -> None:
    """POST {"to", "content"} as JSON to the SMS gateway of ZHILI_SMS_GATEWAY_URL."""
    if not address:
        raise ChannelError("no mobile number")
    url = getattr(settings, "ZHILI_SMS_GATEWAY_URL", "")
    if not url:
        console("sms", address, subject, body)
        return
    token = getattr(settings, "ZHILI_SMS_GATEWAY_TOKEN", "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = post_json(url, {"to": address, "content": body}, headers)
    _check_json_answer(answer, ok_keys=("ok", "success"))


def send_wecom(address: str, subject: str, body: str) -> None:
    """A WeCom (企业微信) group robot: POST {"msgtype": "text", …} to its webhook URL."""
    url = address or getattr(settings, "ZHILI_WECOM_WEBHOOK_URL", "")
    if not url:
        console("wecom", "", subject, body)
        return
    content = f"{subject}\n{body}" if subject else body
    answer = post_json(url, {"msgtype": "text", "text": {"content": content}})
    # The robot answers HTTP 200 with {"errcode": 0, "errmsg": "ok"}; anything else is a failure.
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        raise ChannelError("webhook answered with something other than JSON") from None
    if isinstance(data, dict) and data.get("errcode", 0) != 0:
        raise ChannelError(f"webhook refused the message (errcode {data.get('errcode')})")


def _check_json_answer(answer: bytes, *, ok_keys: tuple[str, ...]) -> None:
    """Gateways that answer JSON with ok/success false refused the message."""
    if not answer:
        return
    try:
        data = json.loads(answer)
    except ValueError:
        return
    if isinstance(data, dict):
        for key in ok_keys:
            if key in data and not data[key]:
                raise ChannelError("gateway refused the message")


ADAPTERS = {
    "in_app": send_in_app,
    "email": send_email,
    "sms": send_sms,
    "wecom": send_wecom,
}
