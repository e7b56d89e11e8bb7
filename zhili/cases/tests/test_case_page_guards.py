"""The case page offers only what can succeed, shows the contact deadline with a way to meet it, and
keeps the classifier's panel when the classifier abstained."""

from __future__ import annotations

import re

import pytest

from zhili.cases import actions as a
from zhili.cases.models import Case, CaseEvent, Channel
from zhili.cases.states import CaseStatus as S
from zhili.cases.states import Transition as T
from zhili.cases.tests.conftest import IN_GRID_A
from zhili.intelligence.classify import Prediction

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]


def _page(client, case) -> str:
    return client.get(f"/cases/{case.pk}/").content.decode()


# Buttons only for what can succeed ----------------------------------------------------------------


def _disputed(walker, region) -> Case:
    """Rated 不满意 twice: only a supervisor may close it."""
    res, sup = region.user("resident"), region.user("supervisor")
    case = a.do_rate(walker.to(S.VERIFIED), actor=res, rating="unsatisfied")  # 重办
    h = region.user("handler")
    case = a.do_start(a.do_sign(case, actor=h), actor=h)
    case = a.do_verify(a.do_resolve(case, actor=h, feedback="再次清运"), actor=sup, note="已核实")
    return a.do_rate(case, actor=res, rating="unsatisfied")


def test_only_a_supervisor_is_offered_to_close_a_disputed_case(walker, region):
    case = _disputed(walker, region)
    assert case.status == S.RATED and case.needs_review
    assert T.CLOSE not in a.allowed_transitions(region.user("dispatcher"), case)
    assert T.CLOSE in a.allowed_transitions(region.user("supervisor"), case)
    undisputed = walker.to(S.RATED)
    assert T.CLOSE in a.allowed_transitions(region.user("dispatcher"), undisputed)


def test_arbitration_is_offered_only_when_the_case_awaits_it(walker, region):
    sup, d = region.user("supervisor"), region.user("dispatcher")
    once = walker.to(S.RETURNED)
    assert T.ARBITRATE not in a.allowed_transitions(sup, once)
    assert T.DISPATCH in a.allowed_transitions(d, once)
    twice = walker.to("returned_twice")
    assert T.ARBITRATE in a.allowed_transitions(sup, twice)
    # Awaiting arbitration: a dispatch would be refused, so it is not offered either.
    assert T.DISPATCH not in a.allowed_transitions(d, twice)
    assert T.DISPATCH not in a.allowed_transitions(sup, twice)


def test_the_hands_that_do_not_hold_the_case_get_no_handling_buttons(walker, region):
    case = walker.to(S.DISPATCHED)  # to the department: grid A's worker sees it but does not hold it
    assert a.allowed_transitions(region.user("grid_worker_a"), case) == []
    binding = a.do_arbitrate(
        walker.to("returned_twice"), actor=region.user("supervisor"), department=region.department
    )
    assert T.RETURN not in a.allowed_transitions(region.user("handler"), binding)
    assert T.SIGN in a.allowed_transitions(region.user("handler"), binding)
    assert T.TRANSFER not in a.allowed_transitions(region.user("dispatcher"), binding)
    assert T.TRANSFER in a.allowed_transitions(region.user("supervisor"), binding)


def test_the_case_page_hides_the_buttons_that_would_fail(client, login, walker, region):
    case = _disputed(walker, region)
    login("dispatcher")
    assert f"/cases/{case.pk}/act/close/" not in _page(client, case)
    login("supervisor")
    assert f"/cases/{case.pk}/act/close/" in _page(client, case)
    once = walker.to(S.RETURNED)
    assert f"/cases/{once.pk}/act/arbitrate/" not in _page(client, once)


# First contact with the resident -----------------------------------------------------------------


def test_the_case_page_shows_the_contact_deadline(client, login, walker):
    case = walker.to(S.SIGNED)
    login("dispatcher")
    page = _page(client, case)
    assert "联系时限" in page and 'id="contact-due"' in page
    assert case.contact_due_at is not None
    # The dispatcher does not hold the case: no contact form for them.
    assert f"/cases/{case.pk}/contacted/" not in page


def test_the_handler_records_the_contact_on_the_page(client, login, walker):
    case = walker.to(S.SIGNED)
    login("handler")
    page = _page(client, case)
    assert f"/cases/{case.pk}/contacted/" in page and 'id="record-contact"' in page
    response = client.post(
        f"/cases/{case.pk}/contacted/", {"note": "已电话联系居民"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="case-panel"' in body and "<html" not in body and "已电话联系居民" in body
    assert re.search(r"已联系 \d{4}-\d{2}-\d{2}", body)  # next to the deadline
    stored = Case.objects.get(pk=case.pk)
    assert stored.contacted_at is not None
    assert CaseEvent.objects.filter(case=case, kind="contact", note="已电话联系居民").exists()


def test_a_contact_without_a_note_is_refused_on_the_page(client, login, walker):
    case = walker.to(S.SIGNED)
    login("handler")
    response = client.post(f"/cases/{case.pk}/contacted/", {"note": " "})
    assert response.status_code == 422 and 'role="alert"' in response.content.decode()
    assert Case.objects.get(pk=case.pk).contacted_at is None


def test_the_grid_worker_holding_the_case_records_the_contact_and_others_may_not(
    client, login, walker, region
):
    case = a.do_dispatch(walker.to(S.PENDING), actor=region.user("dispatcher"), grid=region.grid_a)
    login("grid_worker_a")
    assert f"/cases/{case.pk}/contacted/" in _page(client, case)
    response = client.post(f"/cases/{case.pk}/contacted/", {"note": "上门沟通"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).contacted_at is not None
    login("dispatcher")
    assert client.post(f"/cases/{case.pk}/contacted/", {"note": "x"}).status_code == 403
    login("outsider")
    assert client.post(f"/cases/{case.pk}/contacted/", {"note": "x"}).status_code == 404


def test_the_contact_time_is_in_the_api(client, login, walker):
    case = walker.to(S.SIGNED)
    login("handler")
    assert client.get(f"/api/v1/cases/{case.pk}").json()["contacted_at"] is None
    a.do_record_contact(case, actor=login("handler"), note="已电话联系")
    assert client.get(f"/api/v1/cases/{case.pk}").json()["contacted_at"] is not None


# The classifier's panel when it abstained ----------------------------------------------------------


def test_the_classifier_panel_stays_when_the_classifier_abstained(client, login, region, cats):
    case = a.do_submit_case(
        actor=region.user("resident"),
        channel=Channel.H5,
        title="咨询",
        body="想问个事情",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        contact_mobile="13912345678",
    )
    assert case.category is None
    login("dispatcher")
    page = _page(client, case)
    assert 'id="classifier-panel"' in page and "），待人工分类" in page


def test_a_below_threshold_guess_kept_by_the_submit_event_is_shown(client, login, region, cats):
    case = a.do_submit_case(
        actor=region.user("resident"),
        channel=Channel.H5,
        title="咨询",
        body="想问个事情",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        contact_mobile="13912345678",
    )
    event = case.events.get(kind="submit")
    event.data["suggested"] = {"category": "ROAD-LIGHT", "confidence": 0.12, "below_threshold": True}
    event.save()
    login("dispatcher")
    page = _page(client, case)
    assert "Street lights" in page and "0.12" in page and "），待人工分类" in page


def test_a_confident_suggestion_does_not_say_below_threshold(client, login, region, cats, monkeypatch):
    guess = Prediction("ENV-GARB-PILE", 0.42, "CG", [], "keywords")
    monkeypatch.setattr("zhili.intelligence.classify.classify", lambda *args, **kwargs: guess)
    case = a.do_submit_case(
        actor=region.user("resident"),
        channel=Channel.H5,
        title="楼下垃圾堆放",
        body="没人清运",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        contact_mobile="13912345678",
    )
    login("dispatcher")
    page = _page(client, case)
    assert 'id="classifier-panel"' in page and "低于阈值" not in page


def test_a_department_that_gave_the_case_back_is_not_offered_the_contact(client, login, walker, region):
    from zhili.cases import actions as a
    from zhili.core.errors import DomainError

    case = walker.to(S.SIGNED)
    a.do_return(case, actor=region.user("handler"), reason="不属于本部门职责")
    login("handler")
    assert f"/cases/{case.pk}/contacted/" not in _page(client, case)
    with pytest.raises(DomainError) as refused:
        a.do_record_contact(case, actor=region.user("handler"), note="已电话联系")
    assert refused.value.code == "case_not_held"
    assert Case.objects.get(pk=case.pk).contacted_at is None


def test_a_missed_contact_deadline_is_marked_until_the_resident_is_reached(client, login, walker, region):
    from datetime import timedelta

    from django.utils import timezone

    case = walker.to(S.SIGNED)
    Case.objects.filter(pk=case.pk).update(contact_due_at=timezone.now() - timedelta(hours=1))
    login("handler")
    assert 'id="contact-overdue"' in _page(client, case)
    a.do_record_contact(case, actor=region.user("handler"), note="已电话联系")
    assert 'id="contact-overdue"' not in _page(client, case)
