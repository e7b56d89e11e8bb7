"""Registry actions: one audit row each, no personal values in the audit log, refusals."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import DomainError, Forbidden
from zhili.core.idnumber import make_id_number
from zhili.residents.actions import (
    do_create_person,
    do_record_visit,
    do_reveal_pii,
    do_save_tag,
    do_set_person_tags,
    do_update_household_info,
    do_update_person,
)
from zhili.residents.models import HouseholdInfo, LogKind, Person, PersonLog, PersonTag, Tag
from zhili.residents.tags import person_tags

from .conftest import ID_NUMBER, MOBILE, make_input

pytestmark = pytest.mark.django_db


def audit_text() -> str:
    return json.dumps(
        list(AuditEvent.objects.values("details", "target_id", "actor_label")), ensure_ascii=False
    )


def test_registering_a_person_writes_one_audit_row_naming_fields_not_values(region, household):
    worker = region.user("grid_worker_a")
    before = AuditEvent.objects.count()
    person = do_create_person(household, make_input(), actor=worker)
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [e.action for e in events] == [AuditAction.PERSON_CREATED]
    assert events[0].node_path == region.grid_a.path
    assert "id_number" in events[0].details["fields"]
    text = audit_text()
    for secret in (ID_NUMBER, MOBILE, "张秀英", "19491231"):
        assert secret not in text
    assert PersonLog.objects.get(person=person).kind == LogKind.CREATED


def test_an_id_number_is_registered_once(household):
    do_create_person(household, make_input(), actor=None)
    with pytest.raises(DomainError) as refused:
        do_create_person(household, make_input(name="李四", id_number=" 110105-19491231-002x "), actor=None)
    assert refused.value.code == "id_number_taken"
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"id_number": "110105194912310021"}, "id_check_digit"),
        ({"birth_date": date(1950, 1, 1)}, "birth_date_mismatch"),
        ({"gender": "M"}, "gender_mismatch"),
        ({"mobile": "1381234567"}, "mobile_format"),
        ({"id_number": ""}, "id_required"),
        ({"moved_in_on": date(1940, 1, 1)}, "moved_in_range"),
        ({"name": "  "}, "required"),
    ],
)
def test_identity_checks(household, overrides, code):
    with pytest.raises(DomainError) as refused:
        do_create_person(household, make_input(**overrides), actor=None)
    assert refused.value.code == code
    assert not Person.objects.exists()


def test_a_passport_needs_no_check_digit(household):
    person = do_create_person(
        household,
        make_input(
            id_type="passport",
            id_number="E12345678",
            gender="M",
            birth_date=date(1990, 5, 1),
            moved_in_on=None,
        ),
        actor=None,
    )
    assert person.id_number == "E12345678"


def test_update_audits_changed_field_names_only(region, person):
    worker = region.user("grid_worker_a")
    changed = do_update_person(
        person, {"mobile": "13900001111", "residence_status": "registered"}, actor=worker
    )
    assert changed == ["mobile"]
    event = AuditEvent.objects.filter(action=AuditAction.PERSON_UPDATED).get()
    assert event.details == {"fields": ["mobile"], "kind": "updated"}
    assert "13900001111" not in audit_text()
    assert Person.objects.get(pk=person.pk).mobile == "13900001111"
    assert do_update_person(person, {"mobile": "13900001111"}, actor=worker) == []
    assert AuditEvent.objects.filter(action=AuditAction.PERSON_UPDATED).count() == 1


def test_update_refuses_another_persons_id_number(household, person):
    other = do_create_person(
        household,
        make_input(
            name="李四",
            gender="M",
            birth_date=date(1980, 1, 1),
            id_number=make_id_number("110105", date(1980, 1, 1), 11),
            mobile="",
        ),
        actor=None,
    )
    with pytest.raises(DomainError) as refused:
        do_update_person(
            other, {"id_number": ID_NUMBER, "gender": "F", "birth_date": date(1949, 12, 31)}, actor=None
        )
    assert refused.value.code == "id_number_taken"


def test_reveal_is_audited_with_who_whose_which_and_why(region, person):
    worker = region.user("grid_worker_a")
    value = do_reveal_pii(person, field="id_number", reason="核对低保申请材料", actor=worker)
    assert value == ID_NUMBER
    event = AuditEvent.objects.get(action=AuditAction.PII_REVEALED)
    assert event.actor_id == worker.pk
    assert event.target_type == "residents.person" and event.target_id == str(person.pk)
    assert event.details == {"person_id": person.pk, "field": "id_number", "reason": "核对低保申请材料"}
    assert ID_NUMBER not in audit_text()
    log = PersonLog.objects.get(person=person, kind=LogKind.REVEALED)
    assert (log.actor, log.fields, log.reason) == (worker, ["id_number"], "核对低保申请材料")


@pytest.mark.parametrize("persona", ["handler", "leader", "dispatcher", "admin", "grid_worker_b"])
def test_reveal_is_refused_to_roles_without_the_right(region, person, persona):
    with pytest.raises(Forbidden):
        do_reveal_pii(person, field="id_number", reason="需要核对信息", actor=region.user(persona))
    assert not AuditEvent.objects.filter(action=AuditAction.PII_REVEALED).exists()


def test_reveal_needs_a_reason(region, person):
    with pytest.raises(DomainError) as refused:
        do_reveal_pii(person, field="mobile", reason="  ok ", actor=region.user("grid_worker_a"))
    assert refused.value.code == "reason_required"
    assert not AuditEvent.objects.filter(action=AuditAction.PII_REVEALED).exists()


def test_sensitive_tags_are_stored_sealed(person):
    rows = list(PersonTag.objects.filter(person=person).values_list("tag__code", "tag_enc"))
    plain = sorted(code for code, _enc in rows if code)
    sealed = [enc for code, enc in rows if not code]
    assert plain == ["elderly_alone"]
    assert len(sealed) == 1 and "dibao" not in sealed[0] and sealed[0].startswith("t1:")
    assert {t.code for t in person_tags(person)} == {"elderly_alone", "dibao"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tag_id, tag_enc FROM residents_persontag WHERE person_id = %s", [person.pk])
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert str(Tag.objects.get(code="dibao").pk) not in stored.split()


def test_editing_tags_keeps_the_ones_the_editor_cannot_see(region, person):
    visible = list(Tag.objects.filter(sensitive=False))
    elderly = Tag.objects.get(code="elderly_80")
    changed = do_set_person_tags(person, tags=[elderly], editable=visible, actor=region.user("dispatcher"))
    assert changed
    assert {t.code for t in person_tags(person)} == {"elderly_80", "dibao"}
    event = AuditEvent.objects.get(action=AuditAction.PERSON_TAGS_CHANGED)
    assert event.details == {"added": ["elderly_80"], "removed": ["elderly_alone"], "sensitive_changed": 0}


def test_sensitive_tag_changes_are_counted_not_named_in_the_audit_log(region, person):
    all_tags = list(Tag.objects.all())
    do_set_person_tags(person, tags=[], editable=all_tags, actor=region.user("grid_worker_a"))
    event = AuditEvent.objects.get(action=AuditAction.PERSON_TAGS_CHANGED)
    assert event.details == {"added": [], "removed": ["elderly_alone"], "sensitive_changed": 1}
    assert not PersonTag.objects.filter(person=person).exists()


def test_a_tag_outside_the_editors_view_cannot_be_given(region, person):
    with pytest.raises(Forbidden):
        do_set_person_tags(
            person,
            tags=[Tag.objects.get(code="tekun")],
            editable=list(Tag.objects.filter(sensitive=False)),
            actor=region.user("dispatcher"),
        )


def test_making_a_tag_sensitive_seals_its_rows_and_back(region, person):
    admin = region.user("admin")
    elderly = Tag.objects.get(code="elderly_alone")
    do_save_tag(
        elderly,
        code="elderly_alone",
        name="独居老人",
        sensitive=True,
        visible_roles=["grid_worker"],
        actor=admin,
    )
    assert not PersonTag.objects.filter(tag=elderly).exists()
    assert "elderly_alone" in {t.code for t in person_tags(person)}
    do_save_tag(
        elderly, code="elderly_alone", name="独居老人", sensitive=False, visible_roles=[], actor=admin
    )
    assert PersonTag.objects.filter(tag=elderly, person=person).exists()
    assert AuditEvent.objects.filter(action=AuditAction.TAG_SAVED).count() == 2


def test_a_sensitive_tag_must_name_its_roles(region):
    with pytest.raises(DomainError) as refused:
        do_save_tag(
            None, code="hiv", name="某病患者", sensitive=True, visible_roles=[], actor=region.user("admin")
        )
    assert refused.value.code == "sensitive_tag_needs_roles"


def test_visits_are_audited_without_their_note(region, household, person):
    visit = do_record_visit(
        household,
        visited_at=timezone.now() - timedelta(hours=1),
        kind="care",
        note="张秀英说血压偏高",
        person=person,
        actor=region.user("grid_worker_a"),
    )
    event = AuditEvent.objects.get(action=AuditAction.VISIT_RECORDED)
    assert event.details == {"household_id": household.pk, "person_id": person.pk, "kind": "care"}
    assert "血压" not in audit_text()
    assert visit.visitor == region.user("grid_worker_a")
    assert PersonLog.objects.filter(person=person, kind=LogKind.VISITED).exists()


def test_a_visit_cannot_be_in_the_future_or_about_someone_elsewhere(region, household, household_c, person):
    with pytest.raises(DomainError):
        do_record_visit(
            household, visited_at=timezone.now() + timedelta(days=1), kind="routine", note="", actor=None
        )
    with pytest.raises(DomainError):
        do_record_visit(
            household_c, visited_at=timezone.now(), kind="routine", note="", person=person, actor=None
        )


def test_house_information(region, household):
    changed = do_update_household_info(household, floor=3, use="residential", tenure="tenant", actor=None)
    assert sorted(changed) == ["floor", "tenure"]
    info = HouseholdInfo.objects.get(household=household)
    assert (info.floor, info.tenure) == (3, "tenant")
    assert AuditEvent.objects.get(action=AuditAction.HOUSEHOLD_INFO_UPDATED).details == {
        "fields": ["floor", "tenure"]
    }
    with pytest.raises(DomainError):
        do_update_household_info(household, area=-5, actor=None)
