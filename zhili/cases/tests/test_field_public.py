"""The grid worker's phone page and patrol report; the resident's form with similar cases and +1;
the rating from the public tracking page."""

from __future__ import annotations

import pytest

from zhili.cases.models import Case, CaseSupport, Channel
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A, IN_GRID_C

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]


# The field page ---------------------------------------------------------------------------------------


def test_field_page_lists_my_tasks_and_my_grids_cases(client, login, walker, region):
    from zhili.cases import actions as a

    to_sign = a.do_dispatch(walker.new(), actor=region.user("dispatcher"), grid=region.grid_a)
    pending = walker.to(S.PENDING)  # filed in grid A, still with the dispatcher
    login("grid_worker_a")
    page = client.get("/cases/field/").content.decode()
    tasks = page.split('id="my-tasks"')[1].split('id="grid-cases"')[0]
    assert to_sign.code in tasks and pending.code not in tasks
    assert pending.code in page.split('id="grid-cases"')[1]
    assert 'id="patrol-start"' in page
    login("grid_worker_b")
    page = client.get("/cases/field/").content.decode()
    assert to_sign.code not in page and pending.code not in page
    login("handler")  # handlers have tasks but no grid and no patrol
    page = client.get("/cases/field/")
    assert page.status_code == 200 and 'id="patrol-start"' not in page.content.decode()
    login("leader")
    assert client.get("/cases/field/").status_code == 403
    assert client.get("/cases/field/report/").status_code == 403


def test_field_page_says_which_tasks_are_to_verify_on_site(client, login, walker):
    resolved = walker.to(S.RESOLVED)  # filed in grid A: its grid worker verifies it on site
    login("grid_worker_a")
    page = client.get("/cases/field/").content.decode()
    card = page.split(f'data-code="{resolved.code}"')[1].split("</a>")[0]
    assert 'class="tag to-verify">待核实' in card
    # The start button says what it does once, and the inbox is one tap away.
    assert ">巡查上报</a>" in page and "上报 · 巡查上报" not in page
    assert 'id="field-inbox" href="/notifications/"' in page


def test_patrol_submit_button_guards_against_a_second_tap(client, login, cats):
    login("grid_worker_a")
    page = client.get("/cases/field/report/").content.decode()
    assert 'data-busy="正在提交…"' in page and "button.disabled = true" in page


def test_patrol_report_files_a_patrol_case_in_the_workers_grid(client, login, region, cats):
    login("grid_worker_a")
    page = client.get("/cases/field/report/").content.decode()
    assert f'value="{cats.garbage.pk}"' in page and 'data-title="Garbage"' in page
    response = client.post(
        "/cases/field/report/", {"category": cats.garbage.pk, "lat": IN_GRID_A[0], "lng": IN_GRID_A[1]}
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == Channel.PATROL and case.title == "Garbage" and case.grid == region.grid_a
    assert case.reporter == region.user("grid_worker_a")
    # Without a position (the phone refused) it is filed under the worker's grid.
    client.post("/cases/field/report/", {"category": cats.light.pk, "title": "路灯坏", "note": "3号楼"})
    later = Case.objects.get(title="路灯坏")
    assert later.node == region.grid_a and later.body == "3号楼"


def test_patrol_report_refuses_bad_input(client, login, region, cats):
    login("grid_worker_a")
    assert client.post("/cases/field/report/", {"lat": IN_GRID_A[0], "lng": IN_GRID_A[1]}).status_code == 422
    assert client.post("/cases/field/report/", {"category": cats.garbage.pk, "lat": 39.9}).status_code == 422
    outside = client.post("/cases/field/report/", {"category": cats.garbage.pk, "lat": 31.2, "lng": 121.5})
    assert outside.status_code == 422 and "辖区" in outside.content.decode()
    assert Case.objects.count() == 0


# The resident's form --------------------------------------------------------------------------------------


def test_similar_cases_near_the_pin_hide_codes_and_numbers(client, walker):
    case = walker.to(S.PENDING)
    Case.objects.filter(pk=case.pk).update(title="路灯不亮 电话13912345678")
    near = client.post(
        "/cases/new/similar/",
        {"title": "路灯不亮", "body": "门口路灯坏了", "lat": IN_GRID_A[0], "lng": IN_GRID_A[1]},
    )
    text = near.content.decode()
    assert near.status_code == 200 and "路灯不亮" in text and "support-button" in text
    assert case.code not in text and "13912345678" not in text
    far = client.post("/cases/new/similar/", {"title": "路灯不亮", "body": "x", "lat": 31.2, "lng": 121.5})
    assert "support-button" not in far.content.decode()
    assert client.get("/cases/new/similar/").status_code == 405


def test_a_resident_adds_their_voice_instead_of_filing(client, walker):
    import re

    case = walker.to(S.PENDING)
    listing = client.post(
        "/cases/new/similar/", {"title": "路灯不亮", "body": "坏了", "lat": IN_GRID_A[0], "lng": IN_GRID_A[1]}
    ).content.decode()
    token = re.search(r'"token": "([^"]+)"', listing).group(1).encode().decode("unicode_escape")
    done = client.post("/cases/new/support/", {"token": token, "contact_mobile": "13700001111"})
    assert done.status_code == 200 and "support-done" in done.content.decode()
    again = client.post("/cases/new/support/", {"token": token, "contact_mobile": "13700001111"})
    assert again.status_code == 422
    assert CaseSupport.objects.filter(case=case).count() == 1
    forged = client.post("/cases/new/support/", {"token": str(case.pk)})
    assert forged.status_code == 422 and CaseSupport.objects.count() == 1
    assert Case.objects.count() == 1  # no new case filed


def test_the_public_map_has_every_grid_by_name_only(client, region):
    data = client.get("/cases/new/grids.geojson").json()
    names = {f["properties"]["name"] for f in data["features"]}
    assert {"Grid A", "Grid C", "Grid D"} <= names
    assert all(set(f["properties"]) == {"name"} for f in data["features"])


def test_the_report_form_has_the_map(client, region):
    page = client.get("/cases/new/").content.decode()
    assert 'id="pin-map"' in page and "/cases/new/grids.geojson" in page and 'id="similar"' in page


# Rating from the tracking page -----------------------------------------------------------------------------


def test_the_resident_rates_from_the_tracking_page(client, walker):
    case = walker.to(S.VERIFIED)
    page = client.post("/cases/track/", {"code": case.code, "phone4": "5678"}).content.decode()
    assert 'id="rate-form"' in page
    response = client.post(
        "/cases/track/rate/",
        {"code": case.code, "phone4": "5678", "rating": "unsatisfied", "comment": "灯还是不亮"},
    )
    assert response.status_code == 200 and 'id="rated"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.DISPATCHED and case.reopen_count == 1  # 重办
    assert case.evaluations.get().comment == "灯还是不亮"


def test_rating_needs_the_right_digits_and_a_verified_case(client, walker):
    case = walker.to(S.VERIFIED)
    wrong = client.post("/cases/track/rate/", {"code": case.code, "phone4": "0000", "rating": "satisfied"})
    assert wrong.status_code == 404
    bad = client.post("/cases/track/rate/", {"code": case.code, "phone4": "5678", "rating": "great"})
    assert bad.status_code == 422
    assert Case.objects.get(pk=case.pk).status == S.VERIFIED
    early = walker.to(S.IN_PROGRESS)
    page = client.post("/cases/track/", {"code": early.code, "phone4": "5678"}).content.decode()
    assert 'id="rate-form"' not in page
    refused = client.post("/cases/track/rate/", {"code": early.code, "phone4": "5678", "rating": "satisfied"})
    assert refused.status_code == 409 and Case.objects.get(pk=early.pk).status == S.IN_PROGRESS


def test_rating_is_csrf_protected(region, walker):
    from django.test import Client

    case = walker.to(S.VERIFIED)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/cases/track/rate/", {"code": case.code, "phone4": "5678", "rating": "satisfied"})
    assert response.status_code == 403 and Case.objects.get(pk=case.pk).status == S.VERIFIED


def test_grid_c_cases_are_not_similar_to_a_report_in_another_street(client, walker, region, cats):
    from zhili.cases import actions as a

    a.do_submit_case(
        actor=region.user("dispatcher"),
        channel=Channel.HOTLINE,
        title="路灯不亮",
        body="坏了",
        lat=IN_GRID_C[0],
        lng=IN_GRID_C[1],
        category=cats.light,
    )
    near_d = client.post(
        "/cases/new/similar/", {"title": "路灯不亮", "body": "坏了", "lat": 39.905, "lng": 116.405}
    )
    assert "support-button" not in near_d.content.decode()
