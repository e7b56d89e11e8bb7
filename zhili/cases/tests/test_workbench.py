"""The staff workbench: queues by role, filters, SLA countdowns, bulk dispatch, export; the
dispatcher's panel (classifier, duplicates, merge into this one)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from zhili.audit.models import AuditAction, AuditEvent
from zhili.cases import actions as a
from zhili.cases.models import Case, Channel
from zhili.cases.selectors import countdown
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_C
from zhili.cases.tests.walk import Walker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]


def codes_in(response) -> str:
    return response.content.decode()


def test_each_queue_holds_what_it_says_for_each_role(client, login, walker, region):
    pending = walker.to(S.PENDING)
    dispatched = walker.to(S.DISPATCHED)
    resolved = walker.to(S.RESOLVED)
    login("dispatcher")
    page = codes_in(client.get("/cases/", {"queue": "dispatch"}))
    assert pending.code in page and dispatched.code not in page and resolved.code not in page
    login("handler")
    page = codes_in(client.get("/cases/", {"queue": "mine"}))
    assert dispatched.code in page and pending.code not in page
    assert 'data-queue="dispatch"' not in page  # no dispatcher tab for a handler
    login("supervisor")
    page = codes_in(client.get("/cases/", {"queue": "verify"}))
    assert resolved.code in page and pending.code not in page
    login("grid_worker_a")  # the grid worker of the case's grid verifies on site
    assert resolved.code in codes_in(client.get("/cases/", {"queue": "verify"}))
    login("grid_worker_b")
    assert resolved.code not in codes_in(client.get("/cases/", {"queue": "verify"}))
    login("outsider")
    for queue in ("mine", "dispatch", "verify", "overdue", "all"):
        page = codes_in(client.get("/cases/", {"queue": queue}))
        assert pending.code not in page and resolved.code not in page


def test_overdue_queue_and_countdown_colours(client, login, walker):
    late = walker.to(S.DISPATCHED)
    Case.objects.filter(pk=late.pk).update(finish_due_at=timezone.now() - timedelta(days=2, hours=1))
    soon = walker.to(S.DISPATCHED)
    Case.objects.filter(pk=soon.pk).update(
        finish_due_at=timezone.now() + timedelta(hours=3, minutes=5), yellow_at=timezone.now()
    )
    login("dispatcher")
    page = codes_in(client.get("/cases/", {"queue": "overdue"}))
    assert late.code in page and soon.code not in page
    assert "sla-red" in page and "超期 2天" in page
    page = codes_in(client.get("/cases/", {"queue": "all"}))
    assert "sla-yellow" in page and "剩余 3小时" in page


@given(seconds=st.integers(min_value=-400 * 86400, max_value=400 * 86400))
def test_countdown_says_the_largest_whole_unit_and_which_side_of_the_deadline(seconds):
    now = timezone.now()
    with translation.override("en"):
        text = countdown(now + timedelta(seconds=seconds), now)
    left = abs(seconds)
    unit, size = ("day", 86400) if left >= 86400 else ("hour", 3600) if left >= 3600 else ("minute", 60)
    n = max(1, left // size)
    assert text.startswith("overdue by ") == (seconds < 0)
    assert text.endswith(" left") == (seconds >= 0)
    assert f"{n} {unit}" in text
    assert countdown(None, now) == ""


def _call_from_grid_c(region, cats):
    """A hotline call about a road in grid C, with the caller's mobile 13500001111."""
    return a.do_submit_case(
        actor=region.user("dispatcher"),
        channel=Channel.HOTLINE,
        title="路面坑洼",
        body="主路有大坑",
        lat=IN_GRID_C[0],
        lng=IN_GRID_C[1],
        category=cats.light,
        contact_mobile="13500001111",
    )


def test_filters_narrow_and_bad_filters_say_why(client, login, walker, region, cats):
    in_a = walker.to(S.PENDING)
    in_c = _call_from_grid_c(region, cats)
    login("dispatcher")
    page = codes_in(client.get("/cases/", {"queue": "all", "grid": region.grid_c.pk}))
    assert in_c.code in page and in_a.code not in page
    page = codes_in(client.get("/cases/", {"queue": "all", "category": cats.road.pk}))
    assert in_c.code in page and in_a.code not in page  # a top category takes in its children
    page = codes_in(client.get("/cases/", {"queue": "all", "q": "大坑"}))
    assert in_c.code in page and in_a.code not in page
    page = codes_in(client.get("/cases/", {"queue": "all", "phone": "135 0000 1111"}))
    assert in_c.code in page and in_a.code not in page
    today = timezone.localdate().isoformat()
    assert in_a.code in codes_in(
        client.get("/cases/", {"queue": "all", "date_from": today, "date_to": today})
    )
    bad = client.get("/cases/", {"queue": "all", "date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert bad.status_code == 422 and 'role="alert"' in codes_in(bad)
    assert client.get("/cases/", {"grid": "abc"}).status_code == 422


def test_htmx_swaps_only_the_results(client, login, walker):
    case = walker.to(S.PENDING)
    login("dispatcher")
    response = client.get("/cases/", {"queue": "dispatch"}, headers={"HX-Request": "true"})
    body = codes_in(response)
    assert response.status_code == 200 and "<html" not in body and 'id="results"' in body
    assert case.code in body and 'hx-swap-oob="true"' in body


def test_bulk_dispatch_dispatches_each_and_reports_refusals(client, login, walker, region):
    first, second = walker.to(S.PENDING), walker.to(S.PENDING)
    done = walker.to(S.DISPATCHED)
    hidden = Walker(region, walker.cats).to(S.PENDING)
    Case.objects.filter(pk=hidden.pk).update(node=region.grid_d)  # another street: not the dispatcher's
    login("dispatcher")
    response = client.post(
        "/cases/bulk-dispatch/?queue=dispatch",
        {"ids": [first.pk, second.pk, done.pk, hidden.pk], "department": region.department.pk},
    )
    assert response.status_code == 200
    body = codes_in(response)
    assert Case.objects.get(pk=first.pk).status == S.DISPATCHED
    assert Case.objects.get(pk=second.pk).status == S.DISPATCHED
    assert Case.objects.get(pk=hidden.pk).status == S.PENDING
    assert 'id="bulk-summary"' in body and done.code in body  # refused: already dispatched
    assert hidden.code not in body  # invisible: no code given away
    assert first.events.filter(kind="dispatch").count() == 1


def test_bulk_dispatch_needs_one_target_and_a_dispatcher(client, login, walker, region):
    case = walker.to(S.PENDING)
    login("dispatcher")
    response = client.post("/cases/bulk-dispatch/", {"ids": [case.pk]})
    assert response.status_code == 422 and Case.objects.get(pk=case.pk).status == S.PENDING
    login("leader")  # sees the case, may not dispatch it
    client.post("/cases/bulk-dispatch/", {"ids": [case.pk], "grid": region.grid_a.pk})
    assert Case.objects.get(pk=case.pk).status == S.PENDING
    login("outsider")
    response = client.post("/cases/bulk-dispatch/", {"ids": [case.pk], "department": region.department.pk})
    assert Case.objects.get(pk=case.pk).status == S.PENDING
    assert case.code not in codes_in(response)


def test_bulk_dispatch_is_csrf_protected(region, walker):
    from django.test import Client

    case = walker.to(S.PENDING)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(region.user("dispatcher"))
    response = strict.post("/cases/bulk-dispatch/", {"ids": [case.pk], "department": region.department.pk})
    assert response.status_code == 403 and Case.objects.get(pk=case.pk).status == S.PENDING


def test_export_is_scoped_and_holds_no_personal_data(client, login, walker, region):
    case = walker.to(S.PENDING)
    login("dispatcher")
    response = client.get("/cases/export.xlsx", {"queue": "all"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert case.code in cells
    text = " ".join(cells)
    assert "13912345678" not in text and case.title not in text and case.body not in text
    event = AuditEvent.objects.get(action=AuditAction.CASES_EXPORTED)
    assert event.details == {"filters": {"queue": "all"}, "count": 1, "format": "xlsx"}
    client.get("/cases/export.xlsx", {"queue": "all", "phone": "13912345678"})
    logged = AuditEvent.objects.filter(action=AuditAction.CASES_EXPORTED).latest("id")
    assert logged.details["filters"]["phone"] is True and "13912345678" not in str(logged.details)
    login("outsider")
    sheet = load_workbook(io.BytesIO(client.get("/cases/export.xlsx").content)).active
    assert case.code not in [c for row in sheet.iter_rows(values_only=True) for c in row]


def test_the_list_costs_the_same_queries_for_more_cases(client, login, walker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/cases/", {"queue": "all"}).status_code == 200
        return len(captured)

    walker.to(S.PENDING)
    login("dispatcher")
    queries()  # warm the per-process caches (content types, sessions)
    few = queries()
    for _ in range(4):
        walker.to(S.PENDING)
        walker.to(S.DISPATCHED)
    assert queries() == few


# The dispatcher's panel -----------------------------------------------------------------------------


def test_dispatcher_sees_duplicates_and_merges_one_into_the_case(client, login, walker, region):
    main = walker.to(S.PENDING)
    twin = walker.to(S.PENDING)  # same title and place: a duplicate
    login("dispatcher")
    page = codes_in(client.get(f"/cases/{main.pk}/"))
    assert 'id="duplicates-panel"' in page and f'data-duplicate="{twin.code}"' in page
    assert f"/cases/{main.pk}/merge/{twin.pk}/" in page
    response = client.post(f"/cases/{main.pk}/merge/{twin.pk}/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="case-panel"' in codes_in(response)
    twin.refresh_from_db()
    assert twin.status == S.MERGED and twin.merged_into_id == main.pk


def test_merge_here_refusals(client, login, walker):
    main = walker.to(S.PENDING)
    twin = walker.to(S.PENDING)
    login("leader")
    assert 'id="duplicates-panel"' not in codes_in(client.get(f"/cases/{main.pk}/"))
    assert client.post(f"/cases/{main.pk}/merge/{twin.pk}/").status_code == 403
    login("outsider")
    assert client.post(f"/cases/{main.pk}/merge/{twin.pk}/").status_code == 404
    login("dispatcher")
    assert client.post(f"/cases/{main.pk}/merge/{main.pk}/").status_code == 422
    assert Case.objects.get(pk=twin.pk).status == S.PENDING


def test_the_classifier_panel_shows_the_stored_suggestion_and_terms(client, login, region, cats, monkeypatch):
    from zhili.intelligence.classify import Prediction

    guess = Prediction("ENV-GARB-PILE", 0.42, "CG", [("垃圾", 2.0), ("堆放", 1.0)], "keywords")
    monkeypatch.setattr("zhili.intelligence.classify.classify", lambda *args, **kwargs: guess)
    case = a.do_submit_case(
        actor=region.user("resident"),
        channel=Channel.H5,
        title="楼下垃圾堆放",
        body="没人清运",
        lat=39.905,
        lng=116.305,
        contact_mobile="13912345678",
    )
    login("dispatcher")
    page = codes_in(client.get(f"/cases/{case.pk}/"))
    assert 'id="classifier-panel"' in page and "Piled-up garbage" in page and "0.42" in page
    assert "垃圾" in page and "堆放" in page
    login("handler")
    assert 'id="classifier-panel"' not in codes_in(client.get(f"/cases/{case.pk}/"))


def _active_tab(page: str) -> str:
    import re

    found = re.search(r'data-queue="(\w+)"[^>]*class="active"', page, re.S)
    return found.group(1) if found else ""


def test_each_role_starts_on_its_own_tab(client, login, region):
    expected = {"dispatcher": "dispatch", "supervisor": "verify", "handler": "mine", "leader": "all"}
    for persona, tab in expected.items():
        login(persona)
        assert _active_tab(client.get("/cases/").content.decode()) == tab, persona
    login("dispatcher")
    assert _active_tab(client.get("/cases/", {"queue": "overdue"}).content.decode()) == "overdue"


def test_a_phone_search_is_posted_and_stays_out_of_every_address(client, login, walker, region, cats):
    in_a = walker.to(S.PENDING)
    in_c = _call_from_grid_c(region, cats)
    login("dispatcher")
    page = codes_in(client.get("/cases/"))
    assert 'id="filters" class="filters panel" method="post"' in page
    response = client.post(
        "/cases/", {"queue": "all", "phone": "13500001111", "q": ""}, headers={"HX-Request": "true"}
    )
    body = codes_in(response)
    assert response.status_code == 200 and in_c.code in body and in_a.code not in body
    assert response["HX-Push-Url"].startswith("/cases/?") and "1350000" not in response["HX-Push-Url"]
    assert "queue=all" in response["HX-Push-Url"]
    assert "phone=" not in body  # no link (tab, pager, bulk form) carries it
    export = client.post("/cases/export.xlsx", {"queue": "all", "phone": "13500001111"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    codes = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert in_c.code in codes and in_a.code not in codes


def test_bad_filters_swap_in_with_htmx_to_say_why(client, login, walker):
    login("dispatcher")
    bad = {"queue": "all", "date_from": "2026-05-02", "date_to": "2026-05-01"}
    response = client.post("/cases/", bad, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'role="alert"' in codes_in(response)  # htmx swaps only 2xx


def test_bulk_dispatch_without_ticks_says_to_tick(client, login, walker, region):
    walker.to(S.PENDING)
    login("dispatcher")
    response = client.post("/cases/bulk-dispatch/", {"department": region.department.pk})
    assert response.status_code == 422 and "请先勾选要派单的诉求" in codes_in(response)


def test_case_page_buttons_say_the_action_and_the_result_is_confirmed(client, login, walker):
    case = walker.to(S.DISPATCHED)
    login("handler")
    page = codes_in(client.get(f"/cases/{case.pk}/"))
    assert "<summary>签收</summary>" in page and "<summary>已签收</summary>" not in page
    response = client.post(f"/cases/{case.pk}/act/sign/", {}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "操作成功：签收。" in codes_in(response)
    assert "已签收" in codes_in(response)  # the timeline still says what happened
    until = (timezone.localtime() + timedelta(days=30)).replace(second=0, microsecond=0)
    response = client.post(
        f"/cases/{case.pk}/act/request_extension/",
        {"request_extension-until": until.strftime("%Y-%m-%dT%H:%M"), "request_extension-reason": "需协调"},
        headers={"HX-Request": "true"},
    )
    assert "新的办结期限：" + until.strftime("%Y-%m-%d %H:%M") in codes_in(response)


def test_an_extension_without_a_deadline_says_so_in_the_pages_words(client, login, walker):
    case = walker.to(S.IN_PROGRESS)
    login("handler")
    response = client.post(
        f"/cases/{case.pk}/act/request_extension/",
        {"request_extension-reason": "需协调"},
        headers={"HX-Request": "true"},
    )
    page = codes_in(response)
    assert "请选择新的期限。" in page and "时区" not in page
    assert Case.objects.get(pk=case.pk).status == S.IN_PROGRESS
