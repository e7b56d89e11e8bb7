"""A guess below the threshold: intake keeps it for the dispatcher to see, and it changes nothing else
(no category, no confidence, no dispatch); every other caller of ``classify`` still gets ``None``."""

from __future__ import annotations

import pytest

from zhili.cases.actions import do_submit_case
from zhili.cases.models import Category, Channel, DispatchRule
from zhili.cases.states import CaseStatus
from zhili.intelligence import classify as clf

pytestmark = pytest.mark.django_db

IN_GRID_A = (39.905, 116.305)
# One keyword of three characters, in the body only: the keyword rules are 0.45 sure of 公交.
TITLE, BODY = "咨询", "公交车来得太慢了"


@pytest.fixture
def bus(region, settings):
    """A category the keyword rules guess at 0.45, under a threshold of 0.6, with a dispatch rule
    that would act at once on anything surer than 0.1."""
    settings.ZHILI_CLASSIFIER_MIN_CONFIDENCE = 0.6
    settings.ZHILI_AUTO_DISPATCH_CONFIDENCE = 0.1
    top = Category.objects.create(code="JT", name="交通运输", level=1)
    bus = Category.objects.create(
        code="JT-GJ", name="公交线路", level=2, parent=top, department=region.department, keywords="公交车"
    )
    DispatchRule.objects.create(category=bus, area=region.street, department=region.department, priority=1)
    return bus


def _submit(region, **fields):
    return do_submit_case(
        actor=region.user("resident"),
        channel=Channel.H5,
        title=TITLE,
        body=BODY,
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        contact_mobile="13912345678",
        **fields,
    )


def test_classify_still_abstains_below_the_threshold_unless_asked_for_the_guess(bus, settings):
    assert clf.classify(TITLE, BODY) is None
    assert clf.classify(TITLE, BODY, None) is None
    guess = clf.classify(TITLE, BODY, keep_guess=True)
    assert guess is not None and guess.below_threshold
    assert guess.category_code == "JT-GJ" and guess.confidence == pytest.approx(0.45)
    assert guess.model_version == clf.KEYWORDS_VERSION
    # Above the threshold the prediction is the same whoever asks, and never marked.
    settings.ZHILI_CLASSIFIER_MIN_CONFIDENCE = 0.3
    sure = clf.classify(TITLE, BODY)
    assert sure is not None and not sure.below_threshold
    assert clf.classify(TITLE, BODY, keep_guess=True) == sure
    # No evidence at all: no guess either.
    assert clf.classify("咨询", "办事大厅几点开门", keep_guess=True) is None


def test_intake_keeps_the_guess_but_the_case_waits_uncategorised(region, bus):
    case = _submit(region)
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING and case.department is None
    assert case.category is None and case.category_confidence is None and case.category_source == ""
    suggested = case.events.get(kind="submit").data["suggested"]
    assert suggested == {
        "category": "JT-GJ",
        "department": region.department.code,
        "confidence": 0.45,
        "model": clf.KEYWORDS_VERSION,
        "below_threshold": True,
    }


def test_a_guess_above_the_threshold_is_not_marked(region, bus, settings):
    settings.ZHILI_CLASSIFIER_MIN_CONFIDENCE = 0.3
    case = _submit(region)
    assert case.category == bus and case.category_source == "classifier"
    assert case.status == CaseStatus.DISPATCHED
    assert "below_threshold" not in case.events.get(kind="submit").data["suggested"]


def test_a_guess_below_the_threshold_does_not_vouch_for_the_residents_choice(region, bus):
    case = _submit(region, category=bus)
    assert case.category == bus and case.category_source == "reporter"
    assert case.category_confidence == 0.0 and case.status == CaseStatus.PENDING
    assert case.events.get(kind="submit").data["suggested"]["below_threshold"] is True


def test_the_case_page_shows_the_guess_and_that_it_is_below_the_threshold(client, login, region, bus):
    case = _submit(region)
    login("dispatcher")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    panel = page[page.index('id="classifier-panel"') :]
    panel = panel[: panel.index("</section>")]
    assert "公交线路" in panel and "0.45" in panel
    assert 'id="classifier-abstained"' in panel and "低于阈值（0.60），待人工分类" in panel
