"""The menu: each persona sees the entries of its posts, and every entry it sees opens."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhili.core.context_processors import NAV_ENTRIES

pytestmark = pytest.mark.django_db

PERSONAS = [
    "resident", "grid_worker_a", "community_staff", "dispatcher", "handler", "supervisor",
    "leader", "party_secretary", "auditor", "admin",
]  # fmt: skip


def _menu(client) -> list[str]:
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return [entry["url"] for entry in response.context["nav_entries"]]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_menu_entry_opens_for_the_persona_that_sees_it(client, login, persona):
    login(persona)
    urls = _menu(client)
    assert urls[0] == reverse("core:home")
    for url in urls:
        response = client.get(url, follow=True)  # a resident's 居民 entry leads to their own page
        assert response.status_code == 200, (persona, url, response.status_code)


def test_posts_decide_the_menu(client, login):
    login("grid_worker_a")
    worker = set(_menu(client))
    assert reverse("cases:field") in worker and reverse("emergency:tasks") in worker
    assert reverse("analytics:cockpit") not in worker and reverse("audit:events") not in worker
    login("leader")
    leader = set(_menu(client))
    wanted = ("analytics:cockpit", "assessment:index", "intelligence:warnings")
    assert {reverse(name) for name in wanted} <= leader
    assert reverse("cases:field") not in leader
    login("auditor")
    assert set(_menu(client)) == {
        reverse("core:home"),
        reverse("territory:map"),
        reverse("audit:events"),
        reverse("notify:inbox"),
    }


def test_the_menu_counts_unread_messages(client, login, region):
    from zhili.notify.actions import do_enqueue_notification

    login("grid_worker_a")
    entry = next(
        e
        for e in client.get(reverse("core:home")).context["nav_entries"]
        if e["url"] == reverse("notify:inbox")
    )
    assert entry["badge"] == 0
    for subject in ("一", "二"):
        do_enqueue_notification(
            channel="in_app", recipient=region.user("grid_worker_a"), subject=subject, body=""
        )
    do_enqueue_notification(channel="in_app", recipient=region.user("leader"), subject="别人的", body="")
    page = client.get(reverse("core:home")).content.decode()
    assert 'class="badge"' in page and ">2</span>" in page


def test_every_entry_names_a_page():
    for _label, url_name, _roles in NAV_ENTRIES:
        assert reverse(url_name).startswith("/")


def test_pages_name_their_icon_so_browsers_do_not_ask_for_a_missing_favicon(client):
    from django.contrib.staticfiles import finders

    page = client.get(reverse("core:home")).content.decode()
    assert 'rel="icon"' in page and "zhili/favicon.svg" in page
    assert finders.find("zhili/favicon.svg")


def test_error_pages_speak_chinese_in_the_sites_layout(client, login, region):
    from django.template.loader import render_to_string

    login("grid_worker_a")
    missing = client.get("/cases/999999/")
    page = missing.content.decode()
    assert missing.status_code == 404 and "页面不存在" in page and 'class="topbar"' in page
    refused = client.get(reverse("audit:events"))  # a grid worker holds no auditor's post
    assert refused.status_code == 403 and "无权操作" in refused.content.decode()
    # The server error page is rendered with no request at all.
    assert "系统出错了" in render_to_string("500.html")
