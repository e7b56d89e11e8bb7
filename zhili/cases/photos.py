"""Photo uploads: only JPEG and PNG, size-limited, with EXIF (and its GPS position) removed.

Residents' phones write where a photo was taken into its EXIF block; a photo shown on the public
tracking page must not tell where the resident lives. Stripping is done on the bytes (JPEG APP1 and
APP13 segments, PNG eXIf/tEXt/zTXt/iTXt chunks) so that no imaging library is needed and the picture
itself is left untouched.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _

from zhili.core.errors import DomainError, NotFound

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_PHOTOS = 6


def max_bytes() -> int:
    return int(getattr(settings, "ZHILI_MAX_UPLOAD_BYTES", 8 * 1024 * 1024))


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    exif_stripped: bool


def _bad() -> DomainError:
    return DomainError("upload_not_image", _("Only JPEG or PNG photos can be uploaded."), status=422)


def strip_jpeg(data: bytes) -> tuple[bytes, bool]:
    """Drop APP1 (EXIF, XMP) and APP13 (IPTC) segments; keep everything else byte for byte."""
    if not data.startswith(b"\xff\xd8"):
        raise _bad()
    out = bytearray(b"\xff\xd8")
    pos = 2
    stripped = False
    while pos < len(data):
        if data[pos] != 0xFF:
            raise _bad()
        marker = data[pos + 1] if pos + 1 < len(data) else None
        if marker is None:
            raise _bad()
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: the compressed image follows to the end
            out += data[pos:]
            return bytes(out), stripped
        if marker in (0x01,) or 0xD0 <= marker <= 0xD7:
            out += data[pos : pos + 2]
            pos += 2
            continue
        if pos + 4 > len(data):
            raise _bad()
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise _bad()
        if marker in (0xE1, 0xED):
            stripped = True
        else:
            out += data[pos:end]
        pos = end
    raise _bad()


_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt"}


def strip_png(data: bytes) -> tuple[bytes, bool]:
    if not data.startswith(PNG_MAGIC):
        raise _bad()
    out = bytearray(PNG_MAGIC)
    pos = len(PNG_MAGIC)
    stripped = False
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise _bad()
        if kind in _PNG_DROP:
            stripped = True
        else:
            out += data[pos:end]
        pos = end
        if kind == b"IEND":
            return bytes(out), stripped
    raise _bad()


def clean_photo(data: bytes) -> CleanPhoto:
    """Check a photo by its bytes (never by the name or the declared type) and strip its metadata."""
    if len(data) > max_bytes():
        raise DomainError(
            "upload_too_large",
            _("A photo may be at most %(mb)s MB.") % {"mb": max_bytes() // (1024 * 1024)},
            status=413,
        )
    if data.startswith(JPEG_MAGIC):
        clean, stripped = strip_jpeg(data)
        return CleanPhoto(clean, "image/jpeg", ".jpg", stripped)
    if data.startswith(PNG_MAGIC):
        clean, stripped = strip_png(data)
        return CleanPhoto(clean, "image/png", ".png", stripped)
    raise _bad()


def photo_response(photo: Any) -> FileResponse:
    """Send a stored photo (an ``Attachment``): inline, private to the browser's cache, never sniffed."""
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError:
        raise NotFound() from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["Content-Disposition"] = f'inline; filename="{photo.token}.{photo.extension}"'
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
