"""An administrator (an ADMIN post, not a superuser) edits the loop's configuration in the admin site:
each change is audited and the very next intake follows it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zhili.accounts.admin import can_configure
from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.audit.models import AuditEvent
from zhili.cases.models import Category, DispatchRule, SLAPolicy, SlaUnit
from zhili.cases.rulebook import current_token
from zhili.cases.states import CaseStatus
from zhili.core.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _config_events(model: str, actor) -> list[dict]:
    return [
        event.details
        for event in AuditEvent.objects.filter(
            action="cases.config_changed", target_type=f"cases.{model}", actor_id=actor.pk
        ).order_by("id")
    ]


def test_an_administrators_dispatch_rule_change_routes_the_next_case(
    client, login, region, cats, rule, submit
):
    before = submit()  # the rulebook of this process is loaded and cached
    assert before.status == CaseStatus.DISPATCHED and before.department == region.department
    admin = login("admin")
    listing = client.get("/django-admin/cases/dispatchrule/").content.decode()
    assert f"/django-admin/cases/dispatchrule/{rule.pk}/change/" in listing
    token = current_token()
    response = client.post(
        f"/django-admin/cases/dispatchrule/{rule.pk}/change/",
        {"category": cats.garbage.pk, "area": region.street.pk, "grid": region.grid_b.pk, "priority": 10},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert current_token() != token
    rule.refresh_from_db()
    assert rule.grid == region.grid_b and rule.department is None and not rule.active
    # Inactive now: the next case waits for a dispatcher.
    assert submit().status == CaseStatus.PENDING
    client.post(
        f"/django-admin/cases/dispatchrule/{rule.pk}/change/",
        {"category": cats.garbage.pk, "area": region.street.pk, "grid": region.grid_b.pk, "priority": 10,
         "active": "on"},
    )  # fmt: skip
    after = submit()
    assert after.status == CaseStatus.DISPATCHED
    assert after.assigned_grid == region.grid_b and after.department is None
    details = _config_events("dispatchrule", admin)
    assert [d["verb"] for d in details] == ["changed", "changed"]
    assert details[-1]["fields"]["grid_id"] == region.grid_b.pk and details[-1]["fields"]["active"] is True


def test_an_administrators_sla_change_sets_the_next_cases_deadline(client, login, cats, submit):
    policy = SLAPolicy.objects.create(
        category=cats.garbage,
        urgency="normal",
        unit=SlaUnit.NATURAL_HOURS,
        accept_within=1,
        contact_within=2,
        finish_within=3,
    )
    before = submit()
    assert before.finish_due_at - before.sla_started_at == timedelta(hours=3)
    admin = login("admin")
    assert "自然小时" in client.get("/django-admin/cases/slapolicy/").content.decode()
    form = {
        "category": cats.garbage.pk,
        "urgency": "normal",
        "unit": SlaUnit.NATURAL_HOURS,
        "accept_within": 1,
        "contact_within": 2,
        "finish_within": 48,
    }
    response = client.post(f"/django-admin/cases/slapolicy/{policy.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    after = submit()
    assert after.finish_due_at - after.sla_started_at == timedelta(hours=48)
    [details] = _config_events("slapolicy", admin)
    assert details["verb"] == "changed" and details["fields"]["finish_within"] == 48


def test_an_administrator_adds_a_rule_and_sets_the_photo_flag_of_a_category(client, login, region, cats):
    admin = login("admin")
    response = client.post(
        "/django-admin/cases/dispatchrule/add/",
        {"category": cats.road.pk, "department": region.department.pk, "priority": 5, "active": "on"},
    )
    assert response.status_code == 302
    assert DispatchRule.objects.get(category=cats.road).department == region.department
    response = client.post(
        f"/django-admin/cases/category/{cats.garbage.pk}/change/",
        {
            "code": "ENV-GARB",
            "name": "Garbage",
            "parent": cats.env.pk,
            "keywords": "",
            "requires_photo_on_feedback": "on",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Category.objects.get(pk=cats.garbage.pk).requires_photo_on_feedback
    assert [d["verb"] for d in _config_events("dispatchrule", admin)] == ["created"]
    assert [d["verb"] for d in _config_events("category", admin)] == ["changed"]


@pytest.mark.parametrize("persona", ["resident", "dispatcher"])
def test_residents_and_dispatchers_cannot_change_the_configuration(
    client, login, region, cats, rule, persona
):
    login(persona)
    response = client.post(
        f"/django-admin/cases/dispatchrule/{rule.pk}/change/",
        {"category": cats.garbage.pk, "grid": region.grid_b.pk, "priority": 10, "active": "on"},
    )
    assert response.status_code == 302 and "/django-admin/login/" in response["Location"]
    rule.refresh_from_db()
    assert rule.department == region.department and rule.grid is None
    assert not AuditEvent.objects.filter(action="cases.config_changed").exists()


# The configuration is global: an ADMIN post below a root of the territory (a community's or another
# street's administrator) does not open it, however the page is reached.
def test_an_administrator_below_the_root_cannot_change_the_configuration(client, region, cats, rule):
    user = make_user("community_admin", role=Role.ADMIN, node=region.other_community)
    client.force_login(user)
    for url in (
        "/django-admin/",
        "/django-admin/cases/dispatchrule/",
        f"/django-admin/cases/dispatchrule/{rule.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/django-admin/login/" in response["Location"], url
    response = client.post(
        f"/django-admin/cases/dispatchrule/{rule.pk}/change/",
        {"category": cats.garbage.pk, "area": region.street.pk, "grid": region.grid_b.pk, "priority": 10,
         "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302 and "/django-admin/login/" in response["Location"]
    client.post(f"/django-admin/cases/category/{cats.light.pk}/delete/", {"post": "yes"})
    rule.refresh_from_db()
    assert rule.department == region.department and rule.grid is None
    assert Category.objects.filter(pk=cats.light.pk).exists()
    assert not AuditEvent.objects.filter(action="cases.config_changed").exists()
    client.logout()
    refused = client.post("/django-admin/login/", {"username": "community_admin", "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session


def test_can_configure_asks_for_an_admin_post_at_a_root(region):
    assert can_configure(region.user("admin"))  # at the street, a root in the test region
    below = make_user("street_admin", role=Role.ADMIN, node=region.c1)
    assert not can_configure(below)
    Membership.objects.create(user=below, role=Role.ADMIN, node=region.other_street)
    assert can_configure(User.objects.get(pk=below.pk))  # a second post, at a root
    Membership.objects.filter(user=below, node=region.other_street).update(active=False)
    assert not can_configure(User.objects.get(pk=below.pk))
    assert not can_configure(make_user("root_worker", role=Role.GRID_WORKER, node=region.street))
