"""Topic documents: PDF, images and office files, checked by their bytes, with a size limit.

The declared content type and the file name are the uploader's word; the first bytes are not.
A file is accepted when its extension is on the list and its bytes start the way that format
starts. Photos lose their EXIF block (a phone writes where it was taken) through the same code
as case photos. Office files are ZIP (OOXML) or OLE2 (the older .doc/.xls/.ppt) containers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhili.cases.photos import JPEG_MAGIC, PNG_MAGIC, strip_jpeg, strip_png
from zhili.core.errors import DomainError

MAX_DOCUMENTS = 10
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PDF_MAGIC = b"%PDF-"

# extension → (content type, accepted leading bytes)
FORMATS: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (PDF_MAGIC,)),
    ".jpg": ("image/jpeg", (JPEG_MAGIC,)),
    ".jpeg": ("image/jpeg", (JPEG_MAGIC,)),
    ".png": ("image/png", (PNG_MAGIC,)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (ZIP_MAGIC,)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP_MAGIC,)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (ZIP_MAGIC,)),
    ".doc": ("application/msword", (OLE_MAGIC,)),
    ".xls": ("application/vnd.ms-excel", (OLE_MAGIC,)),
    ".ppt": ("application/vnd.ms-powerpoint", (OLE_MAGIC,)),
}


# content type → what people call such a file (shown next to each document)
TYPE_LABELS: dict[str, Any] = {
    "application/pdf": gettext_lazy("PDF document"),
    "image/jpeg": gettext_lazy("JPEG image"),
    "image/png": gettext_lazy("PNG image"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": gettext_lazy("Word document"),
    "application/msword": gettext_lazy("Word document"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": gettext_lazy("Excel spreadsheet"),
    "application/vnd.ms-excel": gettext_lazy("Excel spreadsheet"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": gettext_lazy(
        "PowerPoint presentation"
    ),
    "application/vnd.ms-powerpoint": gettext_lazy("PowerPoint presentation"),
}


def type_label(content_type: str) -> str:
    """PDF 文档, Word 文档…: the stored content type in words (as it is when unknown)."""
    label = TYPE_LABELS.get(content_type)
    return str(label) if label is not None else content_type


def max_bytes() -> int:
    return int(getattr(settings, "ZHILI_CONSULTATION_MAX_DOCUMENT_BYTES", 10 * 1024 * 1024))


@dataclass(frozen=True)
class CleanDocument:
    data: bytes
    content_type: str
    extension: str


def extension_of(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def clean_document(name: str, data: bytes) -> CleanDocument:
    """Refuse what is too large, of a type not on the list, or not what its name says."""
    if len(data) > max_bytes():
        raise DomainError(
            "document_too_large",
            _("A document may be at most %(mb)s MB.") % {"mb": max_bytes() // (1024 * 1024)},
            status=413,
        )
    if not data:
        raise DomainError("document_empty", _("The file is empty."), status=422)
    extension = extension_of(name)
    if extension not in FORMATS:
        raise DomainError(
            "document_type",
            _("Only PDF, JPEG, PNG, Word, Excel and PowerPoint files can be uploaded."),
            status=422,
        )
    content_type, magics = FORMATS[extension]
    if not any(data.startswith(magic) for magic in magics):
        raise DomainError("document_mismatch", _("The file's contents do not match its type."), status=422)
    if content_type == "image/jpeg":
        data, _stripped = strip_jpeg(data)
        extension = ".jpg"
    elif content_type == "image/png":
        data, _stripped = strip_png(data)
    return CleanDocument(data, content_type, extension)
