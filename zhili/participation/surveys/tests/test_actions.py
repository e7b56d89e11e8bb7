"""Eligibility, one response per resident, anonymity, validation and audit rows of the actions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from zhili.audit.models import AuditEvent
from zhili.core.errors import DomainError
from zhili.participation.surveys import actions
from zhili.participation.surveys.actions import AnswersInvalid
from zhili.participation.surveys.audience import audience_persons, ineligibility
from zhili.participation.surveys.models import Answer, Participation, Response
from zhili.residents.models import Tag
from zhili.residents.tags import new_person_tag

from .conftest import good_answers, make_person, resident

pytestmark = pytest.mark.django_db


def person_of(user):
    return user.resident_account.person


# -- eligibility ------------------------------------------------------------------------------


def test_a_verified_resident_of_the_territory_answers_once(region, build):
    survey = build()
    user = resident(region.grid_a)
    done = actions.do_submit_response(survey, actor=user, answers=good_answers(survey))
    assert done.participation.person == person_of(user)
    assert Participation.objects.filter(survey=survey).count() == 1
    assert Answer.objects.filter(response=done.response).count() == 3  # single, ranking, scale

    with pytest.raises(DomainError) as second:
        actions.do_submit_response(survey, actor=user, answers=good_answers(survey, colour=1))
    assert second.value.code == "already_answered"
    assert "每位居民只能填写一次" in second.value.message
    assert Response.objects.filter(survey=survey).count() == 1


def test_two_logins_of_one_household_answer_separately_but_one_person_only_once(region, build):
    survey = build()
    first = resident(region.grid_a)
    second = resident(region.grid_b)
    actions.do_submit_response(survey, actor=first, answers=good_answers(survey))
    actions.do_submit_response(survey, actor=second, answers=good_answers(survey))
    assert Participation.objects.filter(survey=survey).count() == 2


def test_a_resident_outside_the_territory_is_refused(region, build):
    survey = build()
    user = resident(region.grid_c)  # community 2, survey is for community 1
    with pytest.raises(DomainError) as refused:
        actions.do_submit_response(survey, actor=user, answers=good_answers(survey))
    assert refused.value.code == "not_eligible"
    assert refused.value.params["reason"] == "outside_territory"
    assert not Participation.objects.exists()


def test_a_login_without_a_verified_registry_link_is_refused(region, build):
    survey = build()
    with pytest.raises(DomainError) as refused:
        actions.do_submit_response(survey, actor=region.user("resident"), answers=good_answers(survey))
    assert refused.value.code == "not_verified"


def test_a_resident_who_moved_out_is_refused(region, build):
    survey = build()
    user = resident(region.grid_a, moved_out=timezone.localdate() - timedelta(days=1))
    with pytest.raises(DomainError) as refused:
        actions.do_submit_response(survey, actor=user, answers=good_answers(survey))
    assert refused.value.params["reason"] == "moved_out"


def test_age_range_counts_full_years_on_the_opening_day(region, build):
    opens = timezone.now() - timedelta(hours=1)
    day = timezone.localdate(opens)
    survey = build(min_age=60, max_age=70, opens_at=opens)
    turns_60_today = make_person(region.grid_a, born=date(day.year - 60, day.month, min(day.day, 28)))
    if day.day > 28:  # pragma: no cover - the 29th-31st: born on the 28th is already 60
        pass
    turns_60_tomorrow = make_person(region.grid_a, born=day.replace(year=day.year - 60) + timedelta(days=1))
    just_71 = make_person(region.grid_a, born=day.replace(year=day.year - 71))
    still_70 = make_person(region.grid_a, born=day.replace(year=day.year - 71) + timedelta(days=1))
    assert ineligibility(survey, turns_60_today) is None
    assert ineligibility(survey, turns_60_tomorrow) == "age"
    assert ineligibility(survey, just_71) == "age"
    assert ineligibility(survey, still_70) is None
    audience = set(audience_persons(survey))
    assert turns_60_today in audience and still_70 in audience
    assert turns_60_tomorrow not in audience and just_71 not in audience


def test_tag_audience_includes_sealed_sensitive_tags(region, build):
    alone = Tag.objects.get(code="elderly_alone")
    benefits = Tag.objects.get(code="dibao")
    assert benefits.sensitive
    survey = build(status="draft", tags=[alone, benefits])
    tagged = make_person(region.grid_a)
    new_person_tag(tagged.pk, alone).save()
    sealed = make_person(region.grid_b)
    row = new_person_tag(sealed.pk, benefits)
    assert row.tag is None  # stored sealed
    row.save()
    untagged = make_person(region.grid_a)
    assert set(audience_persons(survey)) == {tagged, sealed}
    assert ineligibility(survey, sealed) is None
    assert ineligibility(survey, untagged) == "tags"


def test_audience_is_the_registry_below_the_node(region, build):
    survey = build(status="draft")
    inside = [make_person(region.grid_a), make_person(region.grid_b)]
    make_person(region.grid_c)
    make_person(region.grid_d)
    assert set(audience_persons(survey)) == set(inside)


# -- time window and status -------------------------------------------------------------------


def test_no_answers_before_opening_after_closing_or_in_a_draft(region, build):
    user = resident(region.grid_a)
    draft = build(status="draft")
    with pytest.raises(DomainError) as refused:
        actions.do_submit_response(draft, actor=user, answers=good_answers(draft))
    assert refused.value.code == "not_open"
    later = build(status="draft", opens_at=timezone.now() + timedelta(days=1))
    actions.do_publish_survey(later, actor=None)
    later.refresh_from_db()
    with pytest.raises(DomainError):
        actions.do_submit_response(later, actor=user, answers=good_answers(draft))
    closed = build(status="closed")
    with pytest.raises(DomainError) as refused:
        actions.do_submit_response(closed, actor=user, answers=good_answers(closed))
    assert refused.value.code == "not_open"


def test_due_surveys_are_closed_once(region, build):
    survey = build(status="draft", closes_at=timezone.now() + timedelta(hours=1))
    actions.do_publish_survey(survey, actor=None)
    assert actions.close_due_surveys() == 0
    later = timezone.now() + timedelta(hours=2)
    assert actions.close_due_surveys(now=later) == 1
    assert actions.close_due_surveys(now=later) == 0
    survey.refresh_from_db()
    assert survey.status == "closed"


def test_questions_cannot_change_once_published(build, staff):
    survey = build()
    with pytest.raises(DomainError) as refused:
        actions.do_add_question(survey, actor=staff, kind="text", text="再问一个")
    assert refused.value.code == "not_draft"


def test_publishing_needs_a_question(region, staff):
    survey = actions.do_create_survey(node=region.c1, title="空调查", actor=staff)
    with pytest.raises(DomainError) as refused:
        actions.do_publish_survey(survey, actor=staff)
    assert refused.value.code == "no_questions"


def test_a_condition_must_look_back_at_a_choice_question(build, staff):
    survey = build(status="draft")
    with pytest.raises(DomainError) as refused:
        actions.do_add_question(
            survey,
            actor=staff,
            kind="text",
            text="为何?",
            condition_question=survey.q["scale"],
            condition_values=[1],
        )
    assert refused.value.code == "bad_condition"
    with pytest.raises(DomainError):
        actions.do_add_question(
            survey,
            actor=staff,
            kind="text",
            text="为何?",
            condition_question=survey.q["single"],
            condition_values=[7],
        )
    with pytest.raises(DomainError) as refused:
        actions.do_delete_question(survey.q["single"], actor=staff)
    assert refused.value.code == "has_dependants"
    with pytest.raises(DomainError) as refused:
        actions.do_move_question(survey.q["multiple"], actor=staff, up=True)
    assert refused.value.code == "condition_order"


# -- validation, server side ------------------------------------------------------------------


def test_server_checks_conditions_and_each_answer(region, build):
    survey = build()
    user = resident(region.grid_a)
    q = survey.q
    hidden = good_answers(survey, colour=0)
    hidden[q["multiple"].pk] = [0]  # shown only when 蓝 was chosen
    with pytest.raises(AnswersInvalid) as refused:
        actions.do_submit_response(survey, actor=user, answers=hidden)
    assert [(e.question, e.code) for e in refused.value.errors] == [(q["multiple"].pk, "hidden")]

    missing = good_answers(survey, colour=2)
    del missing[q["multiple"].pk]
    with pytest.raises(AnswersInvalid) as refused:
        actions.do_submit_response(survey, actor=user, answers=missing)
    assert [(e.question, e.code) for e in refused.value.errors] == [(q["multiple"].pk, "required")]

    bad = good_answers(survey, colour=2, text="太长" * 30)
    bad[q["multiple"].pk] = [0, 1, 2]
    bad[q["ranking"].pk] = [0, 0, 1]
    bad[q["scale"].pk] = 6
    with pytest.raises(AnswersInvalid) as refused:
        actions.do_submit_response(survey, actor=user, answers=bad)
    assert sorted(e.code for e in refused.value.errors) == [
        "out_of_scale",
        "rank_all",
        "too_long",
        "too_many",
    ]
    assert not Participation.objects.exists()

    done = actions.do_submit_response(
        survey, actor=user, answers=good_answers(survey, colour=2, text="多种树")
    )
    stored = {a.question_id: a for a in done.response.answers.all()}
    assert stored[q["multiple"].pk].choices == [0, 1]
    assert stored[q["ranking"].pk].choices == [2, 0, 1]
    assert stored[q["scale"].pk].number == 4
    assert stored[q["text"].pk].text == "多种树"


# -- anonymity and audit ----------------------------------------------------------------------


def test_anonymous_response_carries_no_identity_and_the_audit_no_answers(region, build):
    survey = build(anonymous=True)
    user = resident(region.grid_a)
    done = actions.do_submit_response(survey, actor=user, answers=good_answers(survey, text="路灯不亮"))
    response = Response.objects.get(pk=done.response.pk)
    assert response.person_id is None
    assert response.grid == region.grid_a and response.community == region.c1
    field_names = {f.name for f in Participation._meta.get_fields()}
    assert "response" not in field_names  # who and what are not linked
    event = AuditEvent.objects.filter(action="participation.survey_answered").get()
    assert event.actor_id == user.pk
    assert event.details == {"anonymous": True}
    assert "路灯" not in str(event.details) and str(response.pk) not in str(event.details)


def test_named_response_names_its_person(region, build):
    survey = build(anonymous=False)
    user = resident(region.grid_b)
    done = actions.do_submit_response(survey, actor=user, answers=good_answers(survey))
    assert done.response.person == person_of(user)
    event = AuditEvent.objects.filter(action="participation.survey_answered").get()
    assert event.details["response"] == str(done.response.pk)


def test_publish_and_close_leave_audit_rows(build, staff):
    survey = build(status="closed")
    transitions = list(
        AuditEvent.objects.filter(
            action="participation.survey_transition", target_id=str(survey.pk)
        ).order_by("id")
    )
    assert [e.details["transition"] for e in transitions] == ["publish", "close"]
    assert all(e.actor_id == staff.pk for e in transitions)


def test_the_close_due_command_closes_a_survey_past_its_closing_time(region, build):
    import io
    import json

    from django.core.management import call_command

    survey = build(status="draft", closes_at=timezone.now() + timedelta(minutes=5))
    actions.do_publish_survey(survey, actor=None)
    out = io.StringIO()
    call_command("surveys", "close-due", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"closed": 0}
    survey.closes_at = timezone.now() - timedelta(minutes=1)
    survey.save(update_fields=["closes_at"])
    out = io.StringIO()
    call_command("surveys", "close-due", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"closed": 1}
    survey.refresh_from_db()
    assert survey.status == "closed"


def test_results_of_a_closed_survey_are_published_once_with_an_audit_row(region, build, staff):
    survey = build()
    actions.do_submit_response(survey, actor=resident(region.grid_a), answers=good_answers(survey))
    with pytest.raises(DomainError) as refused:
        actions.do_publish_survey_results(survey, actor=staff)
    assert refused.value.code == "not_closed"
    actions.do_close_survey(survey, actor=staff)
    published = actions.do_publish_survey_results(survey, actor=staff)
    survey.refresh_from_db()
    assert survey.results_published_at is not None
    assert published.results_published_at == survey.results_published_at
    event = AuditEvent.objects.filter(action="participation.survey_changed", target_id=str(survey.pk)).last()
    assert event.actor_id == staff.pk
    assert event.details == {"results_published": True, "responses": 1}
    with pytest.raises(DomainError) as again:
        actions.do_publish_survey_results(survey, actor=staff)
    assert again.value.code == "already_published"
