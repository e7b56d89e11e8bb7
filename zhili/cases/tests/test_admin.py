"""Configuration edited in the admin is saved through the audited actions."""

from __future__ import annotations

import pytest

from zhili.audit.models import AuditEvent
from zhili.cases.models import Category, DispatchRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client, region):
    user = region.user("admin")
    user.is_superuser = user.is_staff = True
    user.save()
    client.force_login(user)
    return user


def test_a_category_saved_in_the_admin_gets_its_level_and_an_audit_row(client, superuser, cats):
    response = client.post(
        "/django-admin/cases/category/add/",
        {"code": "ENV-NOISE", "name": "Noise", "parent": cats.env.pk, "keywords": "噪音", "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    category = Category.objects.get(code="ENV-NOISE")
    assert category.level == 2
    event = AuditEvent.objects.get(action="cases.config_changed", target_id=str(category.pk))
    assert event.details["verb"] == "created" and event.actor_id == superuser.pk


def test_a_dispatch_rule_needs_exactly_one_target_and_deletes_are_audited(client, superuser, cats, region):
    url = "/django-admin/cases/dispatchrule/add/"
    both = {
        "category": cats.garbage.pk,
        "department": region.department.pk,
        "grid": region.grid_a.pk,
        "priority": 1,
        "active": "on",
    }
    assert client.post(url, both).status_code == 200  # the form shows the error
    assert not DispatchRule.objects.exists()
    ok = {"category": cats.garbage.pk, "department": region.department.pk, "priority": 1, "active": "on"}
    assert client.post(url, ok).status_code == 302
    rule = DispatchRule.objects.get()
    client.post(f"/django-admin/cases/dispatchrule/{rule.pk}/delete/", {"post": "yes"})
    assert not DispatchRule.objects.exists()
    verbs = list(
        AuditEvent.objects.filter(
            action="cases.config_changed", target_type="cases.dispatchrule"
        ).values_list("details__verb", flat=True)
    )
    assert verbs == ["created", "deleted"]


def test_people_without_an_admin_post_or_the_superuser_flag_are_kept_out(client, login):
    login("dispatcher")  # administrators (an ADMIN post) may come in: test_admin_config_role.py
    assert client.get("/django-admin/cases/category/").status_code == 302
