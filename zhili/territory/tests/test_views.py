from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhili.accounts.models import Membership
from zhili.accounts.roles import Role
from zhili.audit.models import AuditAction, AuditEvent
from zhili.territory.actions import do_create_building
from zhili.territory.models import Household

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_map_url_name_is_kept():
    assert reverse("territory:map") == "/territory/map/"
    assert reverse("territory:grid_card", args=[7]) == "/territory/grids/7/card/"
    assert reverse("territory:household", args=[7]) == "/territory/households/7/"
    assert reverse("territory:household_new", args=[7]) == "/territory/buildings/7/households/new/"


@pytest.mark.parametrize(
    "url",
    ["/territory/map/", "/territory/grids/1/card/", "/territory/households/1/", "/territory/buildings/1/"],
)
def test_pages_send_anonymous_visitors_to_login(client, region, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "persona,shown,hidden",
    [
        ("grid_worker_a", ["Grid A"], ["Grid B", "Grid C", "Grid D"]),
        ("community_staff", ["Grid A", "Grid B"], ["Grid C", "Grid D"]),
        ("leader", ["Grid A", "Grid B", "Grid C"], ["Grid D"]),
        ("outsider", ["Grid D"], ["Grid A", "Grid B"]),
    ],
)
def test_map_page_lists_only_visible_grids(client, login, persona, shown, hidden):
    login(persona)
    response = client.get("/territory/map/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="map"' in html and "vendor/leaflet/leaflet.js" in html and "territory/map.js" in html
    assert 'data-geojson-url="/api/v1/territory/grids.geojson"' in html
    for name in shown:
        assert name in html
    for name in hidden:
        assert name not in html


def test_map_page_query_count_does_not_grow_with_grids(client, login, region):
    from zhili.core.testing import square
    from zhili.territory.actions import do_create_node, do_draw_boundary

    login("leader")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/territory/map/").status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(4):
        grid = do_create_node(kind="grid", name=f"Extra {i}", code=f"S-C2-X{i}", parent=region.c2, actor=None)
        do_draw_boundary(grid, square(116.33 + i * 0.01, 39.9, 116.34 + i * 0.01, 39.91), actor=None)
    assert count() == before


def test_map_page_speaks_chinese_by_default(client, login):
    login("community_staff")
    html = client.get("/territory/map/").content.decode()
    assert "网格地图" in html


def test_grid_card_partial_for_htmx_and_full_page_otherwise(client, login, region, homes):
    login("community_staff")
    url = reverse("territory:grid_card", args=[region.grid_a.pk])
    partial = client.get(url, **HTMX)
    assert partial.status_code == 200
    body = partial.content.decode()
    assert "<html" not in body
    assert "Grid A" in body and "Community 1" in body and "grid_worker_a" in body
    assert "幸福路1号" in body and reverse("territory:building", args=[homes.building_a.pk]) in body
    assert "resident" not in body  # a resident membership on the grid is not a grid worker
    full = client.get(url)
    assert full.status_code == 200 and "<html" in full.content.decode() and "Grid A" in full.content.decode()


def test_grid_card_lists_at_most_20_buildings_and_says_how_many_exist(client, login, region):
    for i in range(23):
        do_create_building(region.grid_b, f"{i}号楼", f"和平街{i:02d}号", None, None, actor=None)
    login("grid_worker_b")
    body = client.get(reverse("territory:grid_card", args=[region.grid_b.pk]), **HTMX).content.decode()
    assert body.count('href="/territory/buildings/') == 20
    assert "23" in body
    assert "和平街00号" in body and "和平街22号" not in body


def test_grid_card_query_count_does_not_grow_with_buildings_or_workers(client, login, region, homes):
    login("community_staff")
    url = reverse("territory:grid_card", args=[region.grid_a.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, **HTMX).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        do_create_building(region.grid_a, f"{i}号", f"幸福路{i + 20}号", None, None, actor=None)
    Membership.objects.create(user=region.user("grid_worker_b"), role=Role.GRID_WORKER, node=region.grid_a)
    assert count() == before


@pytest.mark.parametrize(
    "persona,grid,status",
    [
        ("grid_worker_a", "grid_a", 200),
        ("grid_worker_a", "grid_b", 404),
        ("leader", "grid_b", 200),
        ("outsider", "grid_a", 404),
        ("nobody", "grid_a", 404),
        ("community_staff", "c1", 404),
    ],
)
def test_grid_card_scope(client, login, region, persona, grid, status):
    login(persona)
    assert (
        client.get(reverse("territory:grid_card", args=[getattr(region, grid).pk]), **HTMX).status_code
        == status
    )


@pytest.mark.parametrize(
    "persona,which,status",
    [
        ("grid_worker_a", "household_a", 200),
        ("grid_worker_a", "household_b", 404),  # grid B's household
        ("grid_worker_b", "household_b", 200),
        ("community_staff", "household_b", 200),
        ("leader", "household_a", 200),
        ("outsider", "household_a", 404),
        ("auditor", "household_a", 404),
    ],
)
def test_household_page_scope(client, login, homes, persona, which, status):
    login(persona)
    household = getattr(homes, which)
    response = client.get(reverse("territory:household", args=[household.pk]))
    assert response.status_code == status
    if status == 200:
        assert household.number in response.content.decode()
        assert household.building.address in response.content.decode()


def test_missing_household_is_404(client, login, homes):
    login("leader")
    assert client.get(reverse("territory:household", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "persona,which,status,can_register",
    [
        ("grid_worker_a", "building_a", 200, True),
        ("grid_worker_a", "building_b", 404, False),
        ("leader", "building_a", 200, False),
        ("outsider", "building_a", 404, False),
    ],
)
def test_building_page_scope_and_register_link(client, login, homes, persona, which, status, can_register):
    login(persona)
    building = getattr(homes, which)
    response = client.get(reverse("territory:building", args=[building.pk]))
    assert response.status_code == status
    new_url = reverse("territory:household_new", args=[building.pk])
    assert (new_url in response.content.decode()) is can_register


def test_grid_worker_registers_a_household_in_own_grid(client, login, homes):
    user = login("grid_worker_a")
    url = reverse("territory:household_new", args=[homes.building_a.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"number": "3-303"})
    household = Household.objects.get(building=homes.building_a, number="3-303")
    assert response.status_code == 302
    assert response["Location"] == reverse("territory:household", args=[household.pk])
    event = AuditEvent.objects.filter(action=AuditAction.HOUSEHOLD_CREATED).last()
    assert event.actor_id == user.pk and event.target_id == str(household.pk)


def test_duplicate_household_number_is_a_form_error(client, login, homes):
    login("grid_worker_a")
    response = client.post(
        reverse("territory:household_new", args=[homes.building_a.pk]), {"number": "1-101"}
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert Household.objects.filter(building=homes.building_a).count() == 1


@pytest.mark.parametrize(
    "persona,which,status",
    [
        ("leader", "building_a", 403),  # reads, but may not write
        ("supervisor", "building_a", 403),
        ("grid_worker_a", "building_b", 404),
        ("outsider", "building_a", 404),
        ("auditor", "building_a", 404),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_household_form_refuses_readers_and_strangers(client, login, homes, persona, which, status, method):
    login(persona)
    building = getattr(homes, which)
    count = Household.objects.count()
    response = getattr(client, method)(
        reverse("territory:household_new", args=[building.pk]), {"number": "9-909"}
    )
    assert response.status_code == status
    assert Household.objects.count() == count


def test_community_staff_registers_households_in_any_grid_of_the_community(client, login, homes):
    login("community_staff")
    response = client.post(
        reverse("territory:household_new", args=[homes.building_b.pk]), {"number": "5-501"}
    )
    assert response.status_code == 302
    assert Household.objects.filter(building=homes.building_b, number="5-501").exists()


def _case(region, code: str, status: str, *, grid=None, assigned_grid=None, node=None):
    from zhili.cases.models import Case, Channel

    return Case.objects.create(
        code=code,
        title=code,
        body="…",
        channel=Channel.HOTLINE,
        status=status,
        node=node or grid or region.c1,
        grid=grid,
        assigned_grid=assigned_grid,
    )


@pytest.fixture
def grid_a_cases(region):
    """Open cases of grid A: two filed in it, one dispatched to it from elsewhere; and cases that do
    not count: a closed one, one of grid B, and one in grid A the grid worker of A may not see."""
    from zhili.cases.states import CaseStatus

    _case(region, "OPEN1", CaseStatus.PENDING, grid=region.grid_a)
    _case(region, "OPEN2", CaseStatus.SUSPENDED, grid=region.grid_a)
    _case(region, "SENT", CaseStatus.DISPATCHED, grid=region.grid_b, assigned_grid=region.grid_a)
    _case(region, "DONE", CaseStatus.CLOSED, grid=region.grid_a)
    _case(region, "OTHER", CaseStatus.PENDING, grid=region.grid_b)


def _open_cases_link(body: str) -> str:
    import re

    match = re.search(r'<a class="open-cases" href="([^"]+)">(\d+)</a>', body)
    assert match, "the card shows no open cases"
    return f"{match.group(1)} {match.group(2)}"


@pytest.mark.parametrize(
    "persona,count",
    [
        ("community_staff", 3),  # sees the whole community
        # grid worker of A sees cases filed in A and those sent to A (here filed in B: still theirs)
        ("grid_worker_a", 3),
        ("leader", 3),
        ("dispatcher", 3),
    ],
)
def test_grid_card_counts_open_cases_of_the_grid_and_links_to_the_filtered_workbench(
    client, login, region, grid_a_cases, persona, count
):
    login(persona)
    body = client.get(reverse("territory:grid_card", args=[region.grid_a.pk]), **HTMX).content.decode()
    assert _open_cases_link(body) == f"/cases/?queue=all&amp;grid={region.grid_a.pk} {count}"
    assert "在办诉求" in body


def test_grid_card_counts_only_open_cases_the_user_may_see(client, login, region):
    """A department handler sees only the cases sent to their department; community staff all."""
    from zhili.cases.states import CaseStatus

    ours = _case(region, "DEPT", CaseStatus.DISPATCHED, grid=region.grid_a)
    ours.department = region.department
    ours.save(update_fields=["department"])
    _case(region, "NODEPT", CaseStatus.PENDING, grid=region.grid_a)
    login("community_staff")
    body = client.get(reverse("territory:grid_card", args=[region.grid_a.pk]), **HTMX).content.decode()
    assert _open_cases_link(body).endswith(" 2")
    login("handler")
    body = client.get(reverse("territory:grid_card", args=[region.grid_a.pk]), **HTMX).content.decode()
    assert _open_cases_link(body).endswith(" 1")


@pytest.mark.parametrize("persona", ["party_secretary", "admin"])
def test_grid_card_hides_open_cases_from_roles_without_cases(client, login, region, grid_a_cases, persona):
    login(persona)
    response = client.get(reverse("territory:grid_card", args=[region.grid_a.pk]), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Grid A" in body and 'class="open-cases"' not in body and "/cases/" not in body


def test_workbench_link_of_the_grid_card_lists_the_grids_cases(client, login, region, grid_a_cases):
    login("grid_worker_a")
    body = client.get(reverse("territory:grid_card", args=[region.grid_a.pk]), **HTMX).content.decode()
    url = _open_cases_link(body).split(" ")[0].replace("&amp;", "&")
    workbench = client.get(url)
    assert workbench.status_code == 200
    page = workbench.content.decode()
    assert "OPEN1" in page and "OPEN2" in page and "SENT" in page and "OTHER" not in page
