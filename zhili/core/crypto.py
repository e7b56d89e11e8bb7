"""Field encryption, blind indexes and masking for personal data (个人信息保护法: encrypted at rest).

Encryption: AES-256-GCM with the keys of ``settings.ZHILI_DATA_KEYS`` (key id → 32 bytes; the
first key encrypts new values, every key still decrypts). A value is stored as the text token
``"<key id>:<base64(nonce ‖ ciphertext ‖ tag)>"`` with a random 12-byte nonce and the key id as
associated data, so that a token cannot be moved under another key id unnoticed. Rotation: put the
new key first in ZHILI_DATA_KEY and keep the old ones until every token is re-encrypted.

Blind index: to find a person by ID number or mobile without decrypting every row, a column holds
``blind_index(kind, value)``, an HMAC-SHA256 of the normalised value. Its key is derived with HKDF
from the data key named by ``settings.ZHILI_INDEX_KEY_ID`` (default: the first key id). That key
never changes with rotation: before putting a new key first, set ZHILI_INDEX_KEY_ID to the id that
indexes were made with (and keep that key in the list), otherwise every index must be recomputed.

Nothing here logs values; exceptions name key ids, never plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

NONCE_BYTES = 12
INDEX_KEY_INFO = b"zhili blind index"


class CryptoError(Exception):
    """A token cannot be decrypted: malformed, tampered with, or its key is not configured."""


class MissingKeyError(CryptoError):
    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(f"data key {key_id!r} is not configured in ZHILI_DATA_KEY")


def _keys() -> dict[str, bytes]:
    keys: dict[str, bytes] = settings.ZHILI_DATA_KEYS
    if not keys:
        raise CryptoError("ZHILI_DATA_KEYS is empty")
    return keys


def current_key_id() -> str:
    return next(iter(_keys()))


def _key(key_id: str) -> bytes:
    try:
        return _keys()[key_id]
    except KeyError:
        raise MissingKeyError(key_id) from None


@lru_cache(maxsize=16)
def _aead(key: bytes) -> AESGCM:
    return AESGCM(key)


def encrypt(text: str) -> str:
    """Encrypt ``text`` with the current key; a fresh random nonce makes equal texts differ."""
    key_id = current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(_key(key_id)).encrypt(nonce, text.encode("utf-8"), key_id.encode("ascii"))
    return f"{key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def token_key_id(token: str) -> str:
    """The key id a token was made with (to find tokens that still need re-encryption)."""
    key_id, sep, _rest = token.partition(":")
    if not sep or not key_id:
        raise CryptoError("malformed token: no key id")
    return key_id


def decrypt(token: str) -> str:
    """Decrypt a token made by ``encrypt`` with whichever configured key it names."""
    key_id = token_key_id(token)
    try:
        blob = base64.b64decode(token[len(key_id) + 1 :], validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError(f"malformed token for key {key_id!r}: not base64") from None
    if len(blob) < NONCE_BYTES + 16:
        raise CryptoError(f"malformed token for key {key_id!r}: too short")
    aead = _aead(_key(key_id))
    try:
        plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], key_id.encode("ascii"))
    except InvalidTag:
        raise CryptoError(f"token for key {key_id!r} fails authentication (altered or wrong key)") from None
    return plain.decode("utf-8")


def encrypt_bytes(data: bytes) -> bytes:
    """Binary form of ``encrypt`` for files held briefly (an uploaded workbook): ``<key id>:`` + blob."""
    key_id = current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(_key(key_id)).encrypt(nonce, data, key_id.encode("ascii"))
    return key_id.encode("ascii") + b":" + nonce + sealed


def decrypt_bytes(blob: bytes) -> bytes:
    key_id_raw, sep, rest = bytes(blob).partition(b":")
    if not sep or not key_id_raw or len(rest) < NONCE_BYTES + 16:
        raise CryptoError("malformed binary token")
    key_id = key_id_raw.decode("ascii", "replace")
    try:
        return _aead(_key(key_id)).decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], key_id_raw)
    except InvalidTag:
        raise CryptoError(f"binary token for key {key_id!r} fails authentication") from None


def index_key_id() -> str:
    key_id: str = getattr(settings, "ZHILI_INDEX_KEY_ID", "") or current_key_id()
    return key_id


@lru_cache(maxsize=16)
def _index_key(base_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INDEX_KEY_INFO).derive(base_key)


def normalize_for_index(kind: str, value: str) -> str:
    """Fold the ways people type the same value: full-width forms, spaces, hyphens, lower-case x.

    Mobiles also lose a leading +86/0086 country code.
    """
    if value.isascii() and value.isalnum():
        text = value.upper()  # the common case, already folded (an import computes 200,000 of these)
    else:
        folded = unicodedata.normalize("NFKC", value)
        text = "".join(ch for ch in folded if not ch.isspace() and ch != "-").upper()
    if kind == "mobile":
        for prefix in ("+86", "0086"):
            if text.startswith(prefix) and len(text) == len(prefix) + 11:
                text = text[len(prefix) :]
    return text


def blind_index(kind: str, value: str) -> str:
    """Hex HMAC-SHA256 of the normalised value; ``kind`` ("id_number", "mobile") separates domains."""
    if not kind or "\0" in kind:
        raise ValueError("blind_index needs a kind without NUL")
    key = _index_key(_key(index_key_id()))
    message = kind.encode("utf-8") + b"\0" + normalize_for_index(kind, value).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """110105199001011234 → 110105********1234; other documents keep their first and last two."""
    if len(value) in (15, 18):
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_mobile(value: str) -> str:
    """13812345678 → 138****5678; other numbers keep their last four."""
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


# Runs of digits in free text that look like a mobile number or a resident ID number (the last
# character of an ID may be X). A Chinese keyboard may type full-width digits (０-９): they count.
_D = "0-9\uff10-\uff19"
_NUMBER_IN_TEXT_RE = re.compile(
    rf"(?<![{_D}])(?:[1１][3-9３-９][{_D}]{{9}}|[{_D}]{{17}}[{_D}XxＸｘ]|[{_D}]{{15}})(?![{_D}XxＸｘ])"
)


def mask_numbers_in_text(text: str) -> str:
    """Mask mobile and ID numbers written into free text (a handler's reply shown on a public page)."""

    def mask(match: re.Match[str]) -> str:
        found = match.group(0)
        return mask_mobile(found) if len(found) == 11 else mask_id_number(found)

    return _NUMBER_IN_TEXT_RE.sub(mask, text or "")


def mask_name(value: str) -> str:
    """张三 → 张*, 张三丰 → 张*丰, 欧阳娜娜 → 欧**娜: the family name and, from three, the last character."""
    if len(value) <= 1:
        return "*" * len(value)
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
