"""Importing a resident register from an .xlsx workbook: all rows valid, or nothing written.

1. Check every row before writing any (ID check digit, birth date and sex against the ID
   number, mobile format, building in the importer's area, known tags, the same ID number twice
   in the file or already registered). Any error: the job is refused with an error report
   (row, column, reason in Chinese; never the values) and the registry is untouched.
2. Write in batches of ``BATCH`` rows, one transaction and one audit row each, creating the
   households that do not exist yet. Progress is saved after each batch for the page's bar.
   Should a batch fail all the same (someone registered one of the ID numbers in the meantime;
   the unique index catches it), the batches already written are removed again, so the rule
   "nothing is imported" holds for every file that is not imported whole.

The hot path avoids per-row queries: buildings, households, tags and registered ID numbers are
looked up in dictionaries filled with a few queries; persons, households and tags are inserted
with bulk_create.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.authz.policies import path_q
from zhili.core.crypto import blind_index, decrypt_bytes, encrypt, encrypt_bytes
from zhili.residents import validation as v
from zhili.residents.models import (
    ID_NUMBER_INDEX,
    MOBILE_INDEX,
    Gender,
    IdType,
    ImportJob,
    ImportStatus,
    Person,
    PersonTag,
    RelationToHead,
    ResidenceStatus,
    Tag,
)
from zhili.residents.xlsx import SheetReader, WorkbookError, workbook_bytes
from zhili.territory.addresses import normalise_address
from zhili.territory.models import Building, Household, Node

BATCH = 5000
INSERT_ROWS = 500
PERSON_COLUMNS = [
    "household",
    "name",
    "gender",
    "birth_date",
    "id_type",
    "id_number_enc",
    "id_number_bidx",
    "mobile_enc",
    "mobile_bidx",
    "relation_to_head",
    "residence_status",
    "moved_in_on",
    "import_job",
    "created_at",
    "updated_at",
]
LOOKUP_CHUNK = 900  # below SQLite's old 999-parameter limit
MAX_REPORTED_ERRORS = 10000

# The template's columns: (header, key, required). Headers are the government's own words.
COLUMNS: list[tuple[str, str, bool]] = [
    ("姓名", "name", True),
    ("性别", "gender", True),
    ("出生日期", "birth_date", True),
    ("证件类型", "id_type", False),
    ("证件号码", "id_number", False),
    ("手机号", "mobile", False),
    ("楼栋地址", "address", True),
    ("户号", "number", True),
    ("与户主关系", "relation", True),
    ("户籍状态", "status", True),
    ("迁入日期", "moved_in_on", False),
    ("标签", "tags", False),
]
HEADERS = [header for header, _key, _required in COLUMNS]
HEADER_OF = {key: header for header, key, _required in COLUMNS}

GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "M": Gender.MALE, "F": Gender.FEMALE}
ID_TYPES = {
    "": IdType.RESIDENT_ID,
    "居民身份证": IdType.RESIDENT_ID,
    "身份证": IdType.RESIDENT_ID,
    "护照": IdType.PASSPORT,
    "其他": IdType.OTHER,
    "其他证件": IdType.OTHER,
}
RELATIONS = {
    "户主": RelationToHead.HEAD,
    "本人": RelationToHead.HEAD,
    "配偶": RelationToHead.SPOUSE,
    "妻": RelationToHead.SPOUSE,
    "夫": RelationToHead.SPOUSE,
    "子女": RelationToHead.CHILD,
    "子": RelationToHead.CHILD,
    "女": RelationToHead.CHILD,
    "父母": RelationToHead.PARENT,
    "父亲": RelationToHead.PARENT,
    "母亲": RelationToHead.PARENT,
    "其他": RelationToHead.OTHER,
}
STATUSES = {
    "户籍": ResidenceStatus.REGISTERED,
    "户籍人口": ResidenceStatus.REGISTERED,
    "常住": ResidenceStatus.RESIDENT,
    "常住人口": ResidenceStatus.RESIDENT,
    "流动": ResidenceStatus.FLOATING,
    "流动人口": ResidenceStatus.FLOATING,
}
TAG_SEPARATORS = re.compile(r"[、,，;；/\s]+")
DATE_TEXT = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
NUMERIC = re.compile(r"^\d+(\.\d+)?([eE][+-]?\d+)?$")

# The sample rows of the template: valid, so that a new user can try the import on them.
EXAMPLE_ROWS = [
    ["张秀英", "女", "1949-12-31", "居民身份证", "11010519491231002X", "13812345678",
     "（楼栋地址，与系统中一致）", "1单元301", "户主", "户籍", "1985-06-01", "独居老人、高龄老人"],
]  # fmt: skip


@dataclass
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class ValidRow:
    row: int
    name: str
    gender: str
    birth_date: date
    id_type: str
    id_token: str
    id_bidx: str
    mobile_token: str
    mobile_bidx: str
    building_id: int
    number: str
    relation: str
    status: str
    moved_in_on: date | None
    tag_ids: list[int]


@dataclass
class Validation:
    rows: list[ValidRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_total: int = 0
    total: int = 0

    def add(self, row: int, key: str, reason: str) -> None:
        self.error_total += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, HEADER_OF.get(key, key), reason))


Progress = Callable[[str, int, int], None]  # (phase, done, total)


def template_bytes() -> bytes:
    return workbook_bytes(
        "居民信息", HEADERS, EXAMPLE_ROWS, widths=[10, 6, 12, 12, 22, 14, 30, 12, 10, 10, 12, 24]
    )


def error_report_bytes(validation: Validation) -> bytes:
    rows: list[list[Any]] = [[error.row, error.column, error.reason] for error in validation.errors]
    if validation.error_total > len(validation.errors):
        rows.append(["", "", f"另有 {validation.error_total - len(validation.errors)} 处错误未列出"])
    return workbook_bytes("错误报告", ["行号", "列", "原因"], rows, widths=[8, 14, 70])


class _Messages:
    """Each error sentence translated once (a bad column can fail 100,000 times)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, tuple[tuple[str, Any], ...]], str] = {}

    def __call__(self, code: str, **params: Any) -> str:
        key = (code, tuple(sorted(params.items())))
        text = self.cache.get(key)
        if text is None:
            text = self.cache[key] = v.message(code, **params)
        return text


def _parse_date(raw: str | None, reader: SheetReader) -> date | str | None:
    """A date, None when empty, or "bad"."""
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    if NUMERIC.match(text):
        number = float(text)
        if len(text) >= 8 and text.isdigit():  # 19491231
            try:
                return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
            except ValueError:
                return "bad"
        if 1 <= number < 2958466:
            return reader.excel_date(number)
        return "bad"
    match = DATE_TEXT.match(text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return "bad"
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return "bad"


def _scoped_buildings(scope_paths: list[str] | None) -> tuple[dict[str, int], set[str], dict[int, Node]]:
    """address key → building id in the scope, the keys held by two buildings, building id → grid."""
    buildings = Building.objects.select_related("grid")
    if scope_paths is not None:
        buildings = buildings.filter(path_q(scope_paths, "grid__path"))
    by_key: dict[str, int] = {}
    ambiguous: set[str] = set()
    grids: dict[int, Node] = {}
    for building in buildings.only("pk", "address_key", "address", "grid__path", "grid__id"):
        key = building.address_key or normalise_address(building.address)
        if key in by_key and by_key[key] != building.pk:
            ambiguous.add(key)
        by_key[key] = building.pk
        grids[building.pk] = building.grid
    return by_key, ambiguous, grids


def validate_rows(
    reader: SheetReader, *, scope_paths: list[str] | None, progress: Progress | None = None
) -> Validation:
    """Check every row; nothing is written. ``scope_paths`` None = every building."""
    result = Validation()
    msg = _Messages()
    rows = reader.rows()
    header_row = next(rows, None)
    if header_row is None:
        result.add(1, "", msg("header_missing"))
        return result
    header_line, header_cells = header_row
    if progress is not None and reader.declared_rows > header_line:
        progress("counted", 0, reader.declared_rows - header_line)
    positions = {str(text).strip(): index for index, text in enumerate(header_cells) if text}
    for header, _key, required in COLUMNS:
        if header not in positions and required:
            result.errors.append(RowError(header_line, header, msg("header_missing")))
            result.error_total += 1
    if result.errors:
        return result
    index = {key: positions.get(header) for header, key, _required in COLUMNS}
    buildings, ambiguous, _grids = _scoped_buildings(scope_paths)
    tags: dict[str, Tag] = {}
    for tag in Tag.objects.filter(active=True):
        tags[tag.name] = tag
        tags[tag.code] = tag
    seen_ids: dict[str, int] = {}
    today = timezone.localdate()

    def cell(cells: list[str | None], key: str) -> str:
        position = index[key]
        if position is None or position >= len(cells):
            return ""
        value = cells[position]
        return value.strip() if value else ""

    for line, cells in rows:
        result.total += 1
        errors_before = result.error_total
        name = cell(cells, "name")
        if not name:
            result.add(line, "name", msg("required"))
        elif len(name) > 50:
            result.add(line, "name", msg("too_long", max=50))
        gender = GENDERS.get(cell(cells, "gender"))
        if gender is None:
            result.add(line, "gender", msg("choice", allowed="男、女"))
        birth = _parse_date(cell(cells, "birth_date"), reader)
        if birth is None:
            result.add(line, "birth_date", msg("required"))
        elif birth == "bad":
            result.add(line, "birth_date", msg("date_format"))
        id_type = ID_TYPES.get(cell(cells, "id_type"))
        if id_type is None:
            result.add(line, "id_type", msg("choice", allowed="居民身份证、护照、其他证件"))
        raw_id = cell(cells, "id_number")
        id_number = v.normalise_document(id_type or "", raw_id)
        if raw_id and "E" in raw_id.upper() and NUMERIC.match(raw_id):
            result.add(line, "id_number", msg("id_as_number"))
        elif id_type is not None:
            for problem in v.check_identity(
                id_type=id_type,
                id_number=id_number,
                birth_date=birth if isinstance(birth, date) else None,
                gender=gender or "",
                today=today,
            ):
                result.add(line, problem.field, msg(problem.code))
        id_bidx = blind_index(ID_NUMBER_INDEX, id_number) if id_number else ""
        if id_bidx:
            first = seen_ids.get(id_bidx)
            if first is not None:
                result.add(line, "id_number", msg("id_number_repeated", row=first))
            else:
                seen_ids[id_bidx] = line
        mobile = v.normalise_mobile(cell(cells, "mobile"))
        if v.check_mobile(mobile):
            result.add(line, "mobile", msg("mobile_format"))
        address_key = normalise_address(cell(cells, "address"))
        building_id = buildings.get(address_key) if address_key else None
        if not address_key:
            result.add(line, "address", msg("required"))
        elif address_key in ambiguous:
            result.add(line, "address", msg("building_ambiguous"))
        elif building_id is None:
            result.add(line, "address", msg("building_missing"))
        number = cell(cells, "number")
        if not number:
            result.add(line, "number", msg("required"))
        elif len(number) > 50:
            result.add(line, "number", msg("too_long", max=50))
        relation = RELATIONS.get(cell(cells, "relation"))
        if relation is None:
            result.add(line, "relation", msg("choice", allowed="户主、配偶、子女、父母、其他"))
        status = STATUSES.get(cell(cells, "status"))
        if status is None:
            result.add(line, "status", msg("choice", allowed="户籍、常住、流动"))
        moved = _parse_date(cell(cells, "moved_in_on"), reader)
        if moved == "bad":
            result.add(line, "moved_in_on", msg("date_format"))
        elif isinstance(moved, date) and (moved > today or (isinstance(birth, date) and moved < birth)):
            result.add(line, "moved_in_on", msg("moved_in_range"))
        tag_ids: list[int] = []
        for label in TAG_SEPARATORS.split(cell(cells, "tags")):
            if not label:
                continue
            known = tags.get(label)
            if known is None:
                result.add(line, "tags", msg("tag_unknown", tag=label[:20]))
            elif known.pk not in tag_ids:
                tag_ids.append(known.pk)
        if result.error_total == errors_before:
            assert isinstance(birth, date) and gender and id_type and relation and status and building_id
            result.rows.append(
                ValidRow(
                    row=line,
                    name=name,
                    gender=gender,
                    birth_date=birth,
                    id_type=id_type,
                    id_token="",
                    id_bidx=id_bidx,
                    mobile_token="",
                    mobile_bidx="",
                    building_id=building_id,
                    number=number,
                    relation=relation,
                    status=status,
                    moved_in_on=moved if isinstance(moved, date) else None,
                    tag_ids=tag_ids,
                )
            )
            # Encrypt now, while the plain values are at hand; the rows keep only tokens.
            last = result.rows[-1]
            last.id_token = encrypt(id_number) if id_number else ""
            last.mobile_token = encrypt(mobile) if mobile else ""
            last.mobile_bidx = blind_index(MOBILE_INDEX, mobile) if mobile else ""
        if progress is not None and result.total % 2000 == 0:
            progress("validating", result.total, 0)
    # Against the registry: one query per LOOKUP_CHUNK ID numbers, through the blind index.
    pending = list(seen_ids)
    for start in range(0, len(pending), LOOKUP_CHUNK):
        chunk = pending[start : start + LOOKUP_CHUNK]
        for bidx in Person.objects.filter(id_number_bidx__in=chunk).values_list("id_number_bidx", flat=True):
            result.add(seen_ids[bidx], "id_number", msg("id_number_taken"))
    if result.error_total:
        order = {header: position for position, header in enumerate(HEADERS)}
        result.errors.sort(key=lambda error: (error.row, order.get(error.column, 99)))
        result.rows = []
    return result


@dataclass
class ImportOutcome:
    status: str
    total: int
    persons: int = 0
    households: int = 0
    errors: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _existing_households(building_ids: set[int]) -> dict[tuple[int, str], int]:
    found: dict[tuple[int, str], int] = {}
    ids = sorted(building_ids)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        for pk, building_id, number in Household.objects.filter(
            building_id__in=ids[start : start + LOOKUP_CHUNK]
        ).values_list("pk", "building_id", "number"):
            found[(building_id, number)] = pk
    return found


def _insert(model: type[models.Model], columns: list[str], rows: list[tuple[Any, ...]]) -> list[int]:
    """Insert rows whose values are already in their database form; returns the new ids.

    bulk_create prepares every value through its field (15 per person) and was most of the write
    time. SQLite: multi-row INSERT … RETURNING id (both databases return ids in VALUES order, as
    bulk_create itself relies on). PostgreSQL: ids drawn from the table's sequence, then COPY,
    several times faster than INSERT with client-side parameter binding.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy(model, columns, rows)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(_column(model, c)) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_ROWS):
            part = rows[start : start + INSERT_ROWS]
            sql = (
                f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(part))} RETURNING {quote('id')}"
            )
            cursor.execute(sql, [value for row in part for value in row])
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return str(field.column)


def _copy(model: type[models.Model], columns: list[str], rows: list[tuple[Any, ...]]) -> list[int]:
    quote = connection.ops.quote_name
    table = model._meta.db_table
    names = ", ".join(quote(c) for c in ["id", *(_column(model, c) for c in columns)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        # The raw psycopg cursor: its errors are turned into Django's (IntegrityError) here.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
        ):
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *row))
    return ids


def _write_batch(
    job: ImportJob,
    batch: list[ValidRow],
    households: dict[tuple[int, str], int],
    grids: dict[int, Node],
    tags: dict[int, Tag],
    *,
    actor: Any,
    batch_number: int,
) -> tuple[int, list[int]]:
    """One transaction: the batch's new households, persons and tags, and one audit row."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic():
        missing = sorted({(row.building_id, row.number) for row in batch} - set(households))
        created_ids = _insert(
            Household, ["building", "number", "created_at"], [(b, n, now) for b, n in missing]
        )
        for key, pk in zip(missing, created_ids, strict=True):
            households[key] = pk
        date_value = ops.adapt_datefield_value
        person_ids = _insert(
            Person,
            PERSON_COLUMNS,
            [
                (
                    households[(row.building_id, row.number)],
                    row.name,
                    row.gender,
                    date_value(row.birth_date),
                    row.id_type,
                    row.id_token,
                    row.id_bidx,
                    row.mobile_token,
                    row.mobile_bidx,
                    row.relation,
                    row.status,
                    date_value(row.moved_in_on),
                    job.pk,
                    now,
                    now,
                )
                for row in batch
            ],
        )
        links: list[tuple[Any, ...]] = []
        for person_id, row in zip(person_ids, batch, strict=True):
            for tag_id in row.tag_ids:
                tag = tags[tag_id]
                if tag.sensitive:
                    links.append((person_id, None, encrypt(tag.code), now))
                else:
                    links.append((person_id, tag_id, "", now))
        _insert(PersonTag, ["person", "tag", "tag_enc", "added_at"], links)
        batch_grids = {grids[row.building_id].pk: grids[row.building_id] for row in batch}
        grid_ids = sorted(batch_grids)
        node = _common_node(list(batch_grids.values()))
        record_audit(
            AuditAction.RESIDENTS_IMPORTED,
            actor=actor,
            target=job,
            node=node,
            details={
                "job": job.pk,
                "batch": batch_number,
                "rows": [batch[0].row, batch[-1].row],
                "persons": len(person_ids),
                "households_created": len(created_ids),
                "tags": len(links),
                "grids": grid_ids[:50],
            },
        )
    return len(person_ids), created_ids


def _common_node(nodes: list[Node]) -> Node | None:
    """The lowest node above all of ``nodes`` (the audit row is then visible to that subtree)."""
    if len(nodes) == 1:
        return nodes[0]
    parts = [node.path.strip("/").split("/") for node in nodes]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return Node.objects.filter(pk=int(common[-1])).first() if common else None


def _undo(job: ImportJob, household_ids: list[int]) -> None:
    """Remove what earlier batches of a failed job wrote (persons first, then their empty households)."""
    with transaction.atomic():
        Person.objects.filter(import_job=job).delete()
        for start in range(0, len(household_ids), LOOKUP_CHUNK):
            Household.objects.filter(
                pk__in=household_ids[start : start + LOOKUP_CHUNK], members=None
            ).delete()


def _larger_sqlite_cache() -> None:
    """SQLite's default page cache (2 MB) thrashes when six indexes of 100,000 random keys (blind
    indexes are hashes) grow at once; 64 MB for this connection keeps them in memory."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -65536")


def _update(job: ImportJob, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def create_job(*, content: bytes, filename: str, actor: Any, scope_paths: list[str] | None) -> ImportJob:
    """Store the upload (encrypted: it holds ID numbers) and return the job; run it with ``run_job``."""
    return ImportJob.objects.create(
        created_by=actor if getattr(actor, "pk", None) else None,
        filename=(filename or "")[:200],
        scope_paths=[] if scope_paths is None else scope_paths,
        content=encrypt_bytes(content),
    )


def run_job(job_id: int, *, actor: Any = None, progress: Progress | None = None) -> ImportOutcome:
    """Validate, then import, the job's workbook. Safe to run twice: only a queued job is claimed."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.VALIDATING, started_at=timezone.now()
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return ImportOutcome(status=job.status, total=job.total_rows, persons=job.persons_created)
    actor = actor if actor is not None else job.created_by
    scope_paths = job.scope_paths or None
    if job.created_by_id is not None and not job.scope_paths:
        scope_paths = []  # a user whose scope was empty imports nothing (never the whole registry)
    timings: dict[str, float] = {}
    with translation.override(settings.LANGUAGE_CODE):
        try:
            started = time.perf_counter()
            reader = SheetReader(decrypt_bytes(job.content))

            def checking(phase: str, done: int, total: int) -> None:
                if phase == "counted":
                    _update(job, total_rows=total)
                else:
                    _update(job, validated_rows=min(done, job.total_rows or done))
                if progress is not None:
                    progress(phase, done, total)

            validation = validate_rows(reader, scope_paths=scope_paths, progress=checking)
            timings["validate"] = round(time.perf_counter() - started, 3)
        except WorkbookError:
            validation = Validation()
            validation.add(
                1, "", _("The file is not an .xlsx workbook (save it from Excel or WPS as .xlsx).")
            )
        if validation.error_total:
            _update(
                job,
                status=ImportStatus.INVALID,
                total_rows=validation.total,
                validated_rows=validation.total,
                error_count=validation.error_total,
                error_report=error_report_bytes(validation),
                content=b"",
                finished_at=timezone.now(),
                message=_("Nothing was imported: %(count)s errors.") % {"count": validation.error_total},
            )
            with transaction.atomic():
                record_audit(
                    AuditAction.RESIDENTS_IMPORTED,
                    actor=actor,
                    target=job,
                    details={
                        "job": job.pk,
                        "status": "invalid",
                        "rows": validation.total,
                        "errors": validation.error_total,
                    },
                )
            return ImportOutcome(
                ImportStatus.INVALID, validation.total, errors=validation.error_total, seconds=timings
            )
        rows = validation.rows
        _update(
            job, status=ImportStatus.IMPORTING, total_rows=len(rows), validated_rows=len(rows), content=b""
        )
        started = time.perf_counter()
        households = _existing_households({row.building_id for row in rows})
        _by_key, _ambiguous, grids = _scoped_buildings(scope_paths)
        tags = {tag.pk: tag for tag in Tag.objects.all()}
        created_households: list[int] = []
        persons = 0
        try:
            for number, start in enumerate(range(0, len(rows), BATCH), start=1):
                batch = rows[start : start + BATCH]
                count, new_ids = _write_batch(
                    job, batch, households, grids, tags, actor=actor, batch_number=number
                )
                persons += count
                created_households += new_ids
                _update(
                    job,
                    imported_rows=start + len(batch),
                    persons_created=persons,
                    households_created=len(created_households),
                    created_household_ids=created_households,
                )
                if progress is not None:
                    progress("importing", start + len(batch), len(rows))
        except IntegrityError:
            _undo(job, created_households)
            _update(
                job,
                status=ImportStatus.FAILED,
                persons_created=0,
                households_created=0,
                imported_rows=0,
                finished_at=timezone.now(),
                message=_(
                    "Nothing was imported: an ID number of the file was registered by someone else "
                    "while the import ran. Upload the file again to see which."
                ),
            )
            return ImportOutcome(ImportStatus.FAILED, len(rows), seconds=timings)
        timings["write"] = round(time.perf_counter() - started, 3)
        _update(
            job,
            status=ImportStatus.DONE,
            finished_at=timezone.now(),
            message=_("%(persons)s residents imported, %(households)s new households.")
            % {"persons": persons, "households": len(created_households)},
        )
    return ImportOutcome(ImportStatus.DONE, len(rows), persons, len(created_households), seconds=timings)
