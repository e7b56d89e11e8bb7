"""The Ed25519 key that signs bulletin boards.

``ZHILI_SIGNING_KEY`` (or ``ZHILI_SIGNING_KEY_FILE``) holds the 32-byte private key in base64;
settings validate it at start-up. When it is not set, a key is derived from ``SECRET_KEY`` with
HKDF-SHA256: good enough for a demo or a test run, and a warning says so. A production site sets its
own key, because rotating ``SECRET_KEY`` would otherwise change the key that old boards were
signed with (old boards stay verifiable with the public key printed on them, but a new one would
not match the one people wrote down).
"""

from __future__ import annotations

import base64
import logging
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

logger = logging.getLogger(__name__)

HKDF_INFO = b"zhili election board signing key v1"


def key_is_derived() -> bool:
    return not getattr(settings, "ZHILI_SIGNING_KEY", b"")


@lru_cache(maxsize=4)
def _private_key(raw: bytes, secret_key: str) -> Ed25519PrivateKey:
    if not raw:
        logger.warning(
            "ZHILI_SIGNING_KEY is not set: election boards are signed with a key derived from SECRET_KEY"
        )
        raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
            secret_key.encode("utf-8")
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_key() -> Ed25519PrivateKey:
    return _private_key(bytes(getattr(settings, "ZHILI_SIGNING_KEY", b"") or b""), settings.SECRET_KEY)


def public_key_bytes(key: Ed25519PublicKey | None = None) -> bytes:
    key = key or private_key().public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64() -> str:
    return base64.b64encode(public_key_bytes()).decode("ascii")


def public_key_pem() -> str:
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def sign(data: bytes) -> str:
    return base64.b64encode(private_key().sign(data)).decode("ascii")


def load_public_key(text: str | bytes) -> Ed25519PublicKey:
    """A public key given as PEM or as base64 of the 32 raw bytes. Raises ValueError."""
    data = text.encode("ascii") if isinstance(text, str) else text
    data = data.strip()
    if data.startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    raw = base64.b64decode(data, validate=True)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def signature_valid(public_key: Ed25519PublicKey, signature_b64: str, data: bytes) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True
