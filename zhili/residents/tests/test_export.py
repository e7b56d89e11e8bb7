"""Export of a subtree: masked unless revealed with a reason, columns by role, always audited."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import DomainError, Forbidden
from zhili.residents.exporting import do_export_residents
from zhili.residents.models import LogKind, PersonLog

from .conftest import ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db


def sheet_rows(content):
    return [list(r) for r in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]


def test_export_is_masked_and_audited(region, person):
    content, count = do_export_residents(region.c1, actor=region.user("community_staff"))
    rows = sheet_rows(content)
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert count == 1 and header[:3] == ["姓名", "性别", "出生日期"]
    assert first["证件号码"] == "110105********002X" and first["手机号"] == "138****5678"
    assert first["标签"] == "低保、独居老人" or set(first["标签"].split("、")) == {"低保", "独居老人"}
    event = AuditEvent.objects.get(action=AuditAction.RESIDENTS_EXPORTED)
    assert event.details["count"] == 1 and event.details["revealed"] == []
    assert event.node_path == region.c1.path
    log = PersonLog.objects.get(person=person, kind=LogKind.EXPORTED)
    assert log.audit_event_id == event.pk


def test_full_values_need_the_right_and_a_reason(region, person):
    staff = region.user("community_staff")
    with pytest.raises(DomainError):
        do_export_residents(region.c1, actor=staff, reveal=["id_number"], reason="")
    content, _count = do_export_residents(
        region.c1, actor=staff, reveal=["id_number", "mobile"], reason="报送民政局低保复核"
    )
    first = dict(zip(*sheet_rows(content)[:2], strict=True))
    assert (first["证件号码"], first["手机号"]) == (ID_NUMBER, MOBILE)
    event = AuditEvent.objects.get(action=AuditAction.RESIDENTS_EXPORTED)
    assert (
        event.details["revealed"] == ["id_number", "mobile"]
        and event.details["reason"] == "报送民政局低保复核"
    )
    assert PersonLog.objects.get(person=person, kind=LogKind.EXPORTED).reason == "报送民政局低保复核"


def test_the_dispatcher_exports_without_id_numbers_and_cannot_reveal(region, person):
    dispatcher = region.user("dispatcher")
    content, _count = do_export_residents(region.street, actor=dispatcher)
    header = sheet_rows(content)[0]
    assert "证件号码" not in header and "出生日期" not in header and "手机号" in header
    with pytest.raises(Forbidden):
        do_export_residents(region.street, actor=dispatcher, reveal=["mobile"], reason="联系居民核实")


@pytest.mark.parametrize("persona", ["grid_worker_a", "leader", "handler", "admin"])
def test_roles_without_export_are_refused(region, person, persona):
    with pytest.raises(Forbidden):
        do_export_residents(region.c1, actor=region.user(persona))
    assert not AuditEvent.objects.filter(action=AuditAction.RESIDENTS_EXPORTED).exists()


def test_export_page_downloads_a_workbook(client, login, region, person):
    login("community_staff")
    assert client.get(reverse("residents:export")).status_code == 200
    response = client.post(reverse("residents:export"), {"node": region.c1.pk, "reason": ""})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="residents-S-C1-')
    assert sheet_rows(response.content)[1][0] == "张秀英"


def test_export_page_offers_only_the_users_area(client, login, region, person):
    login("community_staff")
    response = client.post(reverse("residents:export"), {"node": region.c2.pk})
    assert response.status_code == 200 and "attachment" not in response.get("Content-Disposition", "")
    assert not AuditEvent.objects.filter(action=AuditAction.RESIDENTS_EXPORTED).exists()


@pytest.mark.parametrize("persona", ["grid_worker_a", "leader", "admin", "outsider"])
def test_export_page_is_404_without_the_right(client, login, persona):
    login(persona)
    assert client.get(reverse("residents:export")).status_code == 404
