"""The permission table and territory scope, persona by persona."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from zhili.accounts.models import Membership, User
from zhili.accounts.roles import READ_ONLY_ROLES, Role
from zhili.authz.policies import (
    ROLE_ACTIONS,
    Action,
    can_at,
    has_role,
    role_paths,
    scope_paths,
    territory_policies,
)
from zhili.core.errors import Forbidden, NotFound
from zhili.territory.models import Building, Household

# --- The table itself: which role may do what anywhere -------------------------------------------

EXPECTED_TABLE = {
    # role:                 VIEW   EDIT   MANAGE_TERRITORY  MANAGE_STAFF  VIEW_AUDIT
    Role.RESIDENT: (False, False, False, False, False),
    Role.GRID_WORKER: (True, True, False, False, False),
    Role.COMMUNITY_STAFF: (True, True, False, False, False),
    Role.DISPATCHER: (True, False, False, False, False),
    Role.HANDLER: (True, False, False, False, False),
    Role.SUPERVISOR: (True, False, False, False, False),
    Role.LEADER: (True, False, False, False, False),
    Role.PARTY_SECRETARY: (True, False, False, False, False),
    Role.AUDITOR: (False, False, False, False, True),
    Role.ADMIN: (True, False, True, True, False),
}
ACTIONS = [Action.VIEW, Action.EDIT, Action.MANAGE_TERRITORY, Action.MANAGE_STAFF, Action.VIEW_AUDIT]


def test_every_action_and_every_role_is_in_the_table():
    assert set(ROLE_ACTIONS) == set(Action)
    assert set(EXPECTED_TABLE) == set(Role)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", ACTIONS)
def test_role_actions_table(role, action):
    expected = EXPECTED_TABLE[role][ACTIONS.index(action)]
    assert (role in ROLE_ACTIONS[action]) is expected


@pytest.mark.parametrize("role", sorted(READ_ONLY_ROLES))
def test_read_only_roles_can_write_nothing(role):
    for action in (Action.EDIT, Action.MANAGE_TERRITORY, Action.MANAGE_STAFF):
        assert role not in ROLE_ACTIONS[action]


# --- Folding of scope paths, without a database --------------------------------------------------


def fake_user(*memberships: tuple[str, str], active: bool = True):
    return SimpleNamespace(is_authenticated=True, is_active=active, _zhili_memberships=list(memberships))


@pytest.mark.parametrize(
    ("memberships", "action", "expected"),
    [
        # A post and a post below it fold into the upper one.
        ([("grid_worker", "/1/2/4/"), ("community_staff", "/1/2/")], Action.VIEW, ["/1/2/"]),
        # Siblings stay apart.
        ([("grid_worker", "/1/2/4/"), ("grid_worker", "/1/2/5/")], Action.EDIT, ["/1/2/4/", "/1/2/5/"]),
        # "/2/" is not a prefix of "/23/": ids are whole path segments.
        ([("grid_worker", "/2/"), ("grid_worker", "/23/")], Action.VIEW, ["/2/", "/23/"]),
        # Only roles that may do the action count.
        ([("leader", "/1/"), ("grid_worker", "/1/2/4/")], Action.EDIT, ["/1/2/4/"]),
        ([("leader", "/1/"), ("grid_worker", "/1/2/4/")], Action.VIEW, ["/1/"]),
        ([("resident", "/1/2/4/")], Action.VIEW, []),
        ([("auditor", "/1/")], Action.VIEW_AUDIT, ["/1/"]),
        ([("auditor", "/1/")], Action.VIEW, []),
        # The same post twice (e.g. two roles at one node) gives one path.
        ([("dispatcher", "/1/"), ("supervisor", "/1/")], Action.VIEW, ["/1/"]),
        ([], Action.VIEW, []),
    ],
)
def test_scope_paths_fold(memberships, action, expected):
    assert scope_paths(fake_user(*memberships), action) == expected


def test_a_disabled_account_has_no_scope_even_with_posts():
    assert scope_paths(fake_user(("admin", "/1/"), active=False), Action.VIEW) == []


def test_anonymous_and_none_have_no_scope():
    assert scope_paths(AnonymousUser(), Action.VIEW) == []
    assert scope_paths(None, Action.VIEW) == []


def test_can_at_and_has_role_and_role_paths():
    user = fake_user(("grid_worker", "/1/2/4/"), ("leader", "/1/"))
    assert can_at(user, Action.EDIT, "/1/2/4/")
    assert can_at(user, Action.EDIT, "/1/2/4/9/")  # below the grid: a building's path
    assert not can_at(user, Action.EDIT, "/1/2/5/")
    assert can_at(user, Action.VIEW, "/1/2/5/")
    assert not can_at(user, Action.VIEW, "/10/")
    assert has_role(user, Role.LEADER) and not has_role(user, Role.ADMIN)
    assert role_paths(user, Role.LEADER) == ["/1/"]


# --- Against the database, with the personas ------------------------------------------------------


@pytest.fixture
def homes(region):
    """One household in each of grids A, B, C and D."""

    def home(grid, n):
        building = Building.objects.create(grid=grid, name=f"Building {n}", address=f"{grid.code} Road {n}")
        return Household.objects.create(building=building, number="101")

    return SimpleNamespace(
        a=home(region.grid_a, 1), b=home(region.grid_b, 2), c=home(region.grid_c, 3), d=home(region.grid_d, 4)
    )


def fresh(region, persona: str) -> User:
    # A new object: the membership cache lives on the user object, one per request.
    return User.objects.get(pk=region.user(persona).pk)


# persona → households it sees (VIEW), and may EDIT
SCOPE_TABLE = {
    "grid_worker_a": ({"a"}, {"a"}),
    "grid_worker_b": ({"b"}, {"b"}),
    "community_staff": ({"a", "b"}, {"a", "b"}),
    "dispatcher": ({"a", "b", "c"}, set()),
    "handler": ({"a", "b", "c"}, set()),
    "supervisor": ({"a", "b", "c"}, set()),
    "leader": ({"a", "b", "c"}, set()),
    "party_secretary": ({"a", "b", "c"}, set()),
    "admin": ({"a", "b", "c"}, set()),
    "auditor": (set(), set()),
    "outsider": ({"d"}, {"d"}),
    "resident": (set(), set()),
    "nobody": (set(), set()),
}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(SCOPE_TABLE))
def test_household_visibility_by_persona(region, homes, persona):
    names = {homes.a.pk: "a", homes.b.pk: "b", homes.c.pk: "c", homes.d.pk: "d"}
    policy = territory_policies()["household"]
    user = fresh(region, persona)
    seen = {names[h.pk] for h in policy.visible(user, Action.VIEW)}
    editable = {names[h.pk] for h in policy.visible(user, Action.EDIT)}
    assert (seen, editable) == SCOPE_TABLE[persona]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(SCOPE_TABLE))
@pytest.mark.parametrize("home", ["a", "b", "c", "d"])
def test_get_for_user_gives_404_for_invisible_and_403_for_visible_but_not_editable(
    region, homes, persona, home
):
    policy = territory_policies()["household"]
    household = getattr(homes, home)
    seen, editable = SCOPE_TABLE[persona]
    user = fresh(region, persona)
    if home not in seen:
        with pytest.raises(NotFound):
            policy.get_for_user(user, household.pk, Action.VIEW)
        with pytest.raises(NotFound):  # never 403 for what one cannot see: that would leak it exists
            policy.get_for_user(user, household.pk, Action.EDIT)
        return
    assert policy.get_for_user(user, household.pk, Action.VIEW) == household
    if home in editable:
        assert policy.get_for_user(user, household.pk, Action.EDIT) == household
    else:
        with pytest.raises(Forbidden):
            policy.get_for_user(user, household.pk, Action.EDIT)


@pytest.mark.django_db
def test_grid_worker_a_sees_grid_a_and_gets_not_found_for_grid_b(region, homes):
    policy = territory_policies()["household"]
    worker = fresh(region, "grid_worker_a")
    assert list(policy.visible(worker)) == [homes.a]
    assert policy.get_for_user(worker, homes.a.pk, Action.EDIT) == homes.a
    with pytest.raises(NotFound):
        policy.get_for_user(worker, homes.b.pk)


@pytest.mark.django_db
def test_leader_may_view_but_not_edit(region, homes):
    policy = territory_policies()["household"]
    leader = fresh(region, "leader")
    assert policy.get_for_user(leader, homes.a.pk, Action.VIEW) == homes.a
    with pytest.raises(Forbidden):
        policy.get_for_user(leader, homes.a.pk, Action.EDIT)


@pytest.mark.django_db
def test_outsider_gets_not_found_in_our_street(region, homes):
    policy = territory_policies()["household"]
    outsider = fresh(region, "outsider")
    for home in (homes.a, homes.b, homes.c):
        with pytest.raises(NotFound):
            policy.get_for_user(outsider, home.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("pk", [999_999, "abc", None, "1; DROP TABLE x"])
def test_missing_or_malformed_ids_are_not_found(region, homes, pk):
    with pytest.raises(NotFound):
        territory_policies()["household"].get_for_user(fresh(region, "admin"), pk)


@pytest.mark.django_db
def test_nested_memberships_fold_into_one_scope(region, homes):
    worker = region.user("grid_worker_a")
    Membership.objects.create(user=worker, role=Role.COMMUNITY_STAFF, node=region.c1)
    worker = fresh(region, "grid_worker_a")
    assert scope_paths(worker, Action.VIEW) == [region.c1.path]
    assert scope_paths(worker, Action.EDIT) == [region.c1.path]
    policy = territory_policies()["household"]
    assert set(policy.visible(worker)) == {homes.a, homes.b}
    # One scope, so one condition in the query, however many posts lie inside it.
    assert str(policy.visible(worker).query).count("LIKE") == 1


@pytest.mark.django_db
def test_posts_in_two_streets_add_up(region, homes):
    worker = region.user("grid_worker_a")
    Membership.objects.create(user=worker, role=Role.LEADER, node=region.other_street)
    worker = fresh(region, "grid_worker_a")
    policy = territory_policies()["household"]
    assert set(policy.visible(worker)) == {homes.a, homes.d}
    assert policy.get_for_user(worker, homes.a.pk, Action.EDIT) == homes.a
    with pytest.raises(Forbidden):  # a leader in street T: sees grid D, may not edit it
        policy.get_for_user(worker, homes.d.pk, Action.EDIT)


@pytest.mark.django_db
def test_inactive_memberships_give_nothing(region, homes):
    Membership.objects.filter(user=region.user("grid_worker_a")).update(active=False)
    worker = fresh(region, "grid_worker_a")
    assert scope_paths(worker, Action.VIEW) == []
    policy = territory_policies()["household"]
    assert not policy.visible(worker).exists()
    with pytest.raises(NotFound):
        policy.get_for_user(worker, homes.a.pk)


@pytest.mark.django_db
def test_a_disabled_account_sees_nothing(region, homes):
    User.objects.filter(pk=region.user("community_staff").pk).update(is_active=False)
    with pytest.raises(NotFound):
        territory_policies()["household"].get_for_user(fresh(region, "community_staff"), homes.a.pk)


@pytest.mark.django_db
def test_memberships_are_read_once_per_user_object(region, homes, django_assert_num_queries):
    worker = fresh(region, "grid_worker_a")
    scope_paths(worker, Action.VIEW)
    with django_assert_num_queries(0):
        scope_paths(worker, Action.EDIT)
        scope_paths(worker, Action.VIEW)


@pytest.mark.django_db
def test_node_and_building_policies_use_the_same_scope(region, homes):
    policies = territory_policies()
    worker = fresh(region, "grid_worker_a")
    assert set(policies["node"].visible(worker)) == {region.grid_a}
    assert set(policies["building"].visible(worker)) == {homes.a.building}
    leader = fresh(region, "leader")
    nodes = set(policies["node"].visible(leader))
    assert region.street in nodes and region.grid_c in nodes and region.grid_d not in nodes
    with pytest.raises(NotFound):
        policies["node"].get_for_user(leader, region.grid_d.pk)
    with pytest.raises(Forbidden):
        policies["building"].get_for_user(leader, homes.a.building.pk, Action.EDIT)
