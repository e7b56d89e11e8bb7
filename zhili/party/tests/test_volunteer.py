"""社区志愿活动: volunteer services opened to residents, their sign-up and cancellation, the cap, who
sees what, and what the planners see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhili.accounts.roles import Role
from zhili.audit.models import AuditAction, AuditEvent
from zhili.core.errors import DomainError, Forbidden, NotFound
from zhili.core.testing import make_user
from zhili.party.actions import do_cancel_sign_up, do_plan_activity, do_sign_up, do_transition_activity
from zhili.party.models import Activity, VolunteerSignup
from zhili.party.states import ActivityTransition

pytestmark = pytest.mark.django_db

PAGE = "/party/volunteer/"


def _open(region, org, *, title="敬老助老志愿服务", days=5, places=None, open_to_residents=True):
    return do_plan_activity(
        org=org,
        kind="volunteer",
        title=title,
        date=timezone.localdate() + timedelta(days=days),
        place="社区党群服务中心",
        open_to_residents=open_to_residents,
        places=places,
        actor=region.user("community_staff"),
    )


@pytest.fixture
def opened(region, party):
    """An open volunteer service of community 1 (3 places) and one of the street (no limit)."""
    sec = region.user("party_secretary")
    c1 = do_plan_activity(
        org=party.c1,
        kind="volunteer",
        title="敬老助老志愿服务",
        date=timezone.localdate() + timedelta(days=5),
        place="社区党群服务中心",
        open_to_residents=True,
        places=3,
        actor=region.user("community_staff"),
    )
    street = do_plan_activity(
        org=party.street,
        kind="volunteer",
        title="街道义诊志愿服务",
        date=timezone.localdate() + timedelta(days=8),
        open_to_residents=True,
        actor=sec,
    )
    return c1, street


@pytest.fixture
def resident_c2(region):
    return make_user("resident_c2", role=Role.RESIDENT, node=region.grid_c)


# Planning -----------------------------------------------------------------------------------------


def test_staff_open_a_volunteer_service_with_a_cap_through_the_form(region, party, login, client):
    login("community_staff")
    day = (timezone.localdate() + timedelta(days=4)).isoformat()
    data = {"org": party.c1.pk, "kind": "volunteer", "title": "清扫落叶", "date": day, "place": "小区广场"}
    response = client.post("/party/activities/new/", {**data, "open_to_residents": "on", "places": "12"})
    assert response.status_code == 302
    activity = Activity.objects.get(title="清扫落叶")
    assert activity.open_to_residents and activity.places == 12
    event = AuditEvent.objects.filter(action=AuditAction.PARTY_ACTIVITY_CHANGED, target_id=str(activity.pk))
    assert event.get().details["open_to_residents"] is True
    page = client.get(f"/party/activities/{activity.pk}/").content.decode()
    assert "开放居民报名" in page and 'id="signups"' in page


def test_the_form_shows_the_checkbox_and_the_cap(region, party, login, client):
    login("community_staff")
    page = client.get("/party/activities/new/").content.decode()
    assert 'name="open_to_residents"' in page and 'name="places"' in page


def test_only_a_volunteer_service_can_be_opened_and_nothing_is_written(region, party, login, client):
    login("community_staff")
    before = Activity.objects.count()
    day = (timezone.localdate() + timedelta(days=4)).isoformat()
    data = {
        "org": party.c1.pk,
        "kind": "theme_day",
        "title": "主题党日",
        "date": day,
        "open_to_residents": "on",
    }
    response = client.post("/party/activities/new/", data)
    assert response.status_code == 200
    assert "只有志愿服务可以开放居民报名" in response.content.decode()
    assert Activity.objects.count() == before


@pytest.mark.parametrize("places", [0, -1, 10000, "x"])
def test_a_cap_outside_1_to_9999_is_refused(region, party, places):
    with pytest.raises(DomainError) as exc:
        _open(region, party.c1, places=places)
    assert exc.value.code == "places_invalid"
    assert not Activity.objects.filter(open_to_residents=True).exists()


def test_a_cap_without_opening_is_not_kept(region, party):
    activity = _open(region, party.c1, places=5, open_to_residents=False)
    assert activity.places is None


def test_only_planners_open_activities(region, party, login, client):
    with pytest.raises(Forbidden):
        do_plan_activity(
            org=party.c1,
            kind="volunteer",
            title="t",
            date=timezone.localdate(),
            open_to_residents=True,
            actor=region.user("grid_worker_a"),
        )
    login("grid_worker_a")
    day = timezone.localdate().isoformat()
    data = {"org": party.c1.pk, "kind": "volunteer", "title": "t", "date": day, "open_to_residents": "on"}
    assert client.post("/party/activities/new/", data).status_code == 403
    login("resident")
    assert client.post("/party/activities/new/", data).status_code == 404
    assert not Activity.objects.filter(title="t").exists()


# The residents' page ------------------------------------------------------------------------------


def test_a_resident_sees_the_open_services_of_their_community_and_street(
    region, party, opened, login, client
):
    c1, street = opened
    _open(region, party.c1, title="未开放的志愿服务", open_to_residents=False)
    do_plan_activity(
        org=party.other,
        kind="volunteer",
        title="外街道志愿服务",
        date=c1.date,
        open_to_residents=True,
        actor=party.other_secretary,
    )
    login("resident")
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "社区志愿活动" in page
    assert c1.title in page and street.title in page
    assert "未开放的志愿服务" not in page and "外街道志愿服务" not in page
    assert party.planned.title not in page  # a planned themed party day is not for residents
    assert "3 / 3" in page and "不限" in page


def test_a_resident_elsewhere_sees_only_what_is_open_to_them(region, party, opened, resident_c2, client):
    c1, street = opened
    client.force_login(resident_c2)
    page = client.get(PAGE).content.decode()
    assert street.title in page and c1.title not in page
    assert client.post(f"/party/volunteer/{c1.pk}/sign-up/").status_code == 404
    assert client.post(f"/party/volunteer/{c1.pk}/cancel/").status_code == 404
    assert not VolunteerSignup.objects.exists()


@pytest.mark.parametrize("persona", ["nobody", "community_staff", "party_secretary", "outsider"])
def test_who_lives_nowhere_known_gets_404(region, party, opened, login, client, persona):
    login(persona)
    assert client.get(PAGE).status_code == 404
    assert client.post(f"/party/volunteer/{opened[0].pk}/sign-up/").status_code == 404


def test_the_page_needs_a_login(client):
    assert client.get(PAGE).status_code == 302


def test_residents_still_see_nothing_of_the_staff_pages(region, party, opened, login, client):
    login("resident")
    for url in ("/party/", "/party/activities/", f"/party/activities/{opened[0].pk}/", "/party/hours/"):
        assert client.get(url).status_code == 404, url


def test_held_cancelled_and_past_services_leave_the_page(region, party, opened, login, client):
    c1, street = opened
    do_transition_activity(street, ActivityTransition.CANCEL, actor=region.user("party_secretary"))
    Activity.objects.filter(pk=c1.pk).update(date=timezone.localdate() - timedelta(days=1))
    login("resident")
    page = client.get(PAGE).content.decode()
    assert c1.title not in page and street.title not in page
    assert "暂无" in page
    with pytest.raises(DomainError) as exc:
        do_sign_up(street.pk, actor=region.user("resident"))
    assert exc.value.code == "not_planned"
    with pytest.raises(DomainError) as exc:
        do_sign_up(c1.pk, actor=region.user("resident"))
    assert exc.value.code == "too_late"
    assert not VolunteerSignup.objects.exists()


# Sign-up and cancellation -------------------------------------------------------------------------


def test_sign_up_and_cancel(region, party, opened, login, client):
    c1, _street = opened
    user = login("resident")
    response = client.post(f"/party/volunteer/{c1.pk}/sign-up/", follow=True)
    page = response.content.decode()
    assert "报名成功" in page and "已报名" in page and "2 / 3" in page
    assert VolunteerSignup.objects.filter(activity=c1, user=user).count() == 1
    # Twice is once.
    client.post(f"/party/volunteer/{c1.pk}/sign-up/")
    assert VolunteerSignup.objects.filter(activity=c1).count() == 1
    events = AuditEvent.objects.filter(action=AuditAction.PARTY_ACTIVITY_CHANGED, target_id=str(c1.pk))
    signed = [e for e in events if e.details.get("signed_up")]
    assert len(signed) == 1 and signed[0].details == {"signed_up": True, "signups": 1}
    assert "resident" not in str(signed[0].details)
    page = client.post(f"/party/volunteer/{c1.pk}/cancel/", follow=True).content.decode()
    assert "已取消报名" in page and "3 / 3" in page
    assert not VolunteerSignup.objects.exists()
    assert events.filter(details__signup_cancelled=True).count() == 1
    assert do_cancel_sign_up(c1.pk, actor=user) is False  # nothing left to cancel


def test_a_sign_up_cannot_be_cancelled_on_the_day(region, party, opened, login, client):
    c1, _street = opened
    user = login("resident")
    do_sign_up(c1.pk, actor=user)
    Activity.objects.filter(pk=c1.pk).update(date=timezone.localdate())
    page = client.post(f"/party/volunteer/{c1.pk}/cancel/", follow=True).content.decode()
    assert "活动当天" in page
    assert VolunteerSignup.objects.filter(activity=c1, user=user).exists()


def test_a_verified_registry_link_is_enough(region, party, opened, client, monkeypatch):
    from zhili.participation.consultations import policies as consult_policies

    user = make_user("linked", role=None, node=None)
    monkeypatch.setattr(
        consult_policies, "home_paths", lambda u: [region.grid_b.path] if u.pk == user.pk else []
    )
    client.force_login(user)
    assert opened[0].title in client.get(PAGE).content.decode()
    assert do_sign_up(opened[0].pk, actor=user) is True


def test_the_cap_is_enforced_with_a_clear_message(region, party, opened, login, client):
    c1, _street = opened
    for n in range(3):
        do_sign_up(c1.pk, actor=make_user(f"r{n}", role=Role.RESIDENT, node=region.grid_b))
    login("resident")
    page = client.get(PAGE).content.decode()
    assert "名额已满" in page and "data-sign-up" not in page.split(c1.title)[1].split("</li>")[0]
    response = client.post(f"/party/volunteer/{c1.pk}/sign-up/", follow=True)
    assert "名额已满，报名未成功" in response.content.decode()
    assert VolunteerSignup.objects.filter(activity=c1).count() == 3
    with pytest.raises(DomainError) as exc:
        do_sign_up(c1.pk, actor=region.user("resident"))
    assert exc.value.code == "full" and exc.value.status == 409


def test_a_missing_activity_is_404(region, party, login, client):
    login("resident")
    assert client.post("/party/volunteer/999999/sign-up/").status_code == 404
    with pytest.raises(NotFound):
        do_sign_up(party.held.pk, actor=region.user("resident"))
    with pytest.raises(NotFound):
        do_sign_up(party.planned.pk, actor=region.user("resident"))  # not open
    assert client.get(f"/party/volunteer/{party.planned.pk}/sign-up/").status_code == 405


# What the planners see ----------------------------------------------------------------------------


def test_planners_see_the_sign_ups_others_do_not(region, party, opened, login, client):
    c1, _street = opened
    volunteer = make_user("volunteer1", role=Role.RESIDENT, node=region.grid_b)
    volunteer.display_name = "李秀英"
    volunteer.save(update_fields=["display_name"])
    do_sign_up(c1.pk, actor=volunteer)
    for persona in ("community_staff", "party_secretary"):
        login(persona)
        page = client.get(f"/party/activities/{c1.pk}/").content.decode()
        assert 'id="signups"' in page and "李秀英" in page, persona
    for persona in ("grid_worker_a", "leader"):
        login(persona)
        page = client.get(f"/party/activities/{c1.pk}/").content.decode()
        assert "李秀英" not in page and 'id="signups"' not in page, persona
    login("resident")
    assert "李秀英" not in client.get(PAGE).content.decode()


def test_the_page_reads_a_fixed_number_of_statements(region, party, login, client):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(PAGE).status_code == 200
        return len(ctx.captured_queries)

    login("resident")
    for n in range(2):
        _open(region, party.c1, title=f"a{n}", places=5)
    first = count()
    for n in range(2, 8):
        activity = _open(region, party.c1, title=f"a{n}", places=5)
        do_sign_up(activity.pk, actor=region.user("resident"))
    assert count() == first
