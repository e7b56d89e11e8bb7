"""Reading settings from the environment, with errors that name the variable.

Every setting comes from the environment (12-factor). A bad value stops start-up with
`ImproperlyConfigured` whose message starts with the variable's name, so that an operator
sees at once what to fix; the `zhili` command prints that message without a traceback.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}: expected one of 1/0/true/false/yes/no/on/off, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}: must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}: must be at most {maximum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name}: must list at least one value (comma separated)")
    return items


def read_secret(name: str, *, required: bool, dev_default: str = "") -> str:
    """A secret from NAME or from the file named by NAME_FILE (never both)."""
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if value and file_name:
        raise ImproperlyConfigured(f"{name}: set either {name} or {name}_FILE, not both")
    if file_name:
        path = Path(file_name)
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_name!r}: {exc.strerror}") from None
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE: the file {file_name!r} is empty")
    if not value:
        if required:
            raise ImproperlyConfigured(f"{name}: not set (set {name} or {name}_FILE)")
        return dev_default
    return value


def parse_data_keys(name: str, raw: str) -> dict[str, bytes]:
    """Parse data-encryption keys: ``kid:base64key[,kid:base64key…]``; the first is current.

    A single value without ``kid:`` gets the key id ``k1``. Each key must be 32 bytes (AES-256).
    """
    keys: dict[str, bytes] = {}
    for index, part in enumerate(item.strip() for item in raw.split(",")):
        if not part:
            continue
        kid, sep, encoded = part.partition(":")
        if not sep:
            kid, encoded = f"k{index + 1}", part
        kid = kid.strip()
        if not kid.isalnum() or len(kid) > 16:
            raise ImproperlyConfigured(f"{name}: key id {kid!r} must be 1-16 letters or digits")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{name}: key {kid!r} is not valid base64") from None
        if len(key) != 32:
            raise ImproperlyConfigured(f"{name}: key {kid!r} must decode to 32 bytes, got {len(key)}")
        if kid in keys:
            raise ImproperlyConfigured(f"{name}: key id {kid!r} appears twice")
        keys[kid] = key
    if not keys:
        raise ImproperlyConfigured(f"{name}: no key given")
    return keys
