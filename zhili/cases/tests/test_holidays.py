"""Holiday arrangements for years the working-day package does not know yet, entered by an
administrator, and the fixed-date statutory holidays used until then."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from zhili.audit.models import AuditEvent
from zhili.cases import sla
from zhili.cases.models import DispatchRule, WorkdayOverride
from zhili.cases.rulebook import current_token, rulebook
from zhili.cases.sla import BEIJING, add_working_time, calendar_known, is_workday
from zhili.cases.states import CaseStatus

UNKNOWN_YEAR = 2031  # the package covers 2004 up to the year of its release


def bj(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def _no_entries_left():
    yield
    sla.use_overrides(())


def test_an_unknown_year_keeps_its_fixed_date_holidays_and_weekends():
    assert not calendar_known(UNKNOWN_YEAR)
    # 1 January 2031 is a Wednesday, 1 October a Wednesday: days off all the same.
    assert date(UNKNOWN_YEAR, 1, 1).weekday() == 2 and not is_workday(date(UNKNOWN_YEAR, 1, 1))
    assert [is_workday(date(UNKNOWN_YEAR, 10, d)) for d in (1, 2, 3)] == [False, False, False]
    assert not is_workday(date(UNKNOWN_YEAR, 5, 1)) and not is_workday(date(UNKNOWN_YEAR, 5, 2))
    assert is_workday(date(UNKNOWN_YEAR, 1, 2))  # Thursday
    assert not is_workday(date(UNKNOWN_YEAR, 1, 4))  # Saturday
    # Tue 31 Dec 2030 is a known year only if the package has it; 1 Jan is skipped either way.
    assert add_working_time(bj(UNKNOWN_YEAR, 1, 1, 10), 1, "working_hours") == bj(UNKNOWN_YEAR, 1, 2, 10)


def test_entered_days_win_over_the_package_and_the_fallback():
    sla.use_overrides(
        (
            (date(UNKNOWN_YEAR, 1, 2), False),  # a bridge day off after 元旦
            (date(UNKNOWN_YEAR, 1, 4), True),  # the Saturday made up
            (date(2025, 10, 8), True),  # a known year corrected
        )
    )
    assert calendar_known(UNKNOWN_YEAR)
    assert not is_workday(date(UNKNOWN_YEAR, 1, 2)) and is_workday(date(UNKNOWN_YEAR, 1, 4))
    assert is_workday(date(2025, 10, 8))
    # Wed 1 Jan 10:00 + 8 working hours: Thursday off, Friday 3rd 09:00–18:00 holds the 8 hours.
    assert add_working_time(bj(UNKNOWN_YEAR, 1, 1, 10), 8, "working_hours") == bj(UNKNOWN_YEAR, 1, 3, 18)
    sla.use_overrides(())
    assert is_workday(date(UNKNOWN_YEAR, 1, 2)) and not is_workday(date(2025, 10, 8))


@pytest.mark.django_db
def test_a_saved_entry_reaches_the_clock_of_the_next_case(region, cats, rule, submit):
    with time_machine.travel(bj(UNKNOWN_YEAR, 1, 2, 17), tick=False):
        first = submit()
        # Thu 2 Jan 17:00 + 4 working hours (signing): 1 hour on Thursday, 3 on Friday.
        assert first.accept_due_at == bj(UNKNOWN_YEAR, 1, 3, 12)
        WorkdayOverride.objects.create(day=date(UNKNOWN_YEAR, 1, 3), name="元旦")
        second = submit()
        assert second.accept_due_at == bj(UNKNOWN_YEAR, 1, 6, 12)  # Friday off: Monday 6th


@pytest.mark.django_db
def test_an_administrator_enters_a_holiday_range_in_one_go(client, login):
    admin = login("admin")
    token = current_token()
    response = client.post(
        "/django-admin/cases/workdayoverride/add/",
        {"day": f"{UNKNOWN_YEAR}-01-22", "through": f"{UNKNOWN_YEAR}-01-28", "name": "春节"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    days = list(WorkdayOverride.objects.values_list("day", "is_workday", "name"))
    assert days == [(date(UNKNOWN_YEAR, 1, d), False, "春节") for d in range(22, 29)]
    assert current_token() != token
    assert AuditEvent.objects.filter(action="cases.config_changed", actor_id=admin.pk).count() == 7
    rulebook()
    assert not is_workday(date(UNKNOWN_YEAR, 1, 27))  # a Monday, now off
    listing = client.get("/django-admin/cases/workdayoverride/").content.decode()
    assert "春节" in listing


@pytest.mark.django_db
def test_a_range_that_overlaps_entered_days_or_runs_backwards_is_refused_whole(client, login):
    login("admin")
    WorkdayOverride.objects.create(day=date(UNKNOWN_YEAR, 1, 25), name="春节")
    overlapping = client.post(
        "/django-admin/cases/workdayoverride/add/",
        {"day": f"{UNKNOWN_YEAR}-01-22", "through": f"{UNKNOWN_YEAR}-01-28", "name": "春节"},
    )
    assert overlapping.status_code == 200
    assert f"{UNKNOWN_YEAR}-01-25" in overlapping.content.decode()
    backwards = client.post(
        "/django-admin/cases/workdayoverride/add/",
        {"day": f"{UNKNOWN_YEAR}-01-22", "through": f"{UNKNOWN_YEAR}-01-20", "name": "春节"},
    )
    assert backwards.status_code == 200
    assert WorkdayOverride.objects.count() == 1


@pytest.mark.django_db
def test_the_admin_warns_in_december_when_next_years_holidays_are_unknown(client, login):
    with time_machine.travel(bj(UNKNOWN_YEAR - 1, 12, 1, 10)):
        login("admin")  # inside: a session from today would have expired by then
        warned = client.get("/django-admin/cases/workdayoverride/").content.decode()
        assert str(UNKNOWN_YEAR) in warned and "元旦" in warned
        WorkdayOverride.objects.create(day=date(UNKNOWN_YEAR, 1, 1), name="元旦")
        quiet = client.get("/django-admin/cases/slapolicy/").content.decode()
        assert f"{UNKNOWN_YEAR} 年" not in quiet and f"{UNKNOWN_YEAR}年" not in quiet


@pytest.mark.django_db
def test_switching_an_account_off_unstaffs_its_grid_at_once_but_a_login_changes_nothing(
    client, submit, cats, region
):
    DispatchRule.objects.create(category=None, area=region.street, to_case_grid=True, priority=1)
    assert submit().status == CaseStatus.DISPATCHED  # the rulebook is loaded, grid A staffed
    worker = region.user("grid_worker_a")
    token = current_token()
    client.force_login(worker)
    worker.refresh_from_db()
    worker.save(update_fields=["last_login"])
    assert current_token() == token
    worker.is_active = False
    worker.save()
    assert submit().status == CaseStatus.PENDING
