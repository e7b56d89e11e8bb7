from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from zhili.cases.actions import do_submit_case
from zhili.cases.models import Case, Category, Channel, DispatchRule

# Inside the persona region's grid A and grid C (see zhili.core.testing).
IN_GRID_A = (39.905, 116.305)
IN_GRID_C = (39.905, 116.325)
OUTSIDE = (31.2, 121.5)  # Shanghai: no grid of ours


@pytest.fixture(autouse=True)
def _no_classifier_opinion(monkeypatch):
    """The classifier has no opinion unless a test gives it one: intake tests stay deterministic
    whatever keyword rules or model the intelligence app ships."""
    monkeypatch.setattr("zhili.intelligence.classify.classify", lambda *args, **kwargs: None)


@pytest.fixture
def clear_cache():
    """An empty cache before and after (rate limits and the stamped caches live there)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def walker(region, cats):
    """Brings a fresh case to any status through the real actions (``walk.Walker``)."""
    from zhili.cases.tests.walk import Walker  # walk imports this module's points

    return Walker(region, cats)


@dataclass
class Cats:
    env: Category
    garbage: Category
    pile: Category
    road: Category
    light: Category


@pytest.fixture
def cats(region) -> Cats:
    env = Category.objects.create(code="ENV", name="Environment", level=1)
    garbage = Category.objects.create(code="ENV-GARB", name="Garbage", level=2, parent=env)
    pile = Category.objects.create(
        code="ENV-GARB-PILE",
        name="Piled-up garbage",
        level=3,
        parent=garbage,
        department=region.department,
        keywords="垃圾\n堆放",
    )
    road = Category.objects.create(code="ROAD", name="Roads", level=1)
    light = Category.objects.create(
        code="ROAD-LIGHT", name="Street lights", level=2, parent=road, requires_photo_on_feedback=True
    )
    return Cats(env, garbage, pile, road, light)


@pytest.fixture
def rule(region, cats) -> DispatchRule:
    """Garbage anywhere in the street goes to the urban management department."""
    return DispatchRule.objects.create(
        category=cats.garbage, area=region.street, department=region.department, priority=10
    )


@pytest.fixture
def submit(region, cats):
    """Submit a case as the hotline dispatcher (category given, so confidence 1) in grid A."""

    def _submit(**overrides) -> Case:
        fields = {
            "actor": region.user("dispatcher"),
            "channel": Channel.HOTLINE,
            "title": "楼下垃圾堆放",
            "body": "3号楼下垃圾三天没人清运，气味很大。",
            "lat": IN_GRID_A[0],
            "lng": IN_GRID_A[1],
            "category": cats.pile,
            "contact_name": "张三",
            "contact_mobile": "13812345678",
        }
        fields.update(overrides)
        return do_submit_case(**fields)

    return _submit


def png_bytes() -> bytes:
    """A 1×1 PNG with a tEXt chunk (metadata that must be stripped)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Location\x0039.9,116.3")
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def jpeg_with_exif() -> bytes:
    """A minimal JPEG-shaped byte string with an APP1 EXIF segment carrying a GPS marker."""
    exif = b"Exif\x00\x00GPS39.9N116.3E"
    app1 = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    app0 = b"\xff\xe0" + (16).to_bytes(2, "big") + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sos = b"\xff\xda" + (8).to_bytes(2, "big") + b"\x01\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + app0 + app1 + sos + b"\x12\x34\x56" + b"\xff\xd9"
