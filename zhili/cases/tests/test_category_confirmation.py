"""The dispatcher confirms or corrects a case's category while accepting, dispatching, arbitrating or
transferring it: the case, its timeline, the audit log and the classifier's training set follow."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import translation

from zhili.audit.models import AuditEvent
from zhili.cases import actions as a
from zhili.cases.models import Case, Channel
from zhili.cases.selectors import event_details
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A
from zhili.core.errors import DomainError
from zhili.intelligence.selectors import confirmed_cases

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]

API = "/api/v1/cases"


def _reported(region, category=None) -> Case:
    """A resident's report: the category is theirs (or none), so nobody stands behind it yet."""
    return a.do_submit_case(
        actor=region.user("resident"),
        channel=Channel.H5,
        title="路灯不亮",
        body="小区门口路灯坏了一周。",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        category=category,
        contact_mobile="13912345678",
    )


def _audit_details(case: Case, kind: str) -> dict:
    row = AuditEvent.objects.filter(target_type="cases.case", target_id=str(case.pk)).order_by("-id")
    return next(e.details for e in row if e.details.get("kind") == kind)


def test_a_dispatch_corrects_the_category_and_says_so_in_the_event_and_the_audit(region, cats):
    case = _reported(region, cats.pile)
    assert case.category_source == "reporter"
    done = a.do_dispatch(
        case, actor=region.user("dispatcher"), department=region.department, category=cats.light
    )
    stored = Case.objects.get(pk=done.pk)
    assert stored.category == cats.light
    assert stored.category_source == "dispatcher" and stored.category_confidence == 1.0
    event = stored.events.get(kind="dispatch")
    assert event.data["category"] == {
        "from": "ENV-GARB-PILE",
        "to": "ROAD-LIGHT",
        "from_name": "Piled-up garbage",
        "to_name": "Street lights",
    }
    assert _audit_details(stored, "dispatch")["category"] == {"from": "ENV-GARB-PILE", "to": "ROAD-LIGHT"}


def test_choosing_the_same_category_confirms_it(region, cats):
    case = _reported(region, cats.pile)
    a.do_accept(case, actor=region.user("dispatcher"), category=cats.pile)
    stored = Case.objects.get(pk=case.pk)
    assert stored.category == cats.pile and stored.category_source == "dispatcher"
    assert stored.events.get(kind="accept").data["category"]["from"] == "ENV-GARB-PILE"
    # Confirmed once: giving it again records nothing more.
    a.do_dispatch(stored, actor=region.user("dispatcher"), department=region.department, category=cats.pile)
    assert "category" not in Case.objects.get(pk=case.pk).events.get(kind="dispatch").data


def test_a_case_without_a_category_gets_one_and_no_category_leaves_it_alone(region, cats):
    case = _reported(region)
    a.do_accept(case, actor=region.user("dispatcher"))
    assert Case.objects.get(pk=case.pk).category is None
    assert "category" not in Case.objects.get(pk=case.pk).events.get(kind="accept").data
    a.do_dispatch(case, actor=region.user("dispatcher"), department=region.department, category=cats.garbage)
    stored = Case.objects.get(pk=case.pk)
    assert stored.category == cats.garbage
    assert stored.events.get(kind="dispatch").data["category"]["from"] == ""


def test_transfer_and_arbitration_take_a_category_too(walker, region, cats):
    moved = a.do_transfer(
        walker.to(S.DISPATCHED),
        actor=region.user("dispatcher"),
        reason="属于路灯问题",
        grid=region.grid_a,
        category=cats.light,
    )
    assert Case.objects.get(pk=moved.pk).category == cats.light
    twice = walker.to("returned_twice")
    a.do_arbitrate(twice, actor=region.user("supervisor"), department=region.department, category=cats.light)
    stored = Case.objects.get(pk=twice.pk)
    assert stored.category == cats.light and stored.category_source == "dispatcher"
    assert stored.events.get(kind="arbitrate").data["category"]["to"] == "ROAD-LIGHT"


def test_an_inactive_category_is_refused_and_changes_nothing(region, cats):
    cats.light.active = False
    cats.light.save()
    case = _reported(region, cats.pile)
    with pytest.raises(DomainError) as err:
        a.do_accept(case, actor=region.user("dispatcher"), category=cats.light)
    assert err.value.code == "category_invalid"
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == S.PENDING and stored.category == cats.pile


def test_a_dispatchers_correction_joins_the_classifiers_training_set(region, cats):
    case = _reported(region, cats.pile)
    assert confirmed_cases() == ([], [])  # the resident's word alone does not train it
    a.do_dispatch(case, actor=region.user("dispatcher"), department=region.department, category=cats.light)
    _docs, labels = confirmed_cases()
    assert labels == ["ROAD-LIGHT"]


def test_the_timeline_says_what_happened_to_the_category_in_chinese(region, cats):
    with translation.override("zh-hans"):
        corrected = event_details(
            {"data": {"category": {"from": "A", "to": "B", "from_name": "甲", "to_name": "乙"}}}
        )
        confirmed = event_details(
            {"data": {"category": {"from": "B", "to": "B", "from_name": "乙", "to_name": "乙"}}}
        )
        first = event_details(
            {"data": {"category": {"from": "", "to": "B", "from_name": "", "to_name": "乙"}}}
        )
    assert corrected == ["分类更正：甲 → 乙"]
    assert confirmed == ["确认分类：乙"]
    assert first == ["设定分类：乙"]


# The API -------------------------------------------------------------------------------------------


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_the_api_takes_a_category_code_with_the_transition(client, login, region, cats):
    case = _reported(region, cats.pile)
    login("dispatcher")
    body = _post(
        client,
        f"{API}/{case.pk}/transitions/dispatch",
        {"department": region.department.pk, "category": "ROAD-LIGHT"},
    ).json()
    assert body["category"] == {"code": "ROAD-LIGHT", "name": "Street lights"}
    assert body["category_confidence"] == 1.0
    assert body["events"][-1]["data"]["category"]["to"] == "ROAD-LIGHT"


def test_the_api_refuses_an_unknown_category_or_one_where_it_does_not_belong(client, login, walker, cats):
    case = walker.to(S.PENDING)
    login("dispatcher")
    unknown = _post(client, f"{API}/{case.pk}/transitions/accept", {"category": "NOPE"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "category_invalid"
    misplaced = _post(client, f"{API}/{case.pk}/transitions/suspend", {"reason": "x", "category": "ROAD"})
    assert misplaced.status_code == 422 and misplaced.json()["code"] == "category_not_applicable"
    assert Case.objects.get(pk=case.pk).status == S.PENDING


# The case page -------------------------------------------------------------------------------------


def test_the_case_page_offers_the_category_on_dispatch_and_applies_it(client, login, region, cats):
    case = _reported(region, cats.pile)
    login("dispatcher")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'name="dispatch-category"' in page and 'name="accept-category"' in page
    assert 'name="reject-category"' not in page
    assert "保持“Piled-up garbage”不变" in page
    response = client.post(
        f"/cases/{case.pk}/act/dispatch/",
        {"dispatch-department": region.department.pk, "dispatch-category": cats.light.pk},
    )
    assert response.status_code == 302
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == S.DISPATCHED and stored.category == cats.light
    assert stored.category_source == "dispatcher"
    shown = client.get(f"/cases/{case.pk}/").content.decode()
    assert "分类更正：Piled-up garbage → Street lights" in shown


def test_leaving_the_category_as_it_is_on_the_page_changes_nothing(client, login, region, cats):
    case = _reported(region, cats.pile)
    login("dispatcher")
    client.post(f"/cases/{case.pk}/act/dispatch/", {"dispatch-department": region.department.pk})
    stored = Case.objects.get(pk=case.pk)
    assert stored.category == cats.pile and stored.category_source == "reporter"


def _policy(category, hours):
    from zhili.cases.models import SLAPolicy, SlaUnit

    SLAPolicy.objects.create(
        category=category,
        urgency="normal",
        unit=SlaUnit.NATURAL_HOURS,
        accept_within=1,
        contact_within=2,
        finish_within=hours,
    )


def test_a_corrected_category_brings_its_own_deadlines_counted_from_intake(region, cats):
    _policy(cats.pile, 72)
    _policy(cats.light, 6)
    case = _reported(region, cats.pile)
    assert case.finish_due_at - case.sla_started_at == timedelta(hours=72)
    a.do_dispatch(case, actor=region.user("dispatcher"), department=region.department, category=cats.light)
    stored = Case.objects.get(pk=case.pk)
    assert stored.finish_due_at - stored.sla_started_at == timedelta(hours=6)
    assert stored.sla_started_at == case.sla_started_at  # counted from intake, not from the correction
    assert stored.accept_due_at - stored.sla_started_at == timedelta(hours=1)
    event = stored.events.get(kind="dispatch")
    assert event.data["deadline"] == stored.finish_due_at.isoformat()
    with translation.override("zh-hans"):
        lines = event_details({"data": event.data})
    assert any(line.startswith("按新分类的办结时限") for line in lines), lines


def test_confirming_the_category_moves_no_deadline(region, cats):
    _policy(cats.pile, 72)
    case = _reported(region, cats.pile)
    a.do_accept(case, actor=region.user("dispatcher"), category=cats.pile)
    stored = Case.objects.get(pk=case.pk)
    assert stored.finish_due_at == case.finish_due_at
    assert "deadline" not in stored.events.get(kind="accept").data


def test_an_approved_extension_keeps_its_date_when_the_category_changes(region, cats, walker):
    _policy(cats.light, 6)
    case = walker.to(S.IN_PROGRESS)
    until = Case.objects.get(pk=case.pk).finish_due_at + timedelta(days=10)
    a.do_request_extension(case, actor=region.user("handler"), until=until, reason="需协调产权单位")
    a.do_approve_extension(case, actor=region.user("dispatcher"))
    a.do_transfer(
        case,
        actor=region.user("dispatcher"),
        department=region.department,
        reason="转办",
        category=cats.light,
    )
    stored = Case.objects.get(pk=case.pk)
    assert stored.finish_due_at == until
    assert stored.accept_due_at - stored.sla_started_at == timedelta(hours=1)  # the others follow
