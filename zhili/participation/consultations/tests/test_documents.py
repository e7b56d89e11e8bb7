"""Documents are checked by their bytes, size-limited, and photos lose their EXIF block."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.core.errors import DomainError
from zhili.participation.consultations.documents import FORMATS, clean_document


def jpeg_with_exif() -> bytes:
    exif = b"Exif\x00\x00GPS-secret-position"
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    return b"\xff\xd8" + app1 + b"\xff\xda\x00\x02" + b"\x11\x22" + b"\xff\xd9"


def test_a_photo_loses_its_exif_block():
    clean = clean_document("photo.JPG", jpeg_with_exif())
    assert clean.content_type == "image/jpeg" and b"GPS-secret-position" not in clean.data


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.docx", b"PK\x03\x04rest"),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"),
        ("a.pdf", b"%PDF-1.7"),
    ],
)
def test_office_files_and_pdf_are_accepted(name, data):
    assert clean_document(name, data).data == data


def test_too_large_is_refused(settings):
    settings.ZHILI_CONSULTATION_MAX_DOCUMENT_BYTES = 10
    with pytest.raises(DomainError) as refused:
        clean_document("a.pdf", b"%PDF-" + b"x" * 10)
    assert refused.value.code == "document_too_large" and refused.value.status == 413


@given(name=st.text(max_size=30), data=st.binary(max_size=64))
def test_any_upload_is_either_a_listed_format_with_its_magic_or_refused(name, data):
    try:
        clean = clean_document(name, data)
    except DomainError as exc:
        assert exc.code in {"document_type", "document_mismatch", "document_empty", "upload_not_image"}
    else:
        extension = name[name.rfind(".") :].lower()
        assert extension in FORMATS
        assert any(data.startswith(magic) for magic in FORMATS[extension][1])
        assert clean.content_type == FORMATS[extension][0]


def test_every_accepted_type_has_a_name_people_use():
    from django.utils import translation

    from zhili.participation.consultations.documents import TYPE_LABELS, type_label

    assert {content_type for content_type, _magics in FORMATS.values()} <= set(TYPE_LABELS)
    with translation.override("zh-hans"):
        assert type_label("application/pdf") == "PDF 文档"
        assert type_label("application/msword") == type_label(FORMATS[".docx"][0]) == "Word 文档"
        assert type_label("image/png") == "PNG 图片"
        assert type_label("application/x-unknown") == "application/x-unknown"  # as stored
