"""The staff overview: open, done, overdue and coverage per service and grid; the chart's data; the
Excel export of open tasks (names masked, audited as an export)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from zhili.audit.models import AuditAction, AuditEvent
from zhili.residents.models import LogKind, PersonLog
from zhili.services.actions import do_generate_outreach, do_record_outreach
from zhili.services.models import OutreachTask
from zhili.services.selectors import overview
from zhili.services.states import Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def progress(region, people, service):
    """Monthly visits: grid A reached; grid B unreached (open again); grid C overdue."""
    visits = service(name="独居老人每月探访", tag_codes=["elderly_alone"], interval_days=30)
    do_generate_outreach(now=timezone.now() - timedelta(days=10))
    a = OutreachTask.objects.get(service=visits, grid=region.grid_a)
    do_record_outreach(a, actor=region.user("grid_worker_a"), outcome=Outcome.INFORMED)
    b = OutreachTask.objects.get(service=visits, grid=region.grid_b)
    do_record_outreach(b, actor=region.user("grid_worker_b"), outcome=Outcome.UNREACHABLE, note="无人")
    do_generate_outreach()
    return visits


def test_counts_and_coverage_per_service_and_grid(region, progress):
    data = overview(region.user("leader"))
    rows = {row.grid: row for row in data.rows}
    assert set(rows) == {"Grid A", "Grid B", "Grid C"}
    a, b, c = rows["Grid A"], rows["Grid B"], rows["Grid C"]
    assert (a.open, a.done, a.overdue, a.coverage) == (0, 1, 0, 100)
    assert (b.open, b.done, b.overdue, b.coverage) == (1, 1, 0, 0)
    assert (c.open, c.done, c.overdue, c.coverage) == (1, 0, 1, 0)  # made 10 days ago, due in 7
    assert (data.total.open, data.total.done, data.total.overdue, data.total.coverage) == (2, 2, 1, 33)
    # Community staff see their community only.
    assert {row.grid for row in overview(region.user("community_staff")).rows} == {"Grid A", "Grid B"}


def test_reaching_counts_only_within_the_interval(region, progress):
    moment = timezone.now() + timedelta(days=31)
    assert do_generate_outreach(now=moment).created == 1  # grid A's visit is due again
    later = {row.grid: row for row in overview(region.user("leader"), now=moment).rows}
    assert (later["Grid A"].coverage, later["Grid A"].open, later["Grid A"].done) == (0, 1, 1)


def test_the_overview_page_draws_the_chart_from_its_data(client, login, region, progress):
    login("leader")
    response = client.get("/services/overview/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="overview-chart"' in body and "vendor/echarts/echarts.min.js" in body
    chart = response.context["chart"]
    assert chart["services"] == ["独居老人每月探访"]
    assert {s["key"]: s["data"] for s in chart["series"]} == {"reached": [1], "open": [1], "overdue": [1]}


def test_the_overview_is_for_community_staff_and_leaders(client, login, region, progress):
    for persona in ("grid_worker_a", "admin", "dispatcher", "outsider"):
        login(persona)
        assert client.get("/services/overview/").status_code == 403
        assert client.get("/services/overview/open-tasks.xlsx").status_code == 403
    for persona in ("resident", "nobody"):
        login(persona)
        assert client.get("/services/overview/").status_code == 404
    login("leader")  # reads the figures; the list of who needs what is for those who serve them
    page = client.get("/services/overview/")
    assert page.status_code == 200 and 'id="export-link"' not in page.content.decode()
    assert client.get("/services/overview/open-tasks.xlsx").status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.OUTREACH_EXPORTED).exists()


def test_the_export_masks_names_and_is_audited_like_a_registry_export(
    client, login, region, people, progress
):
    login("community_staff")
    response = client.get("/services/overview/open-tasks.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2  # header + grid B's open task (grid C is community 2's)
    assert rows[1][0] == "独居老人每月探访" and rows[1][2] == "孙*英"
    assert "孙桂英" not in str(rows)
    event = AuditEvent.objects.get(action=AuditAction.OUTREACH_EXPORTED)
    assert event.details["count"] == 1 and "孙" not in str(event.details)
    log = PersonLog.objects.get(kind=LogKind.EXPORTED)
    assert log.person_id == people.b_alone.pk and log.audit_event_id == event.pk


def test_the_overview_reads_a_fixed_number_of_queries(client, login, region, people, service, progress):
    login("leader")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/services/overview/").status_code == 200
        return len(queries)

    few = count()
    service(name="高龄津贴", min_age=80)
    service(name="残疾人两项补贴", tag_codes=["disabled"])
    do_generate_outreach()
    assert count() == few


def test_the_export_leaves_out_services_that_name_a_tag_the_exporter_may_not_see(
    client, login, region, people, tags, service
):
    service(name="残疾人两项补贴", tag_codes=["disabled"])
    service(name="高龄津贴", min_age=80)
    do_generate_outreach()
    login("community_staff")
    rows = list(
        load_workbook(io.BytesIO(client.get("/services/overview/open-tasks.xlsx").content)).active.values
    )
    assert {row[0] for row in rows[1:]} == {"残疾人两项补贴", "高龄津贴"}
    tags["disabled"].visible_roles = ["grid_worker"]  # this community's staff no longer see it
    tags["disabled"].save()
    rows = list(
        load_workbook(io.BytesIO(client.get("/services/overview/open-tasks.xlsx").content)).active.values
    )
    assert {row[0] for row in rows[1:]} == {"高龄津贴"}
    event = AuditEvent.objects.filter(action=AuditAction.OUTREACH_EXPORTED).order_by("id").last()
    assert event is not None and len(event.details["withheld_services"]) == 1


def test_the_export_is_audited_at_the_exporters_territory(client, login, region, people, service):
    from zhili.audit.policies import visible_events

    service(name="高龄津贴", min_age=80)
    do_generate_outreach()
    login("community_staff")
    assert client.get("/services/overview/open-tasks.xlsx").status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.OUTREACH_EXPORTED)
    assert event.node_id == region.c1.pk and event.node_path == region.c1.path
    assert visible_events(region.user("auditor")).filter(pk=event.pk).exists()  # the street's auditor
