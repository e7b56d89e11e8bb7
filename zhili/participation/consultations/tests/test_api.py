"""The API: list and read topics in scope, support a proposal; refusals carry stable codes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zhili.participation.consultations import actions
from zhili.participation.consultations.models import Milestone, Support

from .conftest import verified_resident

pytestmark = pytest.mark.django_db
BASE = "/api/v1/consultations"


def test_list_shows_topics_in_scope_only(client, region, consulting):
    client.force_login(consulting.residents[0])
    rows = client.get(f"{BASE}/topics").json()
    assert [r["title"] for r in rows] == ["老旧小区加装电梯方案"]
    client.force_login(verified_resident(region.grid_d))
    assert client.get(f"{BASE}/topics").json() == []
    client.force_login(region.user("outsider"))
    assert client.get(f"{BASE}/topics").json() == []


def test_anonymous_is_refused(client, consulting):
    assert client.get(f"{BASE}/topics").status_code == 401


def test_read_shows_hidden_proposals_as_placeholders(client, consulting, staff):
    a, b = consulting.residents
    shown = actions.do_submit_proposal(consulting.topic, title="北侧", body="理由", actor=a)
    hidden = actions.do_submit_proposal(consulting.topic, title="广告", body="买买买", actor=a)
    actions.do_hide_item(hidden, reason="advertising", actor=staff)
    actions.do_set_support(shown, supported=True, actor=b)
    client.force_login(b)
    data = client.get(f"{BASE}/topics/{consulting.topic.pk}").json()
    assert data["can_take_part"] is True
    first, second = data["proposals"]
    assert (first["id"], first["supports"], first["supported_by_me"]) == (shown.pk, 1, True)
    assert second == {
        "id": hidden.pk,
        "hidden": True,
        "hidden_reason": "广告",
        "supports": 0,
        "supported_by_me": False,
    }


def test_read_outside_the_territory_is_404(client, region, consulting):
    client.force_login(verified_resident(region.grid_c))
    response = client.get(f"{BASE}/topics/{consulting.topic.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_support_and_withdraw_through_the_api(client, consulting):
    a, b = consulting.residents
    proposal = actions.do_submit_proposal(consulting.topic, title="t", body="b", actor=a)
    client.force_login(b)
    url = f"{BASE}/topics/{consulting.topic.pk}/proposals/{proposal.pk}/support"
    for _ in range(2):
        response = client.post(url, {"supported": True}, content_type="application/json")
        assert response.json() == {"proposal": proposal.pk, "supported": True, "supports": 1}
    response = client.post(url, {"supported": False}, content_type="application/json")
    assert response.json()["supports"] == 0 and not Support.objects.exists()


def test_support_refusals_have_codes(client, region, consulting):
    proposal = actions.do_submit_proposal(
        consulting.topic, title="t", body="b", actor=consulting.residents[0]
    )
    url = f"{BASE}/topics/{consulting.topic.pk}/proposals/{proposal.pk}/support"
    client.force_login(region.user("resident"))  # sees the topic, not verified
    response = client.post(url, {"supported": True}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (403, "not_eligible")
    client.force_login(consulting.residents[1])
    response = client.post(url, {"supported": "perhaps"}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    response = client.post(
        f"{BASE}/topics/{consulting.topic.pk}/proposals/999999/support", {}, content_type="application/json"
    )
    assert response.status_code == 404


def test_list_query_count_does_not_grow_with_topics(
    client, region, staff, today, django_assert_max_num_queries
):
    for i in range(5):
        topic = actions.do_create_topic(
            node=region.c1, title=f"议题{i}", body="b", opens_on=today, closes_on=today, actor=staff
        )
        actions.do_transition_topic(topic, "open", actor=staff)
    client.force_login(verified_resident(region.grid_a))
    with django_assert_max_num_queries(8):
        assert len(client.get(f"{BASE}/topics").json()) == 5


def test_read_tells_how_late_each_milestone_is(client, decided, staff, today):
    design, build = Milestone.objects.filter(decision=decided.decision).order_by("due_on")
    actions.do_update_milestone(design, percent=100, actor=staff, today=design.due_on + timedelta(days=3))
    notice = actions.do_add_milestone(
        decided.decision, title="公示", due_on=today - timedelta(days=2), actor=staff
    )
    client.force_login(decided.residents[0])
    data = client.get(f"{BASE}/topics/{decided.topic.pk}").json()
    late = {m["id"]: (m["days_overdue"], m["days_late"]) for m in data["decisions"][0]["milestones"]}
    assert late == {design.pk: (0, 3), build.pk: (0, 0), notice.pk: (2, 0)}
