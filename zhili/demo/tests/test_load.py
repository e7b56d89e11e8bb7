"""Loading the demo region into the database, through the action and the management command."""

from __future__ import annotations

import io
import json

import pytest
import shapely
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from shapely.geometry import Point, shape

from zhili.accounts.models import Department, Membership, User
from zhili.accounts.roles import Role
from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.crypto import blind_index
from zhili.core.errors import DomainError
from zhili.core.idnumber import parse_id_number
from zhili.demo.actions import do_load_demo_region
from zhili.demo.logins import DEMO_PASSWORD, demo_logins, logins_table
from zhili.demo.people import REFERENCE_DATE
from zhili.demo.plan import plan_region
from zhili.residents.models import ID_NUMBER_INDEX, Person, PersonTag
from zhili.territory.geometry import lies_within
from zhili.territory.importing import TerritoryImportError, import_territory
from zhili.territory.models import AreaBoundary, Building, GridBoundary, Household, Node, NodeKind

pytestmark = pytest.mark.django_db

SEED = 11
SCALE = 0.05


@pytest.fixture
def loaded():
    return do_load_demo_region(SEED, scale=SCALE)


def test_the_tree_has_district_street_communities_and_grids(loaded):
    district = Node.objects.get(kind=NodeKind.DISTRICT)
    assert district.name == "示范区"
    street = Node.objects.get(kind=NodeKind.STREET)
    assert (street.name, street.parent_id) == ("和平街道", district.pk)
    communities = Node.objects.filter(kind=NodeKind.COMMUNITY)
    assert set(communities.values_list("name", flat=True)) == {
        "朝阳社区",
        "幸福社区",
        "光明社区",
        "团结社区",
        "东山村",
    }
    assert all(c.is_within(street) for c in communities)
    grids = Node.objects.filter(kind=NodeKind.GRID)
    assert grids.count() == loaded.counts["grids"] == 10
    assert grids.filter(name="朝阳社区第1网格").exists()


def test_stored_boundaries_tile_each_community_without_gaps_or_overlaps(loaded):
    plan = plan_region(SEED, scale=SCALE)
    for community_plan in plan.communities:
        community = Node.objects.get(code=community_plan.code)
        boundaries = GridBoundary.objects.filter(grid__parent=community, is_current=True)
        polygons = [shape(b.geometry) for b in boundaries]
        assert len(polygons) == len(community_plan.grids) >= 2
        assert all(p.is_valid for p in polygons)
        union = shapely.union_all(polygons)
        expected = community_plan.polygon.area
        assert abs(union.area - expected) <= 1e-9 * expected
        assert abs(sum(p.area for p in polygons) - expected) <= 1e-9 * expected
        for i, a in enumerate(polygons):
            for b in polygons[i + 1 :]:
                assert a.intersection(b).area < 1e-15


def test_each_community_stores_its_polygon_holding_its_grids(loaded):
    plan = plan_region(SEED, scale=SCALE)
    for community_plan in plan.communities:
        area = AreaBoundary.objects.get(node__code=community_plan.code, is_current=True)
        polygon = shape(area.geometry)
        assert area.version == 1 and polygon.equals(community_plan.polygon)
        for boundary in GridBoundary.objects.filter(grid__parent=area.node, is_current=True):
            assert lies_within(shape(boundary.geometry), polygon)


def test_importing_a_grid_far_outside_a_demo_community_is_refused(loaded):
    far = [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.0]]]
    path = ["示范区", "和平街道", "朝阳社区", "远方网格"]
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"path": path, "kind": "grid", "code": "FAR"},
                "geometry": {"type": "Polygon", "coordinates": far},
            }
        ],
    }
    with pytest.raises(TerritoryImportError) as info:
        import_territory(data, actor=None)
    assert "朝阳社区" in info.value.errors[0] and "已存边界" in info.value.errors[0]
    assert not Node.objects.filter(code="FAR").exists()


def test_buildings_lie_in_their_grid_under_its_current_boundary(loaded):
    buildings = Building.objects.select_related("boundary", "grid")
    assert buildings.count() == loaded.counts["buildings"] > 0
    for building in buildings:
        assert building.boundary.grid_id == building.grid_id and building.boundary.is_current
        assert shape(building.boundary.geometry).contains(Point(building.lng, building.lat))
        assert building.address_key
    assert Household.objects.count() == loaded.counts["households"]


def test_residents_are_stored_encrypted_and_agree_with_the_plan(loaded):
    planned = list(plan_region(SEED, scale=SCALE).persons())
    stored = list(Person.objects.order_by("pk"))
    assert len(stored) == len(planned) == loaded.counts["persons"]
    for person, plan in zip(stored, planned, strict=True):
        assert (person.name, person.birth_date, person.gender) == (plan.name, plan.birth_date, plan.gender)
        assert plan.id_number not in person.id_number_enc
        info = parse_id_number(person.id_number, today=REFERENCE_DATE)
        assert info.birth_date == person.birth_date
        assert info.is_male == (person.gender == "M")
        assert person.mobile == plan.mobile
    someone = planned[len(planned) // 2]
    found = Person.objects.get(id_number_bidx=blind_index(ID_NUMBER_INDEX, someone.id_number.lower()))
    assert found.name == someone.name
    tags = sum(len(p.tags) for p in planned)
    assert PersonTag.objects.count() == tags > 0
    alone = Person.objects.filter(tags__code="elderly_alone")
    assert all(p.household.members.count() == 1 for p in alone)


def test_one_demo_audit_row_records_the_counts(loaded):
    rows = AuditEvent.objects.filter(action=AuditAction.DEMO_LOADED)
    assert rows.count() == 1
    details = rows.get().details
    assert details["seed"] == SEED
    assert details["counts"]["persons"] == loaded.counts["persons"]
    # Residents come in bulk: no per-row audit rows for them.
    assert not AuditEvent.objects.filter(action=AuditAction.PERSON_CREATED).exists()


def test_the_demo_auditor_may_verify_the_whole_chain(loaded):
    from zhili.audit.policies import sees_system_events

    assert sees_system_events(User.objects.get(username="shenji"))


def test_every_role_has_a_login_with_the_demo_password(loaded):
    for role in Role:
        holders = Membership.objects.filter(role=role, active=True)
        assert holders.exists(), role
    for login in demo_logins():
        user = User.objects.get(username=login.username)
        assert user.check_password(DEMO_PASSWORD)
        membership = user.memberships.get()
        assert (membership.role, membership.node.code) == (login.role, login.node_code)
        validate_password(DEMO_PASSWORD, user=user)
    # The supervisor has an address, so that the e-mail copies of escalations show in the demo.
    assert User.objects.get(username="ducha").email == "ducha@example.gov.cn"
    assert User.objects.exclude(email="").count() == 1
    handler = User.objects.get(username="chengban_cg")
    assert handler.department.name == "城市管理科"
    assert Department.objects.filter(node__kind=NodeKind.STREET).count() >= 6
    workers = Membership.objects.filter(role=Role.GRID_WORKER).select_related("node")
    assert {m.node.name for m in workers} >= {
        "朝阳社区第1网格",
        "朝阳社区第2网格",
        "东山村第1网格",
        "东山村第2网格",
    }


def test_loading_twice_is_refused(loaded):
    with pytest.raises(DomainError) as refused:
        do_load_demo_region(SEED + 1, scale=SCALE)
    assert refused.value.code == "territory_not_empty"


def test_command_loads_then_keeps_data_with_if_empty():
    out = io.StringIO()
    call_command("demo_data", "load", "--if-empty", "--seed", "3", "--scale", str(SCALE), stdout=out)
    text = out.getvalue()
    for login in demo_logins():
        assert login.username in text
    assert DEMO_PASSWORD in text
    persons = Person.objects.count()
    assert persons > 0
    again = io.StringIO()
    call_command("demo_data", "load", "--if-empty", "--seed", "4", "--scale", str(SCALE), stdout=again)
    # Nothing is loaded again, but the logins are shown again for whoever runs `make demo` twice.
    assert "jumin" in again.getvalue()
    assert Person.objects.count() == persons
    assert AuditEvent.objects.filter(action=AuditAction.DEMO_LOADED).count() == 1
    with pytest.raises(CommandError):
        call_command("demo_data", "load", "--seed", "4", "--scale", str(SCALE), stdout=io.StringIO())


def test_command_json_reports_counts_and_logins():
    out = io.StringIO()
    call_command("demo_data", "load", "--scale", str(SCALE), "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["loaded"] is True
    assert payload["counts"]["persons"] == Person.objects.count()
    assert {row["role"] for row in payload["logins"]} == set(Role.values)


def test_command_refuses_a_bad_scale():
    with pytest.raises(CommandError):
        call_command("demo_data", "load", "--scale", "2")


def test_logins_cover_every_role_with_unique_usernames():
    logins = demo_logins()
    assert {login.role for login in logins} == set(Role)
    usernames = [login.username for login in logins]
    assert len(usernames) == len(set(usernames))
    assert all(u.isascii() and u == u.lower() for u in usernames)
    table = logins_table(logins).splitlines()
    assert len(table) == len(logins) + 2
    for login in logins:
        validate_password(login.password, user=User(username=login.username, display_name=login.display_name))


def test_full_size_load_reaches_the_promised_counts(db):
    result = do_load_demo_region(1)
    assert Node.objects.filter(kind=NodeKind.COMMUNITY).count() >= 4
    assert Node.objects.filter(kind=NodeKind.GRID).count() >= 40
    assert Household.objects.count() >= 5000
    assert Person.objects.count() == result.counts["persons"] >= 12000
