"""来电登记: the hotline operator's page, the caller's earlier requests, the calls of the day."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhili.cases.contact import unseal
from zhili.cases.models import Case, Channel
from zhili.notify.models import Notification

pytestmark = pytest.mark.django_db
URL = reverse("cases:hotline")
CALLER_URL = reverse("cases:hotline_caller")
CALL = {
    "caller_phone": "138 1234 5678",
    "caller_name": "王女士",
    "title": "小区门口路灯不亮",
    "body": "来电反映小区北门路灯已经坏了一周，晚上出行不便。",
    "address": "",
    "area": "",
    "category": "",
    "urgency": "normal",
}


@pytest.fixture
def call(region, cats):
    return {**CALL, "area": str(region.c1.pk)}


def test_a_dispatcher_logs_a_call_and_is_told_what_to_read_back(client, login, region, call):
    operator = login("dispatcher")
    page = client.get(URL)
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert 'id="id_caller_phone"' in html and "autofocus" in html and "来电登记" in html
    response = client.post(URL, call)
    assert response.status_code == 302 and response["Location"] == URL
    case = Case.objects.get()
    assert case.channel == Channel.HOTLINE and case.reporter == operator and case.node == region.c1
    assert unseal(case.contact_mobile_enc) == "13812345678" and unseal(case.contact_name_enc) == "王女士"
    assert "13812345678" not in response["Location"]
    html = client.get(URL).content.decode()
    assert 'id="hotline-logged"' in html and case.code in html and "5678" in html
    assert 'id="hotline-landline"' not in html  # a mobile gets the texts
    assert reverse("cases:detail", args=[case.pk]) in html
    assert case.title in html.split('id="hotline-today"')[1]  # among today's calls
    # The panel is for the call just logged: the next page is a fresh form.
    assert 'id="hotline-logged"' not in client.get(URL).content.decode()
    # The caller is told by SMS; the operator is not told about "their" request.
    assert Notification.objects.filter(channel="sms", topic=f"cases.case:{case.pk}").exists()
    assert not Notification.objects.filter(recipient=operator, topic=f"cases.case:{case.pk}").exists()


def test_a_landline_is_taken_with_a_call_back_warning_and_no_text(client, login, call):
    login("community_staff")
    assert client.post(URL, {**call, "caller_phone": "010-8456 1234"}).status_code == 302
    case = Case.objects.get()
    html = client.get(URL).content.decode()
    assert 'id="hotline-landline"' in html and "1234" in html
    assert not Notification.objects.filter(channel="sms", topic=f"cases.case:{case.pk}").exists()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"caller_phone": "12345"}, "区号"),
        ({"caller_phone": ""}, "必填"),
        ({"area": "", "address": ""}, "地址"),
        ({"title": ""}, "必填"),
        ({"urgency": "whenever"}, "有效"),
    ],
)
def test_bad_input_says_what_is_wrong_and_files_nothing(client, login, call, change, error):
    login("dispatcher")
    response = client.post(URL, {**call, **change})
    assert response.status_code == 422 and error in response.content.decode()
    assert not Case.objects.exists()


def test_an_address_that_names_no_place_goes_to_the_chosen_area(client, login, region, call):
    login("dispatcher")
    client.post(URL, {**call, "address": "不知道哪里", "area": str(region.c2.pk)})
    assert Case.objects.get().node == region.c2


def test_the_areas_offered_are_the_operators_own(client, login, region, call):
    login("community_staff")  # community 1 only
    html = client.get(URL).content.decode()
    assert f'value="{region.c1.pk}"' in html and f'value="{region.c2.pk}"' not in html
    response = client.post(URL, {**call, "area": str(region.c2.pk)})
    assert response.status_code == 422 and not Case.objects.exists()


@pytest.mark.parametrize("persona", ["resident", "handler", "grid_worker_a", "leader", "auditor"])
def test_only_dispatchers_and_community_staff_log_calls(client, login, call, persona):
    login(persona)
    assert client.get(URL).status_code == 403
    assert client.post(URL, call).status_code == 403
    assert client.post(CALLER_URL, {"caller_phone": "13812345678"}).status_code == 403
    assert not Case.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    assert client.get(URL).status_code == 302
    assert client.post(CALLER_URL, {"caller_phone": "13812345678"}).status_code == 302


def test_the_menu_offers_the_page_to_operators_only(client, login):
    login("dispatcher")
    assert URL in client.get(reverse("cases:list")).content.decode()
    login("handler")
    assert URL not in client.get(reverse("cases:list")).content.decode()


def test_a_repeat_caller_is_shown_their_open_requests_within_the_operators_scope(client, login, region, call):
    login("dispatcher")
    client.post(URL, call)
    client.post(URL, {**call, "title": "楼道堆物", "area": str(region.c2.pk)})
    first, second = Case.objects.order_by("pk")
    html = client.post(CALLER_URL, {"caller_phone": "13812345678"}).content.decode()
    assert first.code in html and second.code in html and "近 180 天的诉求：2 件，其中 2 件尚未办结" in html
    assert "13812345678" not in html
    # A number never seen before.
    assert 'id="caller-new"' in client.post(CALLER_URL, {"caller_phone": "13900000000"}).content.decode()
    # Too short to look up: nothing said.
    assert client.post(CALLER_URL, {"caller_phone": "139"}).content.decode().strip() == ""
    # Community 1's staff do not see community 2's request.
    login("community_staff")
    html = client.post(CALLER_URL, {"caller_phone": "138-1234-5678"}).content.decode()
    assert (
        first.code in html and second.code not in html and "近 180 天的诉求：1 件，其中 1 件尚未办结" in html
    )


def test_the_operator_who_logged_a_call_cannot_rate_it_as_the_resident(client, login, region, call):
    from zhili.cases import actions as a
    from zhili.cases.actions import allowed_transitions
    from zhili.cases.states import Transition
    from zhili.core.errors import Forbidden

    operator = login("dispatcher")
    client.post(URL, call)
    case = Case.objects.get()
    Case.objects.filter(pk=case.pk).update(status="verified")
    case = Case.objects.get(pk=case.pk)
    assert Transition.RATE not in allowed_transitions(operator, case)
    with pytest.raises(Forbidden):
        a.do_rate(case, actor=operator, rating="satisfied")
    assert not case.evaluations.exists()
