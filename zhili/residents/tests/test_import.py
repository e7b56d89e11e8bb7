"""Excel import: every row checked first, all or nothing, duplicates, progress, page and command."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.idnumber import make_id_number
from zhili.residents import importing
from zhili.residents.actions import do_create_person
from zhili.residents.importing import HEADERS, create_job, run_job
from zhili.residents.models import ImportJob, ImportStatus, Person, PersonTag
from zhili.residents.tags import person_tags
from zhili.territory.models import Household

from .conftest import make_input

pytestmark = pytest.mark.django_db

ADDRESS = "和平街道朝阳路12号院3号楼"


def row(n, **overrides):
    born = date(1960, 1, 1 + n % 28)
    values = {
        "姓名": f"居民{n}",
        "性别": "男",
        "出生日期": born.isoformat(),
        "证件类型": "居民身份证",
        "证件号码": make_id_number("110105", born, 2 * n + 1),
        "手机号": f"139{n:08d}",
        "楼栋地址": ADDRESS,
        "户号": f"{n // 2 + 1}01",
        "与户主关系": "户主" if n % 2 == 0 else "子女",
        "户籍状态": "户籍",
        "迁入日期": "2001-05-01",
        "标签": "",
    }
    values.update(overrides)
    return [values[h] for h in HEADERS]


def workbook(rows, header=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(content, *, actor=None, scope=None):
    job = create_job(content=content, filename="t.xlsx", actor=actor, scope_paths=scope)
    outcome = run_job(job.pk)
    return ImportJob.objects.get(pk=job.pk), outcome


def report_rows(job):
    sheet = load_workbook(io.BytesIO(bytes(job.error_report))).active
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


def test_the_template_has_the_chinese_headers_and_a_valid_example():
    sheet = load_workbook(io.BytesIO(importing.template_bytes())).active
    header = [c.value for c in sheet[1]]
    assert header == ["姓名", "性别", "出生日期", "证件类型", "证件号码", "手机号", "楼栋地址", "户号",
                      "与户主关系", "户籍状态", "迁入日期", "标签"]  # fmt: skip


def test_a_valid_file_is_imported_with_households_and_sealed_tags(region, building):
    rows = [row(n) for n in range(6)]
    rows[0][HEADERS.index("标签")] = "独居老人、低保"
    rows[1][HEADERS.index("出生日期")] = datetime(1960, 1, 2)  # a real Excel date cell
    job, outcome = run(workbook(rows))
    assert (job.status, outcome.persons, outcome.households) == (ImportStatus.DONE, 6, 3)
    assert job.percent == 100 and job.content == b""
    first = Person.objects.get(name="居民0")
    assert first.id_number == rows[0][4] and first.mobile == "13900000000"
    assert first.import_job_id == job.pk
    assert {t.code for t in person_tags(first)} == {"elderly_alone", "dibao"}
    assert PersonTag.objects.filter(person=first, tag__isnull=True).count() == 1  # 低保 sealed
    assert Household.objects.filter(building=building).count() == 3
    event = AuditEvent.objects.get(action=AuditAction.RESIDENTS_IMPORTED)
    assert event.details["persons"] == 6 and event.node_path == region.grid_a.path
    assert rows[0][4] not in json.dumps(event.details)


def test_a_bad_row_in_the_middle_means_nothing_is_imported(building):
    rows = [row(n) for n in range(5)]
    bad = rows[2][HEADERS.index("证件号码")]
    rows[2][HEADERS.index("证件号码")] = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    before = Household.objects.count()
    job, outcome = run(workbook(rows))
    assert job.status == ImportStatus.INVALID and outcome.errors == 1
    assert Person.objects.count() == 0 and Household.objects.count() == before
    assert job.content == b""
    report = report_rows(job)
    assert report[0] == ("行号", "列", "原因")
    assert report[1][:2] == (4, "证件号码")  # the header is row 1, so the third person is row 4
    assert "校验位" in report[1][2]
    assert not any(bad[:-1] in str(cell) for r in report for cell in r)


def test_every_kind_of_error_is_reported_with_row_and_column(region, building):
    rows = [
        row(0, 性别="未知"),
        row(1, 出生日期="1961-01-02"),
        row(2, 手机号="12345"),
        row(3, 楼栋地址="不存在的路1号"),
        row(4, 与户主关系="房东"),
        row(5, 标签="不存在的标签"),
        row(6, 迁入日期="1950-01-01"),
        row(7, 出生日期="昨天"),
        row(8, 证件号码="1.10105196001E+17"),
        row(9, 姓名=""),
    ]
    job, _outcome = run(workbook(rows))
    found = {(r[0], r[1]) for r in report_rows(job)[1:]}
    assert found >= {
        (2, "性别"),
        (3, "出生日期"),
        (4, "手机号"),
        (5, "楼栋地址"),
        (6, "与户主关系"),
        (7, "标签"),
        (8, "迁入日期"),
        (9, "出生日期"),
        (10, "证件号码"),
        (11, "姓名"),
    }
    assert Person.objects.count() == 0


def test_duplicates_inside_the_file_and_against_the_registry(household):
    existing = do_create_person(household, make_input(), actor=None)
    rows = [row(0), row(1), row(0, 姓名="重复"), row(2)]
    rows[3][HEADERS.index("证件号码")] = existing.id_number
    rows[3][HEADERS.index("出生日期")] = "1949-12-31"
    rows[3][HEADERS.index("性别")] = "女"
    job, _outcome = run(workbook(rows))
    report = report_rows(job)[1:]
    assert [(r[0], r[1]) for r in report] == [(4, "证件号码"), (5, "证件号码")]
    assert "第 2 行" in report[0][2]
    assert "已有居民" in report[1][2]
    assert Person.objects.count() == 1


def test_a_file_without_the_required_columns_is_refused():
    job, _outcome = run(workbook([["张三"]], header=["姓名"]))
    assert job.status == ImportStatus.INVALID
    assert "性别" in {r[1] for r in report_rows(job)[1:]}


def test_not_an_xlsx_file_is_refused():
    job, _outcome = run(b"name,id\n")
    assert job.status == ImportStatus.INVALID and Person.objects.count() == 0


def test_the_importers_area_limits_the_buildings(region, login, building, building_c):
    staff = region.user("community_staff")  # community 1: grids A and B, not C
    rows = [row(0), row(1, 楼栋地址="和平街道光明路8号楼")]
    from zhili.residents.policies import Perm, scope

    job, _outcome = run(workbook(rows), actor=staff, scope=scope(staff, Perm.IMPORT))
    assert [(r[0], r[1]) for r in report_rows(job)[1:]] == [(3, "楼栋地址")]


def test_an_address_as_people_type_it_finds_the_building(building):
    job, _outcome = run(workbook([row(0, 楼栋地址="和平街道 朝阳路１２号院３号楼")]))
    assert job.status == ImportStatus.DONE


def test_batches_commit_with_progress_and_a_late_clash_undoes_them_all(monkeypatch, household, building):
    monkeypatch.setattr(importing, "BATCH", 2)
    rows = [row(n) for n in range(6)]
    real_validate = importing.validate_rows

    def validate_then_someone_registers_row_5(*args, **kwargs):
        result = real_validate(*args, **kwargs)
        born = date(1960, 1, 5)
        do_create_person(
            household,
            make_input(
                name="抢先登记",
                gender="M",
                birth_date=born,
                id_number=rows[4][4],
                mobile="",
                moved_in_on=None,
            ),
            actor=None,
        )
        return result

    monkeypatch.setattr(importing, "validate_rows", validate_then_someone_registers_row_5)
    households_before = set(Household.objects.values_list("pk", flat=True))
    _job, outcome = run(workbook(rows))
    assert outcome.status == ImportStatus.FAILED
    assert list(Person.objects.values_list("name", flat=True)) == ["抢先登记"]
    assert set(Household.objects.values_list("pk", flat=True)) == households_before
    # Two batches had committed (with their audit rows) before the clash, and were removed again.
    assert AuditEvent.objects.filter(action=AuditAction.RESIDENTS_IMPORTED).count() == 2


def test_many_batches_import_everything(monkeypatch, building):
    monkeypatch.setattr(importing, "BATCH", 3)
    monkeypatch.setattr(importing, "INSERT_ROWS", 2)
    seen = []
    job = create_job(
        content=workbook([row(n) for n in range(10)]), filename="t.xlsx", actor=None, scope_paths=None
    )
    run_job(job.pk, progress=lambda phase, done, total: seen.append((phase, done, total)))
    assert Person.objects.count() == 10
    assert ("importing", 10, 10) in seen and ("counted", 0, 10) in seen
    assert AuditEvent.objects.filter(action=AuditAction.RESIDENTS_IMPORTED).count() == 4
    assert run_job(job.pk).status == ImportStatus.DONE  # a second run does nothing
    assert Person.objects.count() == 10


# The page -------------------------------------------------------------------------------------


def test_community_staff_imports_through_the_page(
    client, login, building, django_capture_on_commit_callbacks
):
    login("community_staff")
    assert "下载模板" in client.get(reverse("residents:import")).content.decode()
    template = client.get(reverse("residents:import_template"))
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    upload = io.BytesIO(workbook([row(n) for n in range(3)]))
    upload.name = "居民.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("residents:import"), {"file": upload})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("residents:import_job", args=[job.pk])
    page = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "100%" in page and "hx-trigger" not in page  # finished: the page stops polling
    assert Person.objects.count() == 3


def test_the_page_offers_the_error_report_of_a_refused_file(
    client, login, building, django_capture_on_commit_callbacks
):
    login("community_staff")
    upload = io.BytesIO(workbook([row(0, 手机号="123")]))
    upload.name = "bad.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("residents:import"), {"file": upload})
    job = ImportJob.objects.get()
    assert (
        reverse("residents:import_errors", args=[job.pk])
        in client.get(reverse("residents:import_job", args=[job.pk])).content.decode()
    )
    report = client.get(reverse("residents:import_errors", args=[job.pk]))
    assert report.status_code == 200
    login("grid_worker_a")  # somebody else's job
    assert client.get(reverse("residents:import_errors", args=[job.pk])).status_code == 404
    assert client.get(reverse("residents:import_job", args=[job.pk])).status_code == 404


def test_a_refused_file_shows_the_refusal_not_a_half_full_bar(
    client, login, building, django_capture_on_commit_callbacks
):
    login("community_staff")
    upload = io.BytesIO(workbook([row(n, 手机号="123") for n in range(6)]))
    upload.name = "bad.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("residents:import"), {"file": upload})
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        page = client.get(reverse("residents:import_job", args=[job.pk]), **headers).content.decode()
        assert "未导入：文件有错误" in page  # the status says the file was refused
        assert str(job.message) in page and reverse("residents:import_errors", args=[job.pk]) in page
        assert 'role="progressbar"' not in page and "50%" not in page and "hx-trigger" not in page


def test_a_failed_job_shows_no_progress_bar(client, login, region):
    staff = login("community_staff")
    job = ImportJob.objects.create(
        created_by=staff,
        filename="x.xlsx",
        status=ImportStatus.FAILED,
        total_rows=10,
        validated_rows=10,
        message="数据库不可用，未导入任何数据。",
    )
    page = client.get(reverse("residents:import_job", args=[job.pk])).content.decode()
    assert "数据库不可用" in page and 'role="progressbar"' not in page and "50%" not in page


def test_a_running_job_page_polls_every_second(client, login, region):
    staff = login("community_staff")
    job = ImportJob.objects.create(
        created_by=staff,
        filename="x.xlsx",
        status=ImportStatus.IMPORTING,
        total_rows=100,
        validated_rows=100,
        imported_rows=50,
    )
    page = client.get(reverse("residents:import_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and "75%" in page


@pytest.mark.parametrize("persona", ["grid_worker_a", "leader", "admin", "outsider", "handler"])
def test_import_pages_are_404_without_the_right(client, login, persona):
    login(persona)
    assert client.get(reverse("residents:import")).status_code == 404
    assert client.get(reverse("residents:import_template")).status_code == 404


# The command ----------------------------------------------------------------------------------


def test_the_command_imports_and_reports(tmp_path, building, capsys):
    path = tmp_path / "residents.xlsx"
    path.write_bytes(workbook([row(n) for n in range(4)]))
    call_command("residents", "import", str(path), "--json")
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["persons"]) == ("done", 4)


def test_the_command_refuses_a_bad_file_and_writes_the_report(tmp_path, building):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook([row(0), row(1, 性别="?")]))
    errors = tmp_path / "errors.xlsx"
    with pytest.raises(CommandError):
        call_command("residents", "import", str(path), "--errors", str(errors))
    assert load_workbook(errors).active.max_row == 2
    assert Person.objects.count() == 0


def test_the_command_as_a_user_keeps_to_their_area(tmp_path, region, building):
    path = tmp_path / "r.xlsx"
    path.write_bytes(workbook([row(0)]))
    with pytest.raises(CommandError):
        call_command("residents", "import", str(path), "--user", "grid_worker_a")  # may not import
    call_command("residents", "import", str(path), "--user", "community_staff")
    assert Person.objects.get().import_job.created_by == region.user("community_staff")
