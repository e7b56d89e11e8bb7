"""The case page's photos and the call-back number: scoped, never cached, the number audited."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhili.audit.models import AuditEvent
from zhili.cases import actions as a
from zhili.cases.models import Channel
from zhili.cases.states import CaseStatus as S
from zhili.cases.tests.conftest import IN_GRID_A, png_bytes

pytestmark = pytest.mark.django_db

PHONE = "13912345678"  # the walker's resident


def _photo_urls(page: str) -> list[str]:
    return re.findall(r'<img src="(/cases/\d+/photos/[^"]+/)"', page)


def test_the_handlers_photo_shows_in_the_timeline_to_those_who_see_the_case(client, login, walker):
    case = walker.to(S.IN_PROGRESS)
    login("handler")
    photo = SimpleUploadedFile("IMG_0001.png", png_bytes(), content_type="image/png")
    client.post(
        f"/cases/{case.pk}/act/resolve/", {"resolve-feedback": "已清运完毕", "resolve-photos": [photo]}
    )
    login("supervisor")  # the verifier looks at the evidence
    urls = _photo_urls(client.get(f"/cases/{case.pk}/").content.decode())
    assert len(urls) == 1
    response = client.get(urls[0])
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "private" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"
    assert client.get(urls[0].replace("/photos/", "/photos/x")).status_code == 404  # an unknown token
    login("outsider")  # a grid worker of another grid: the same 404 as for the case
    assert client.get(urls[0]).status_code == 404
    client.logout()
    assert client.get(urls[0]).status_code == 302  # to the login page


def test_staff_see_the_number_masked_and_in_full_only_with_a_reason(client, login, walker):
    case = walker.to(S.PENDING)
    login("dispatcher")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert PHONE not in page and "139****5678" in page
    assert f"/cases/{case.pk}/contact/" in page
    short = client.post(f"/cases/{case.pk}/contact/", {"reason": "x"}, headers={"HX-Request": "true"})
    assert (
        short.status_code == 200
        and PHONE not in short.content.decode()
        and 'role="alert"' in short.content.decode()
    )
    assert not AuditEvent.objects.filter(action="cases.contact_revealed").exists()
    shown = client.post(
        f"/cases/{case.pk}/contact/", {"reason": "电话回访办理结果"}, headers={"HX-Request": "true"}
    )
    body = shown.content.decode()
    assert f'href="tel:{PHONE}"' in body and "<html" not in body
    assert shown["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="cases.contact_revealed")
    assert event.target_id == str(case.pk) and event.details["reason"] == "电话回访办理结果"
    assert PHONE not in str(event.details)  # the log says who looked and why, not the number


def test_who_may_not_see_the_number(client, login, walker, region):
    case = walker.to(S.PENDING)
    login("leader")  # sees the case, does not call residents
    assert f"/cases/{case.pk}/contact/" not in client.get(f"/cases/{case.pk}/").content.decode()
    assert client.post(f"/cases/{case.pk}/contact/", {"reason": "电话回访办理结果"}).status_code == 403
    login("outsider")
    assert client.post(f"/cases/{case.pk}/contact/", {"reason": "电话回访办理结果"}).status_code == 404
    anonymous = a.do_submit_case(
        actor=region.user("resident"),
        channel=Channel.H5,
        title="噪音",
        body="夜间施工噪音",
        lat=IN_GRID_A[0],
        lng=IN_GRID_A[1],
        contact_mobile=PHONE,
        anonymous=True,
    )
    login("dispatcher")
    assert f"/cases/{anonymous.pk}/contact/" not in client.get(f"/cases/{anonymous.pk}/").content.decode()
    refused = client.post(f"/cases/{anonymous.pk}/contact/", {"reason": "电话回访办理结果"}).content.decode()
    assert PHONE not in refused
    assert not AuditEvent.objects.filter(action="cases.contact_revealed").exists()


def test_the_classifier_panel_names_the_keyword_rules_in_words(client, login, walker):
    from zhili.cases import selectors
    from zhili.intelligence.classify import KEYWORDS_VERSION

    assert selectors._model_label(KEYWORDS_VERSION) == "关键词规则"
    assert selectors._model_label("tfidf-20261130") == "模型 tfidf-20261130"
    # The keyword rules suggested the category at intake: the page says so in words.
    case = walker.to(S.PENDING)
    submit = case.events.get(kind="submit")
    suggested = {"category": "X", "confidence": 0.68, "model": KEYWORDS_VERSION}
    submit.data = {**submit.data, "suggested": suggested}
    submit.save(update_fields=["data"])
    login("dispatcher")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="classifier-panel"' in page and "(关键词规则)" in page and "(keywords)" not in page


def test_a_refused_action_says_so_once_not_again_beside_the_number(client, login, walker):
    case = walker.to(S.PENDING)
    login("dispatcher")
    page = client.post(f"/cases/{case.pk}/act/reject/", {"reject-reason": ""}).content.decode()
    alerts = page.count('role="alert"')
    assert alerts == 1, page
    assert f"/cases/{case.pk}/contact/" in page  # the reveal form is there, without the error
