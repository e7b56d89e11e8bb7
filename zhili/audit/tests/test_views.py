"""The auditor's page: who gets in, what they see, filters, export and chain verification."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from types import SimpleNamespace
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from zhili.accounts.roles import Role
from zhili.audit import export
from zhili.audit.models import AuditAction, AuditEvent, ChainVerification
from zhili.audit.tests.helpers import record, without_triggers
from zhili.audit.verify import REASON_LABELS, Reason
from zhili.core.testing import make_user

pytestmark = pytest.mark.django_db

URL = reverse("audit:events")


@pytest.fixture
def marked(region):
    """One marked event in grid A, grid C, grid D (another street) and one with no node."""
    return {
        "grid_a": record(AuditAction.PERSON_CREATED, node=region.grid_a, details={"mark": "in-grid-a"}),
        "grid_c": record(AuditAction.PERSON_CREATED, node=region.grid_c, details={"mark": "in-grid-c"}),
        "grid_d": record(AuditAction.PERSON_CREATED, node=region.grid_d, details={"mark": "in-grid-d"}),
        "system": record(AuditAction.LOGIN_FAILED, details={"mark": "system-wide"}),
    }


@pytest.fixture
def community_auditor(region, client):
    user = make_user("c1_auditor", role=Role.AUDITOR, node=region.c1)
    client.force_login(user)
    return user


def _marks(response) -> set[str]:
    html = response.content.decode()
    return {mark for mark in ("in-grid-a", "in-grid-c", "in-grid-d", "system-wide") if mark in html}


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("persona", ["leader", "admin", "outsider", "grid_worker_a", "supervisor", "nobody"])
def test_users_without_the_auditor_role_are_forbidden(login, client, persona):
    login(persona)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403
    assert client.post(reverse("audit:verify")).status_code == 403


def test_auditor_opens_the_page(login, client):
    login("auditor")
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"


# --- scope ------------------------------------------------------------------------------------


def test_root_auditor_sees_their_street_and_system_events_but_not_another_street(login, client, marked):
    login("auditor")
    assert _marks(client.get(URL)) == {"in-grid-a", "in-grid-c", "system-wide"}


def test_community_auditor_sees_only_their_community_and_no_system_events(community_auditor, client, marked):
    assert _marks(client.get(URL)) == {"in-grid-a"}


def test_community_auditor_cannot_widen_the_scope_with_a_node_outside_it(
    community_auditor, client, marked, region
):
    response = client.get(URL, {"node": region.grid_d.pk})
    assert response.status_code == 200
    assert "node" in response.context["form"].errors
    assert _marks(response) == {"in-grid-a"}


def test_community_auditor_is_offered_only_nodes_of_their_subtree(community_auditor, client, region):
    offered = set(client.get(URL).context["form"].fields["node"].queryset)
    assert offered == {region.c1, region.grid_a, region.grid_b}


# --- filters ----------------------------------------------------------------------------------


def test_filter_by_node_includes_its_subtree(login, client, marked, region):
    login("auditor")
    assert _marks(client.get(URL, {"node": region.c1.pk})) == {"in-grid-a"}
    assert _marks(client.get(URL, {"node": region.c2.pk})) == {"in-grid-c"}


def test_filter_by_action(login, client, marked):
    login("auditor")
    assert _marks(client.get(URL, {"action": AuditAction.LOGIN_FAILED.value})) == {"system-wide"}


def test_filter_by_actor_name_part(login, client, region):
    login("auditor")
    record(AuditAction.LOGIN, actor=region.user("grid_worker_a"), details={"mark": "worker-login"})
    record(AuditAction.LOGIN, actor=region.user("dispatcher"), details={"mark": "dispatcher-login"})
    html = client.get(URL, {"actor": "WORKER"}).content.decode()
    assert "worker-login" in html
    assert "dispatcher-login" not in html


def test_filter_by_time_in_beijing_time(login, client):
    login("auditor")
    for hour, mark in ((1, "early"), (5, "middle"), (9, "late")):
        with mock.patch(
            "zhili.audit.actions.timezone.now", return_value=datetime(2026, 3, 1, hour, tzinfo=UTC)
        ):
            record(details={"mark": mark})
    # 12:00-14:00 in Beijing is 04:00-06:00 UTC.
    html = client.get(URL, {"occurred_from": "2026-03-01T12:00", "occurred_to": "2026-03-01T14:00"}).content
    assert b"middle" in html
    assert b"early" not in html
    assert b"late" not in html


def test_a_start_after_the_end_is_an_error(login, client):
    login("auditor")
    response = client.get(URL, {"occurred_from": "2026-03-02T00:00", "occurred_to": "2026-03-01T00:00"})
    assert "occurred_to" in response.context["form"].errors


# --- rows, order, pages -----------------------------------------------------------------------


def test_row_shows_beijing_time_actor_action_label_target_node_and_compact_details(login, client, region):
    user = login("auditor")
    with mock.patch(
        "zhili.audit.actions.timezone.now", return_value=datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)
    ):
        event = record(
            AuditAction.PII_REVEALED,
            actor=user,
            target=region.grid_b,
            node=region.grid_b,
            details={"字段": "身份证号", "n": 1},
        )
    response = client.get(URL)
    row = response.content.decode().split(f'id="event-{event.pk}"')[1].split("</tr>")[0]
    assert "2026-01-01 08:00:05" in row
    assert "auditor" in row
    with translation.override("zh-hans"):
        assert str(AuditAction.PII_REVEALED.label) in row
    # The object in words, its stored model label kept for the tooltip.
    assert f"辖区节点 #{region.grid_b.pk}" in row and 'title="territory.node"' in row
    assert "Grid B" in row
    assert "字段：身份证号" in row and "n：1" in row
    # What was recorded stays on the page exactly (folded away).
    assert "{&quot;n&quot;:1,&quot;字段&quot;:&quot;身份证号&quot;}" in row.split("<details>")[1]


def _row(client, event):
    return client.get(URL).content.decode().split(f'id="event-{event.pk}"')[1].split("</tr>")[0]


def test_a_case_transition_reads_as_status_labels_with_the_json_beside_it(login, client, region):
    login("auditor")
    from zhili.cases.models import Case

    event = record(
        AuditAction.CASE_TRANSITION,
        target=Case(pk=2079),  # only its model and id are written
        node=region.grid_a,
        details={
            "code": "7X6F9DT8AV",
            "event": 12,
            "kind": "resolve",
            "from": "in_progress",
            "to": "resolved",
        },
    )
    row = _row(client, event)
    assert "诉求 #2079" in row and "cases.case #" not in row
    readable = row.split("<details>")[0]
    assert "原状态：处理中" in readable and "新状态：已办结" in readable
    assert "编号：7X6F9DT8AV" in readable and "in_progress" not in readable
    raw = row.split("<details>")[1]
    assert "&quot;from&quot;:&quot;in_progress&quot;" in raw and "&quot;to&quot;:&quot;resolved&quot;" in raw


def test_details_of_any_shape_are_shown_and_unknown_keys_and_types_as_stored(login, client, region):
    login("auditor")
    gone = SimpleNamespace(_meta=SimpleNamespace(label_lower="gone.model"), pk=7)  # a model since removed
    event = record(
        AuditAction.RESIDENTS_EXPORTED,
        actor=region.user("community_staff"),
        target=gone,
        node=region.c1,
        details={"count": 3, "fields": ["mobile", "name"], "revealed": [], "ok": True, "nested": {"a": 1}},
    )
    row = _row(client, event)
    readable = row.split("<details>")[0]
    assert "gone.model #7" in row  # shown by its stored name
    assert "数量：3" in readable and "字段：mobile、name" in readable and "完整显示：—" in readable
    assert "ok：是" in readable and "nested：{&quot;a&quot;:1}" in readable


def test_a_classifier_verdict_reads_as_on_the_classifier_page(login, client):
    from zhili.intelligence.models import ClassifierModel

    login("auditor")
    event = record(
        AuditAction.CLASSIFIER_RETRAINED,
        target=ClassifierModel(pk=4),
        details={"n_train": 120, "active": False, "decision": "kept m3: macro-F1 0.9501 < 0.9612"},
    )
    row = _row(client, event)
    readable = row.split("<details>")[0]
    assert "分类模型版本 #4" in row and "启用：否" in readable and "训练诉求数：120" in readable
    assert "决定：未启用，保留 m3：宏平均F1 0.9501 &lt; 0.9612" in readable
    assert "kept m3: macro-F1 0.9501 &lt; 0.9612" in row.split("<details>")[1]


def test_a_renamed_node_reads_as_was_and_now(login, client, region):
    login("auditor")
    event = record(
        AuditAction.NODE_RENAMED, target=region.grid_a, node=region.grid_a, details={"from": "甲", "to": "乙"}
    )
    readable = _row(client, event).split("<details>")[0]
    assert "原值：甲" in readable and "新值：乙" in readable


def test_newest_first_fifty_per_page(login, client):
    login("auditor")
    for i in range(60):
        record(details={"seq": i})
    first = client.get(URL)
    rows = first.context["rows"]
    assert len(rows) == 50
    assert [r.event.id for r in rows] == sorted((r.event.id for r in rows), reverse=True)
    assert rows[0].event.id == AuditEvent.objects.order_by("-id").first().id
    second = client.get(URL, {"page": 2})
    assert second.context["page"].number == 2
    assert {r.event.id for r in rows}.isdisjoint(r.event.id for r in second.context["rows"])


def test_htmx_request_gets_only_the_results(login, client, marked):
    login("auditor")
    response = client.get(URL, {"action": AuditAction.LOGIN_FAILED.value}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results">')
    assert "<html" not in html
    assert "system-wide" in html


def test_page_queries_do_not_grow_with_the_rows(login, client, region, django_assert_max_num_queries):
    login("auditor")
    for i in range(60):
        record(node=(region.grid_a, region.grid_b, region.grid_c)[i % 3], details={"i": i})
    # session, user, memberships (scope and menu), count, page, node names, node choices, last check
    with django_assert_max_num_queries(9):
        response = client.get(URL)
    assert len(response.context["rows"]) == 50


# --- export -----------------------------------------------------------------------------------


def _sheet_rows(response):
    workbook = load_workbook(io.BytesIO(response.content))
    return list(workbook.active.iter_rows(values_only=True))


def test_export_gives_the_filtered_rows_as_xlsx_and_is_audited(login, client, marked, region):
    user = login("auditor")
    query = {"node": region.c1.pk, "action": AuditAction.PERSON_CREATED.value}
    response = client.get(reverse("audit:export"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = _sheet_rows(response)
    data = rows[1:]
    assert [row[0] for row in data] == [marked["grid_a"].pk]
    assert "in-grid-a" in data[0][8]
    exported = AuditEvent.objects.order_by("-id").first()
    assert exported.action == AuditAction.AUDIT_EXPORTED
    assert exported.actor_id == user.pk
    assert exported.node_id == region.c1.pk
    assert exported.details == {
        "filters": {"node_id": region.c1.pk, "action": "residents.person_created"},
        "count": 1,
        "format": "xlsx",
    }


def test_export_writes_beijing_time_and_never_a_formula(login, client, region):
    login("auditor")
    attacker = make_user("=HYPERLINK(1)", role=None, node=None)
    with mock.patch("zhili.audit.actions.timezone.now", return_value=datetime(2026, 1, 1, 0, 0, tzinfo=UTC)):
        record(actor=attacker, details={"mark": "x"})
    workbook = load_workbook(io.BytesIO(client.get(reverse("audit:export"), {"actor": "HYPERLINK"}).content))
    cell = workbook.active.cell(row=2, column=3)
    assert cell.value == "=HYPERLINK(1)"
    assert cell.data_type == "s"
    assert workbook.active.cell(row=2, column=2).value == datetime(2026, 1, 1, 8, 0)


def test_export_of_a_community_auditor_stays_in_scope_and_belongs_to_their_node(
    community_auditor, client, marked, region
):
    rows = _sheet_rows(client.get(reverse("audit:export")))
    exported_ids = {row[0] for row in rows[1:]}
    assert marked["grid_a"].pk in exported_ids
    assert exported_ids.isdisjoint({marked["grid_c"].pk, marked["grid_d"].pk, marked["system"].pk})
    assert exported_ids == set(
        AuditEvent.objects.filter(node_path__startswith=region.c1.path)
        .exclude(action=AuditAction.AUDIT_EXPORTED)
        .values_list("id", flat=True)
    )
    assert AuditEvent.objects.order_by("-id").first().node_id == region.c1.pk


def test_export_too_large_is_refused_with_a_message(login, client, monkeypatch, marked):
    login("auditor")
    monkeypatch.setattr(export, "EXPORT_LIMIT", 1)
    before = AuditEvent.objects.count()
    response = client.get(reverse("audit:export"), follow=True)
    assert response.redirect_chain[-1][0].startswith(URL)
    assert len(list(response.context["messages"])) == 1
    assert AuditEvent.objects.count() == before  # nothing exported, nothing to audit


# --- chain verification -----------------------------------------------------------------------


def test_root_auditor_verifies_the_chain_and_sees_the_result(
    login, client, marked, django_capture_on_commit_callbacks
):
    login("auditor")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("audit:verify"))
    assert response.status_code == 302
    verification = ChainVerification.objects.get()
    assert verification.status == ChainVerification.Status.DONE
    assert verification.ok is True
    assert verification.count == AuditEvent.objects.count()  # the request itself is in the log too
    assert AuditEvent.objects.order_by("-id").first().action == AuditAction.AUDIT_VERIFY_REQUESTED
    html = client.get(URL).content.decode()
    assert verification.head_hash in html


def test_verification_result_names_the_broken_event(
    login, client, marked, django_capture_on_commit_callbacks
):
    login("auditor")
    with without_triggers() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_label = 'x' WHERE id = %s", [marked["grid_c"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(reverse("audit:verify"), headers={"HX-Request": "true"})
    assert 'hx-trigger="load delay:2s"' in queued.content.decode()  # the page polls until it is done
    response = client.get(reverse("audit:verification"))
    verification = ChainVerification.objects.get()
    assert (verification.ok, verification.first_bad_id, verification.reason) == (
        False,
        marked["grid_c"].pk,
        "changed",
    )
    broken = response.content.decode().split('class="err">')[1].split("</strong>")[0]
    assert f"#{marked['grid_c'].pk}" in broken
    with translation.override("zh-hans"):
        assert str(REASON_LABELS[Reason.CHANGED]) in broken


def test_queued_verification_is_polled(login, client):
    login("auditor")
    ChainVerification.objects.create(requested_by=None)
    html = client.get(reverse("audit:verification")).content.decode()
    assert 'hx-trigger="load delay:2s"' in html


def test_running_a_verification_twice_does_nothing_the_second_time(region):
    from zhili.audit.actions import do_run_chain_verification

    verification = ChainVerification.objects.create()
    assert do_run_chain_verification(verification.pk) is not None
    assert do_run_chain_verification(verification.pk) is None


def test_community_auditor_cannot_verify_the_whole_chain(community_auditor, client):
    assert "audit:verify" not in client.get(URL).content.decode()
    assert reverse("audit:verify") not in client.get(URL).content.decode()
    assert client.post(reverse("audit:verify")).status_code == 403
    assert client.get(reverse("audit:verification")).status_code == 403
    assert not ChainVerification.objects.exists()


def test_verify_needs_post(login, client):
    login("auditor")
    assert client.get(reverse("audit:verify")).status_code == 405
