"""A resident's own data: see it, download it, ask for corrections, see who accessed it."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from zhili.audit.models import AuditAction, AuditEvent
from zhili.participation.elections.models import ResidentAccount
from zhili.residents.actions import do_request_correction, do_reveal_pii
from zhili.residents.exporting import do_export_residents
from zhili.residents.models import CorrectionRequest, CorrectionStatus, LogKind, Person, PersonLog

from .conftest import ID_NUMBER, MOBILE

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(region, person):
    ResidentAccount.objects.create(user=region.user("resident"), person=person)
    return person


def test_an_unlinked_resident_is_told_how_to_link(client, login, region):
    login("resident")
    page = client.get(reverse("residents:me")).content.decode()
    assert "社区" in page
    assert client.get(reverse("residents:me_json")).status_code == 404


def test_the_resident_sees_everything_in_full(client, login, linked):
    login("resident")
    page = client.get(reverse("residents:me")).content.decode()
    assert ID_NUMBER in page and MOBILE in page and "低保" in page


def test_json_download_is_complete_and_recorded(client, login, linked):
    user = login("resident")
    response = client.get(reverse("residents:me_json"))
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    data = json.loads(response.content)
    assert data["person"]["id_number"] == ID_NUMBER and data["person"]["mobile"] == MOBILE
    assert set(data["person"]["tags"]) == {"独居老人", "低保"}
    assert data["household"]["number"] == "1单元301"
    event = AuditEvent.objects.get(action=AuditAction.OWN_DATA_DOWNLOADED)
    assert event.actor_id == user.pk and event.details == {"person_id": linked.pk, "format": "json"}


def test_printable_copy(client, login, linked):
    login("resident")
    page = client.get(reverse("residents:me_print")).content.decode()
    assert ID_NUMBER in page and "window.print()" in page
    assert AuditEvent.objects.get(action=AuditAction.OWN_DATA_DOWNLOADED).details["format"] == "html"


def test_printable_copy_writes_visit_times_as_dates_not_iso_text(client, login, region, linked):
    from datetime import UTC, datetime

    from zhili.residents.actions import do_record_visit

    # 08:51 UTC is 16:51 in Beijing.
    at = datetime(2026, 3, 21, 8, 51, tzinfo=UTC)
    do_record_visit(
        linked.household,
        person=linked,
        visited_at=at,
        kind="care",
        note="",
        actor=region.user("grid_worker_a"),
    )
    login("resident")
    page = client.get(reverse("residents:me_print")).content.decode()
    assert "2026-03-21 16:51" in page
    assert "2026-03-21T16:51" not in page and "+08:00" not in page


def test_the_resident_sees_who_looked_and_why(client, login, region, linked):
    login("grid_worker_a")
    client.get(reverse("residents:person", args=[linked.pk]))
    do_reveal_pii(linked, field="mobile", reason="电话通知体检", actor=region.user("grid_worker_a"))
    do_export_residents(region.c1, actor=region.user("community_staff"))
    login("resident")
    client.get(reverse("residents:me_json"))  # their own download is not "someone accessing"
    page = client.get(reverse("residents:me")).content.decode()
    assert "电话通知体检" in page
    assert page.count("grid_worker_a") == 2 and "community_staff" in page
    kinds = list(PersonLog.objects.filter(person=linked).values_list("kind", flat=True))
    assert {LogKind.VIEWED, LogKind.REVEALED, LogKind.EXPORTED, LogKind.DOWNLOADED} <= set(kinds)


def test_a_correction_goes_to_community_staff_who_apply_it(client, login, region, linked):
    login("resident")
    client.post(
        reverse("residents:me_correction"), {"field": "mobile", "value": "139 1111 2222", "reason": "换号了"}
    )
    request = CorrectionRequest.objects.get()
    assert (request.status, request.community, request.field) == (CorrectionStatus.OPEN, region.c1, "mobile")
    assert "13911112222" not in request.value_enc and request.value == "13911112222"
    assert "13911112222" not in json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))

    login("grid_worker_a")
    assert client.get(reverse("residents:corrections")).status_code == 404
    login("community_staff")
    assert str(request.pk) in client.get(reverse("residents:corrections")).content.decode()
    detail = client.get(reverse("residents:correction", args=[request.pk])).content.decode()
    assert "139****2222" in detail and "13911112222" not in detail  # staff see mobiles masked
    response = client.post(
        reverse("residents:correction", args=[request.pk]), {"approve": "1", "response": "已核实"}
    )
    assert response.status_code == 302
    assert Person.objects.get(pk=linked.pk).mobile == "13911112222"
    assert CorrectionRequest.objects.get().status == CorrectionStatus.APPROVED
    updated = AuditEvent.objects.get(action=AuditAction.PERSON_UPDATED)
    assert updated.details == {"fields": ["mobile"], "kind": "corrected"}
    assert AuditEvent.objects.get(action=AuditAction.CORRECTION_DECIDED).details["approved"] is True
    assert (
        client.post(reverse("residents:correction", args=[request.pk]), {"approve": "1"}).status_code == 403
    )


def test_a_rejection_needs_an_answer_and_changes_nothing(client, login, linked):
    login("resident")
    client.post(reverse("residents:me_correction"), {"field": "name", "value": "张秀兰", "reason": ""})
    request = CorrectionRequest.objects.get()
    login("community_staff")
    client.post(reverse("residents:correction", args=[request.pk]), {"approve": "0", "response": ""})
    assert CorrectionRequest.objects.get().status == CorrectionStatus.OPEN
    client.post(
        reverse("residents:correction", args=[request.pk]),
        {"approve": "0", "response": "请携带户口簿到社区核实"},
    )
    assert CorrectionRequest.objects.get().status == CorrectionStatus.REJECTED
    assert Person.objects.get(pk=linked.pk).name == "张秀英"
    login("resident")
    assert "请携带户口簿到社区核实" in client.get(reverse("residents:me")).content.decode()


def test_a_bad_correction_value_is_refused_at_once(client, login, linked):
    login("resident")
    client.post(reverse("residents:me_correction"), {"field": "mobile", "value": "123", "reason": ""})
    assert not CorrectionRequest.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "grid_worker_a", "community_staff", "admin"])
def test_correction_pages_of_other_communities_are_404(client, login, region, linked, persona):
    request = CorrectionRequest.objects.create(person=linked, community=region.c1, field="name", value_enc="")
    login(persona)
    expected = 200 if persona == "community_staff" else 404
    assert client.get(reverse("residents:correction", args=[request.pk])).status_code == expected


def test_the_access_list_is_backed_by_the_audit_log(client, login, region, linked):
    from zhili.residents.selectors import access_log, audit_events_about

    login("grid_worker_a")
    client.get(reverse("residents:person", args=[linked.pk]))
    do_reveal_pii(linked, field="id_number", reason="核对高龄津贴", actor=region.user("grid_worker_a"))
    do_export_residents(region.c1, actor=region.user("community_staff"))
    events = audit_events_about(linked)
    actions = {e.action for e in events}
    assert {AuditAction.PERSON_VIEWED, AuditAction.PII_REVEALED, AuditAction.RESIDENTS_EXPORTED} <= actions
    logged = {
        (row.audit_event_id, row.actor_id)
        for row in PersonLog.objects.filter(person=linked).exclude(audit_event_id=None)
    }
    assert logged == {(e.pk, e.actor_id) for e in events}
    assert len(access_log(linked)) == 3


def test_a_resident_corrects_a_choice_in_words_not_codes(client, login, linked):
    login("resident")
    page = client.get(reverse("residents:me")).content.decode()
    assert "M 男" not in page and "head 户主" not in page
    assert "性别（男、女）" in page
    client.post(reverse("residents:me_correction"), {"field": "gender", "value": "男", "reason": ""})
    request = CorrectionRequest.objects.get()
    assert request.value == "M"
    login("community_staff")
    detail = client.get(reverse("residents:correction", args=[request.pk])).content.decode()
    assert '<dd class="mono proposed">男</dd>' in detail


def _request(linked, field, value):
    return do_request_correction(linked, field=field, value=value, reason="", actor=None)


def _current(page, field):
    """The "now in the registry" cell of the decision page."""
    start = page.index(f'<dd id="field-{field}">')
    return page[start : page.index("</dd>", start)]


@pytest.mark.parametrize(
    ("field", "value", "current", "proposed"),
    [
        ("mobile", "13911112222", "138****5678", "139****2222"),
        ("id_number", "110105194912310029", "110105********002X", "110105********0029"),
    ],
)
def test_the_decision_page_shows_the_current_number_masked_as_on_the_person_page(
    client, login, linked, field, value, current, proposed
):
    request = _request(linked, field, value)
    login("community_staff")
    page = client.get(reverse("residents:correction", args=[request.pk])).content.decode()
    assert current in _current(page, field) and f'<dd class="mono proposed">{proposed}</dd>' in page
    assert ID_NUMBER not in page and MOBILE not in page and value not in page
    # The full value only through the audited reveal, offered as on the person page.
    assert reverse("residents:person_reveal", args=[linked.pk]) in _current(page, field)
    assert not AuditEvent.objects.filter(action=AuditAction.PII_REVEALED).exists()
    viewed = AuditEvent.objects.get(action=AuditAction.PERSON_VIEWED)
    assert viewed.details == {"person_id": linked.pk, "fields": ["name", field]}


@pytest.mark.parametrize(
    ("field", "value", "current"),
    [
        ("name", "张秀兰", "张秀英"),
        ("gender", "M", "女"),
        # The year only: the full date is what the masked ID number hides (test_birth_date).
        ("birth_date", "1949-12-30", ">1949<"),
        ("moved_in_on", "1985-07-01", "1985-06-01"),
        ("residence_status", "resident", "户籍人口"),
    ],
)
def test_the_decision_page_shows_the_current_value_of_other_fields_as_it_is(
    client, login, linked, field, value, current
):
    request = _request(linked, field, value)
    login("community_staff")
    page = client.get(reverse("residents:correction", args=[request.pk])).content.decode()
    assert current in _current(page, field)
    assert "reveal" not in _current(page, field)


def test_a_revealed_current_number_is_audited_like_on_the_person_page(client, login, linked):
    request = _request(linked, "mobile", "13911112222")
    login("community_staff")
    client.get(reverse("residents:correction", args=[request.pk]))
    response = client.post(
        reverse("residents:person_reveal", args=[linked.pk]),
        {"field": "mobile", "reason": "核对更正申请"},
        HTTP_HX_REQUEST="true",
    )
    assert MOBILE in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.PII_REVEALED)
    assert event.details == {"person_id": linked.pk, "field": "mobile", "reason": "核对更正申请"}


def test_the_decision_page_does_not_show_a_person_who_moved_out_of_the_deciders_area(
    client, login, linked, household_c
):
    # The request stays with community 1, where it was filed; the person now lives in community 2.
    request = _request(linked, "mobile", "13911112222")
    Person.objects.filter(pk=linked.pk).update(household=household_c)
    login("community_staff")
    response = client.get(reverse("residents:correction", args=[request.pk]))
    page = response.content.decode()
    assert response.status_code == 200 and "您无权查看" in _current(page, "mobile")
    assert "5678" not in page and "张秀英" not in page
    assert reverse("residents:person_reveal", args=[linked.pk]) not in page
    assert not AuditEvent.objects.filter(action=AuditAction.PERSON_VIEWED).exists()


@pytest.mark.parametrize("persona", ["outsider", "grid_worker_a", "leader", "admin"])
def test_the_current_value_is_not_shown_outside_the_correction_scope(client, login, linked, persona):
    request = _request(linked, "mobile", "13911112222")
    login(persona)
    response = client.get(reverse("residents:correction", args=[request.pk]))
    assert response.status_code == 404 and "5678" not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.PERSON_VIEWED).exists()


def test_a_refused_correction_keeps_what_the_resident_typed(client, login, linked):
    login("resident")
    response = client.post(
        reverse("residents:me_correction"),
        {"field": "relation_to_head", "value": "儿子", "reason": "写错了"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and not CorrectionRequest.objects.exists()
    assert 'value="儿子"' in page and "写错了" in page
    assert "户主、配偶、子女" in page
