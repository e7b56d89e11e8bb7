"""Resident import: N generated rows through the real import path (read, check, write).

``zhili bench import --rows 100000 [--json]``. Runs in a throwaway database of the configured
kind (an SQLite file next to nothing else, or a PostgreSQL database named after the configured one
with ``_bench_import``), created with the migrations and dropped afterwards, so that the figures
include real indexes, triggers and commits, and the registry itself is never touched.

The workbook is written like Excel writes one (a shared-string table), with valid, distinct ID
numbers and mobiles, ~3 persons per household over 200 buildings, and a tag on one row in ten
(sensitive ones among them). Generating it and the territory is not timed; the import job is,
from the stored upload to the last committed batch.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from zhili.core.idnumber import make_id_number
from zhili.residents.importing import HEADERS, create_job, run_job
from zhili.territory.actions import do_create_building, do_create_node
from zhili.territory.models import NodeKind

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
PACKAGE_RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
SHEET_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
BUILDINGS = 200
GRIDS = 10
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文斌海燕晓东春梅"
TAGS = ["", "", "", "", "", "", "", "", "独居老人", "低保"]


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xlsx_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """A minimal workbook with a shared-string table, as Excel and WPS save one."""
    strings: dict[str, int] = {}

    def sst(text: str) -> int:
        found = strings.get(text)
        if found is None:
            found = strings[text] = len(strings)
        return found

    letters = [_column(i) for i in range(len(header))]
    lines = []
    for number, row in enumerate([header, *rows], start=1):
        cells = "".join(
            f'<c r="{letters[i]}{number}" t="s"><v>{sst(value)}</v></c>'
            for i, value in enumerate(row)
            if value
        )
        lines.append(f'<row r="{number}">{cells}</row>')
    ns = f'xmlns="{MAIN}"'
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    sheet = (
        f'{head}<worksheet {ns}><dimension ref="A1:{letters[-1]}{len(rows) + 1}"/>'
        f"<sheetData>{''.join(lines)}</sheetData></worksheet>"
    )
    shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)

    def relationship(rid: str, kind: str, target: str) -> str:
        return f'<Relationship Id="{rid}" Type="{OFFICE_REL}/{kind}" Target="{target}"/>'

    def override(part: str, kind: str) -> str:
        return f'<Override PartName="{part}" ContentType="{SHEET_TYPES}.{kind}+xml"/>'

    parts = {
        "[Content_Types].xml": (
            f'{head}<Types xmlns="{CONTENT_TYPES}">'
            f'<Default Extension="rels" ContentType="{PACKAGE_RELS_TYPE}"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + override("/xl/workbook.xml", "sheet.main")
            + override("/xl/worksheets/sheet1.xml", "worksheet")
            + override("/xl/sharedStrings.xml", "sharedStrings")
            + "</Types>"
        ),
        "_rels/.rels": (
            f'{head}<Relationships xmlns="{PACKAGE_RELS}">'
            + relationship("rId1", "officeDocument", "xl/workbook.xml")
            + "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'{head}<workbook {ns} xmlns:r="{OFFICE_REL}">'
            '<sheets><sheet name="居民信息" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{head}<Relationships xmlns="{PACKAGE_RELS}">'
            + relationship("rId1", "worksheet", "worksheets/sheet1.xml")
            + relationship("rId2", "sharedStrings", "sharedStrings.xml")
            + "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": (
            f'{head}<sst {ns} count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>'
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def generated_rows(count: int, addresses: list[str], seed: int = 7) -> list[list[str]]:
    """``count`` valid rows: distinct ID numbers (birth date × sequence) and mobiles."""
    rng = random.Random(seed)
    rows = []
    start = date(1940, 1, 1)
    for index in range(count):
        born = start + timedelta(days=(index // 500) * 113 % 24000)
        sequence = index % 500 * 2 + rng.randrange(2)
        male = sequence % 2 == 1
        id_number = make_id_number("110105", born, sequence)
        household = index // 3
        address = addresses[household % len(addresses)]
        relation = "户主" if index % 3 == 0 else "配偶" if index % 3 == 1 else "子女"
        rows.append(
            [
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                "男" if male else "女",
                born.isoformat(),
                "居民身份证",
                id_number,
                f"139{index:08d}",
                address,
                f"{household // len(addresses) + 1}-{household % 7 + 1}01",
                relation,
                "户籍" if index % 5 else "流动",
                (born + timedelta(days=7000)).isoformat()
                if born + timedelta(days=7000) < date(2025, 1, 1)
                else "",
                TAGS[index % len(TAGS)],
            ]
        )
    return rows


def prepare_territory() -> list[str]:
    street = do_create_node(kind=NodeKind.STREET, name="基准测试街道", code="BENCH", parent=None, actor=None)
    community = do_create_node(
        kind=NodeKind.COMMUNITY, name="基准社区", code="BENCH-C", parent=street, actor=None
    )
    grids = [
        do_create_node(
            kind=NodeKind.GRID, name=f"网格{g + 1}", code=f"BENCH-G{g + 1}", parent=community, actor=None
        )
        for g in range(GRIDS)
    ]
    addresses = []
    for b in range(BUILDINGS):
        address = f"基准路{b // 20 + 1}号院{b % 20 + 1}号楼"
        do_create_building(grids[b % GRIDS], f"{b % 20 + 1}号楼", address, None, None, actor=None)
        addresses.append(address)
    return addresses


def run_benchmark(rows: int, *, progress: Any = None) -> dict[str, Any]:
    """Run in an empty database (the command makes a throwaway one)."""
    from django.conf import settings
    from django.db import connection

    addresses = prepare_territory()
    generated = generated_rows(rows, addresses)
    started = time.perf_counter()
    content = xlsx_bytes(HEADERS, generated)
    build_seconds = time.perf_counter() - started
    job = create_job(content=content, filename="bench.xlsx", actor=None, scope_paths=None)
    started = time.perf_counter()
    outcome = run_job(job.pk, progress=progress)
    seconds = time.perf_counter() - started
    return {
        "benchmark": "residents_import",
        "rows": rows,
        "status": outcome.status,
        "persons": outcome.persons,
        "households": outcome.households,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds) if seconds else None,
        "phases": outcome.seconds,
        "file_bytes": len(content),
        "file_build_seconds": round(build_seconds, 2),
        "database": connection.vendor,
        "debug": settings.DEBUG,  # DEBUG logs every query: run benchmarks with ZHILI_DEBUG=0
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def add_arguments(parser: Any) -> None:
    parser.add_argument("--rows", type=int, default=100000, help="rows in the generated workbook")


@contextlib.contextmanager
def throwaway_database() -> Iterator[None]:
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    saved = dict(test_settings)
    with tempfile.TemporaryDirectory(prefix="zhili-bench-") as tmp:
        if connection.vendor == "sqlite":
            test_settings["NAME"] = str(Path(tmp) / "bench.sqlite3")
        else:
            test_settings["NAME"] = f"{old_name}_bench_import"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            test_settings.clear()
            test_settings.update(saved)


class _Bar:
    def __init__(self) -> None:
        self.total = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "counted":
            self.total = total
            return
        total = total or self.total
        if total:
            filled = int(30 * min(1.0, done / total))
            label = "检查 check" if phase == "validating" else "导入 write"
            sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
            sys.stderr.flush()


def run(*, rows: int = 100000, **_options: Any) -> dict[str, Any]:
    if rows < 1:
        raise ValueError("--rows must be at least 1")
    sys.stderr.write("准备临时数据库 / preparing a throwaway database …\n")
    with throwaway_database():
        figures = run_benchmark(rows, progress=_Bar())
    sys.stderr.write("\n")
    return figures
