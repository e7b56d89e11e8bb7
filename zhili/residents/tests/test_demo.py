"""Demo data shows tags and visits: load_demo_visits after the demo region."""

from __future__ import annotations

import pytest

from zhili.audit.models import AuditAction, AuditEvent
from zhili.demo.actions import do_load_demo_region
from zhili.residents.demo import load_demo_visits
from zhili.residents.models import HouseholdInfo, PersonTag, Tag, Visit
from zhili.territory.models import Household

pytestmark = pytest.mark.django_db


def test_demo_visits_house_information_and_sealed_tags():
    do_load_demo_region(5, scale=0.05)
    counts = load_demo_visits(5)
    assert counts["visits"] == Visit.objects.count() > 0
    assert counts["house_info"] == HouseholdInfo.objects.count() == Household.objects.count()
    sensitive = Tag.objects.filter(sensitive=True)
    assert not PersonTag.objects.filter(tag__in=sensitive).exists()  # all sealed
    assert PersonTag.objects.filter(tag__isnull=True).count() == counts["sealed_tags"] > 0
    assert Visit.objects.filter(kind="care").exclude(visitor=None).exists()
    assert AuditEvent.objects.filter(action=AuditAction.DEMO_LOADED, details__part="residents").count() == 1
    assert load_demo_visits(5)["visits"] == 0  # a second run adds nothing
    assert Visit.objects.count() == counts["visits"]


def test_demo_correction_waits_for_the_community_with_the_current_value_beside_it(client):
    from zhili.accounts.models import User
    from zhili.participation.demo import load_demo_election
    from zhili.residents.demo import load_demo_correction
    from zhili.residents.models import CorrectionRequest

    do_load_demo_region(5, scale=0.05)
    load_demo_election(5)
    assert load_demo_correction(5) == 1
    assert load_demo_correction(5) == 0  # a second run adds nothing
    correction = CorrectionRequest.objects.get()
    assert correction.field == "mobile" and correction.requested_by.username == "jumin"
    person = correction.person
    client.force_login(User.objects.get(username="sqgz_chaoyang"))
    page = client.get(f"/residents/corrections/{correction.pk}/").content.decode()
    masked = person.mobile[:3] + "****" + person.mobile[-4:]
    assert "现登记内容" in page and masked in page and person.mobile not in page
