"""Configuration edited in the admin is saved through the audited actions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhili.audit.models import AuditEvent
from zhili.cases.models import Category, DispatchRule, SLAPolicy, Urgency

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


# The dispatch-rule form: one target (as the model's constraint asks), a grid that is a grid, and a
# priority of 0 or more, each refused in Chinese rather than with the database constraint's name.
ONE_TARGET = "一条派单规则必须且只能有一个派往对象"


@pytest.mark.parametrize(
    "targets",
    [
        pytest.param(("department", "grid"), id="department-and-grid"),
        pytest.param((), id="neither"),
        pytest.param(("department", "to_case_grid"), id="department-and-own-grid"),
        pytest.param(("grid", "to_case_grid"), id="grid-and-own-grid"),
    ],
)
def test_a_dispatch_rule_without_exactly_one_target_is_refused_in_chinese(
    client, superuser, cats, region, targets
):
    values = {"department": region.department.pk, "grid": region.grid_a.pk, "to_case_grid": "on"}
    form = {"category": cats.garbage.pk, "priority": 1, "active": "on"}
    form.update({name: values[name] for name in targets})
    response = client.post("/django-admin/cases/dispatchrule/add/", form)
    html = response.content.decode()
    assert response.status_code == 200 and ONE_TARGET in html
    assert "cases_dispatchrule_one_target" not in html and "约束" not in html
    assert not DispatchRule.objects.exists()


def test_the_case_own_grid_alone_is_a_target(client, superuser, cats):
    form = {"category": cats.garbage.pk, "to_case_grid": "on", "priority": 0, "active": "on"}
    assert client.post("/django-admin/cases/dispatchrule/add/", form).status_code == 302
    assert DispatchRule.objects.get().to_case_grid


def test_a_dispatch_rules_grid_must_be_a_grid(client, superuser, cats, region):
    page = client.get("/django-admin/cases/dispatchrule/add/").context["adminform"].form
    grids = set(page.fields["grid"].queryset)
    assert grids == {region.grid_a, region.grid_b, region.grid_c, region.grid_d}
    form = {"category": cats.garbage.pk, "grid": region.street.pk, "priority": 1, "active": "on"}
    response = client.post("/django-admin/cases/dispatchrule/add/", form)
    assert response.status_code == 200 and "grid" in response.context["adminform"].form.errors
    assert ONE_TARGET not in response.content.decode()  # the grid's own error says enough
    assert not DispatchRule.objects.exists()


def test_a_negative_priority_is_refused(client, superuser, cats, region):
    form = {"category": cats.garbage.pk, "department": region.department.pk, "priority": -5, "active": "on"}
    response = client.post("/django-admin/cases/dispatchrule/add/", form)
    assert response.status_code == 200 and "优先级不能为负数" in response.content.decode()
    assert not DispatchRule.objects.exists()


# The SLA-policy form: every limit above 0, signing and contacting no later than finishing.
def _sla_form(cats, **limits):
    form = {"category": cats.garbage.pk, "urgency": "normal", "unit": "natural_hours"}
    form.update({"accept_within": 1, "contact_within": 2, "finish_within": 16, **limits})
    return form


@pytest.mark.parametrize(
    ("limits", "field", "message"),
    [
        ({"accept_within": 20}, "accept_within", "签收时限不能长于办结时限"),
        ({"contact_within": 30}, "contact_within", "联系时限不能长于办结时限"),
        ({"finish_within": 0}, "finish_within", "时限必须大于 0"),
        ({"accept_within": 0}, "accept_within", "时限必须大于 0"),
        ({"contact_within": 0}, "contact_within", "时限必须大于 0"),
    ],
)
def test_an_sla_policy_with_impossible_limits_is_refused(client, superuser, cats, limits, field, message):
    response = client.post("/django-admin/cases/slapolicy/add/", _sla_form(cats, **limits))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field] and message in errors[field][0]
    assert not SLAPolicy.objects.exists()


def test_limits_equal_to_the_finish_limit_are_accepted(client, superuser, cats):
    form = _sla_form(cats, accept_within=16, contact_within=16)
    response = client.post("/django-admin/cases/slapolicy/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SLAPolicy.objects.get().finish_within == 16


def test_a_duplicate_sla_policy_is_named_in_chinese(client, superuser, cats):
    assert client.post("/django-admin/cases/slapolicy/add/", _sla_form(cats)).status_code == 302
    response = client.post("/django-admin/cases/slapolicy/add/", _sla_form(cats))
    assert response.status_code == 200
    [message] = response.context["adminform"].form.non_field_errors()
    assert "诉求分类" in message and "已经存在" in message and "Category" not in message
    assert SLAPolicy.objects.count() == 1


def test_an_sla_policy_shows_its_urgency_label(cats):
    policy = SLAPolicy(category=cats.garbage, urgency=Urgency.URGENT, accept_within=1, contact_within=1,
                       finish_within=1)  # fmt: skip
    assert str(policy) == f"Garbage {Urgency.URGENT.label}" and "urgent" not in str(policy)


# The admin lists read their related rows in the list's own query: the count does not grow.
def _list_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_configuration_lists_do_not_query_per_row(client, superuser, cats, region):
    def add_rows(n: int, start: int) -> None:
        for i in range(start, start + n):
            parent = Category.objects.create(
                code=f"P{i}", name=f"P{i}", level=1, department=region.department
            )
            category = Category.objects.create(code=f"C{i}", name=f"C{i}", level=2, parent=parent)
            DispatchRule.objects.create(category=category, area=region.street, department=region.department)
            DispatchRule.objects.create(category=category, area=region.c1, grid=region.grid_a)
            SLAPolicy.objects.create(category=category, accept_within=1, contact_within=1, finish_within=2)

    urls = (
        "/django-admin/cases/category/",
        "/django-admin/cases/dispatchrule/",
        "/django-admin/cases/slapolicy/",
    )
    add_rows(2, 0)
    few = [_list_queries(client, url) for url in urls]
    add_rows(6, 2)
    assert [_list_queries(client, url) for url in urls] == few
