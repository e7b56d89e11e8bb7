"""The reporter's contact details, encrypted at rest (个人信息保护法).

One small adapter so that the case code never touches ciphertext directly: whatever field
encryption the platform uses (zhili.core.crypto today) is switched here.
"""

from __future__ import annotations

import re

from zhili.core import crypto

MOBILE_RE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
PHONE_RE = re.compile(r"^[0-9+\-() ]{5,20}$")


def normalise_phone(value: str) -> str:
    return crypto.normalize_for_index("mobile", value or "")


def seal(value: str) -> str:
    return crypto.encrypt(value) if value else ""


def unseal(token: str) -> str:
    return crypto.decrypt(token) if token else ""


def phone_index(value: str) -> str:
    return crypto.blind_index("mobile", value) if value else ""


def mask_phone(value: str) -> str:
    return crypto.mask_mobile(value) if value else ""


def mask_name(value: str) -> str:
    return crypto.mask_name(value) if value else ""


def last4(value: str) -> str:
    digits = "".join(ch for ch in normalise_phone(value) if ch.isdigit())
    return digits[-4:]
