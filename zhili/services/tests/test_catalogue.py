"""The service catalogue: who manages it, what a rule must say, the pages and their refusals."""

from __future__ import annotations

import pytest

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import DomainError, Forbidden
from zhili.services.actions import do_save_service
from zhili.services.models import Service

pytestmark = pytest.mark.django_db


def test_admins_and_community_staff_manage_services_of_their_subtree(region, tags):
    by_admin = do_save_service(
        None,
        actor=region.user("admin"),
        node=region.street,
        name="高龄津贴",
        description="80岁及以上老人按月发放",
        department="民政科",
        min_age=80,
        interval_days=0,
    )
    by_staff = do_save_service(
        None,
        actor=region.user("community_staff"),
        node=region.c1,
        name="独居老人探访",
        tag_codes=["elderly_alone"],
    )
    assert by_admin.min_age == 80 and by_admin.tag_codes == [] and by_admin.due_days == 7
    assert by_staff.node == region.c1 and by_staff.tag_codes == ["elderly_alone"]
    event = AuditEvent.objects.filter(action=AuditAction.SERVICE_CHANGED).order_by("id").last()
    assert event is not None and event.details["created"] is True and event.target_id == str(by_staff.pk)
    # Community staff cannot reach above their community, nor change the street's service.
    with pytest.raises(Forbidden):
        do_save_service(None, actor=region.user("community_staff"), node=region.street, name="x", min_age=60)
    with pytest.raises(Forbidden):
        do_save_service(by_admin, actor=region.user("community_staff"), node=region.c1, name="x", min_age=60)
    for persona in ("grid_worker_a", "leader", "dispatcher", "outsider"):
        with pytest.raises(Forbidden):
            do_save_service(None, actor=region.user(persona), node=region.c1, name="x", min_age=60)
    assert Service.objects.count() == 2


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({"name": "", "min_age": 80}, "required", "name"),
        ({"name": "x"}, "rule_empty", "tag_codes"),
        ({"name": "x", "tag_codes": ["no_such_tag"]}, "tag_invalid", "tag_codes"),
        ({"name": "x", "min_age": 300}, "number_invalid", "min_age"),
        ({"name": "x", "min_age": 80, "due_days": 0}, "number_invalid", "due_days"),
        ({"name": "x", "min_age": 80, "interval_days": "often"}, "number_invalid", "interval_days"),
    ],
)
def test_a_service_refuses_an_unusable_rule_and_writes_nothing(region, tags, values, code, field):
    with pytest.raises(DomainError) as info:
        do_save_service(None, actor=region.user("admin"), node=region.street, **values)
    assert info.value.code == code and info.value.params["field"] == field
    assert not Service.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.SERVICE_CHANGED).exists()


def test_two_services_of_one_name_at_one_node_are_refused(region, service):
    first = service(name="高龄津贴", min_age=80)
    with pytest.raises(DomainError) as info:
        service(name="高龄津贴", min_age=90)
    assert info.value.code == "name_taken"
    assert Service.objects.get().pk == first.pk


def test_changing_a_service_audits_the_changed_fields(region, service):
    item = service(name="高龄津贴", min_age=80)
    changed = do_save_service(
        item, actor=region.user("admin"), node=region.street, name="高龄津贴", min_age=90, active=False
    )
    assert changed.min_age == 90 and changed.active is False
    event = AuditEvent.objects.filter(action=AuditAction.SERVICE_CHANGED).order_by("id").last()
    assert event is not None and event.details["fields"] == ["active", "min_age"]


# Pages -----------------------------------------------------------------------------------------------


def _form(region, **overrides):
    data = {
        "node": region.c1.pk,
        "name": "独居老人每月探访",
        "description": "每月上门看望一次",
        "department": "社区居委会",
        "tag_codes": ["elderly_alone"],
        "min_age": "",
        "interval_days": "30",
        "due_days": "7",
        "active": "on",
    }
    data.update(overrides)
    return data


def test_the_catalogue_is_for_staff_and_names_hidden_tags_only_to_those_who_see_them(
    client, login, region, service
):
    service(name="残疾人两项补贴", tag_codes=["disabled"])
    login("community_staff")
    body = client.get("/services/").content.decode()
    assert "残疾人两项补贴" in body and "残疾人" in body.split("残疾人两项补贴", 1)[1]
    login("leader")  # sees the catalogue, not the sealed tag's name
    body = client.get("/services/").content.decode()
    rule = body.split("残疾人两项补贴", 1)[1].split("</tr>", 1)[0]
    assert "具有受保护标签的居民" in rule and "残疾人" not in rule
    login("outsider")  # another street: the catalogue is empty for them
    assert "残疾人两项补贴" not in client.get("/services/").content.decode()
    for persona in ("resident", "nobody"):
        login(persona)
        assert client.get("/services/").status_code == 404


def test_creating_and_changing_a_service_through_the_form(client, login, region, tags):
    login("community_staff")
    assert client.get("/services/new/").status_code == 200
    response = client.post("/services/new/", _form(region))
    assert response.status_code == 302
    item = Service.objects.get()
    assert item.interval_days == 30 and item.tag_codes == ["elderly_alone"] and item.created_by_id
    response = client.post(f"/services/{item.pk}/edit/", _form(region, interval_days="60"))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.interval_days == 60


def test_the_form_shows_the_refusal_in_chinese(client, login, region, tags):
    login("community_staff")
    response = client.post("/services/new/", _form(region, tag_codes=[], min_age=""))
    assert response.status_code == 200
    body = response.content.decode()
    assert "errorlist" in body and "请说明哪些居民需要这项服务" in body
    assert not Service.objects.exists()


def test_service_pages_refuse_outsiders_with_404_and_readers_with_403(client, login, region, service):
    item = service(name="高龄津贴", min_age=80)
    login("leader")
    assert client.get("/services/new/").status_code == 403
    assert client.get(f"/services/{item.pk}/edit/").status_code == 403
    assert client.post("/services/generate/").status_code == 403
    login("community_staff")  # sees the street's service, may not change it
    assert client.get(f"/services/{item.pk}/edit/").status_code == 403
    login("outsider")
    assert client.get(f"/services/{item.pk}/edit/").status_code == 404
    assert client.get("/services/999999/edit/").status_code == 404
    login("resident")
    assert client.get("/services/new/").status_code == 404
    assert client.post("/services/generate/").status_code == 404
