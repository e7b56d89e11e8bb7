"""Pages: scope (outsider 404, read-only 403), resident pages, moderation placeholders, the board."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from zhili.participation.consultations import actions
from zhili.participation.consultations.models import Document, Follow, Milestone, Proposal, Support, Topic

from .conftest import verified_resident

pytestmark = pytest.mark.django_db

STAFF_GETS = ["staff_topic", "topic_edit", "meeting_new", "decision_new"]


@pytest.mark.parametrize("name", STAFF_GETS)
def test_staff_pages_are_404_outside_the_territory(client, login, consulting, name):
    login("outsider")
    assert client.get(reverse(f"consultations:{name}", args=[consulting.topic.pk])).status_code == 404


@pytest.mark.parametrize("name", ["topic", "outcome"])
def test_resident_pages_are_404_outside_the_territory(client, region, consulting, name):
    client.force_login(verified_resident(region.grid_d))
    assert client.get(reverse(f"consultations:{name}", args=[consulting.topic.pk])).status_code == 404
    client.force_login(region.user("outsider"))
    assert client.get(reverse(f"consultations:{name}", args=[consulting.topic.pk])).status_code == 404


def test_a_draft_is_invisible_to_residents(client, region, staff):
    topic = actions.do_create_topic(node=region.c1, title="草稿", body="b", actor=staff)
    client.force_login(verified_resident(region.grid_a))
    assert client.get(reverse("consultations:topic", args=[topic.pk])).status_code == 404
    assert "草稿" not in client.get(reverse("consultations:topics")).content.decode()


def test_the_leader_reads_but_may_not_write(client, login, consulting):
    login("leader")
    pk = consulting.topic.pk
    assert client.get(reverse("consultations:staff_topic", args=[pk])).status_code == 200
    assert client.get(reverse("consultations:topic_edit", args=[pk])).status_code == 403
    assert client.post(reverse("consultations:transition", args=[pk, "close"])).status_code == 403
    assert client.get(reverse("consultations:topic_new")).status_code == 403
    assert Topic.objects.get(pk=pk).state == "consulting"


def test_a_resident_without_staff_role_cannot_reach_staff_pages(client, consulting):
    client.force_login(consulting.residents[0])
    assert client.get(reverse("consultations:staff_list")).status_code == 404
    assert client.get(reverse("consultations:staff_topic", args=[consulting.topic.pk])).status_code == 404


def test_staff_create_and_open_a_topic_through_the_pages(client, login, region):
    login("community_staff")
    today = timezone.localdate()
    response = client.post(
        reverse("consultations:topic_new"),
        {
            "node": region.c1.pk,
            "title": "公共收益使用",
            "body": "广告位收益如何使用",
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=10)).isoformat(),
        },
    )
    topic = Topic.objects.get(title="公共收益使用")
    assert response.status_code == 302
    client.post(reverse("consultations:transition", args=[topic.pk, "open"]))
    assert Topic.objects.get(pk=topic.pk).state == "consulting"


def test_a_topic_cannot_be_created_outside_the_scope(client, login, region):
    login("community_staff")
    response = client.post(
        reverse("consultations:topic_new"), {"node": region.c2.pk, "title": "t", "body": "b"}
    )
    assert response.status_code == 200 and not Topic.objects.exists()


def test_a_resident_proposes_supports_and_follows_on_the_topic_page(client, consulting):
    a, b = consulting.residents
    client.force_login(a)
    url = reverse("consultations:topic", args=[consulting.topic.pk])
    client.post(
        reverse("consultations:propose", args=[consulting.topic.pk]), {"title": "北侧加装", "body": "理由"}
    )
    proposal = Proposal.objects.get()
    client.force_login(b)
    response = client.post(
        reverse("consultations:support", args=[consulting.topic.pk, proposal.pk]),
        {"support": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and 'aria-pressed="true"' in response.content.decode()
    assert Support.objects.filter(proposal=proposal).count() == 1
    client.post(reverse("consultations:follow", args=[consulting.topic.pk]), {"follow": "1"})
    assert Follow.objects.filter(topic=consulting.topic, user=b).exists()
    page = client.get(url).content.decode()
    assert "北侧加装" in page and "已关注" in page


def test_an_unverified_resident_sees_the_topic_but_gets_403_on_taking_part(client, region, consulting):
    client.force_login(region.user("resident"))
    pk = consulting.topic.pk
    assert client.get(reverse("consultations:topic", args=[pk])).status_code == 200
    assert (
        client.post(reverse("consultations:propose", args=[pk]), {"title": "t", "body": "b"}).status_code
        == 403
    )
    assert not Proposal.objects.exists()


def test_hidden_items_stay_listed_as_hidden_with_their_reason(client, consulting, staff, login):
    a = consulting.residents[0]
    proposal = actions.do_submit_proposal(consulting.topic, title="买我的产品", body="广告内容XYZ", actor=a)
    comment = actions.do_submit_comment(consulting.topic, body="骂人的话ABC", actor=a)
    login("community_staff")
    client.post(
        reverse("consultations:moderate", args=[consulting.topic.pk, "proposal", proposal.pk]),
        {"reason": "advertising", "note": "商业广告"},
    )
    client.post(
        reverse("consultations:moderate", args=[consulting.topic.pk, "comment", comment.pk]),
        {"reason": "abusive"},
    )
    client.force_login(consulting.residents[1])
    page = client.get(reverse("consultations:topic", args=[consulting.topic.pk])).content.decode()
    assert "已隐藏：广告" in page and "已隐藏：辱骂" in page
    assert "广告内容XYZ" not in page and "骂人的话ABC" not in page and "买我的产品" not in page


def test_a_bad_hide_reason_hides_nothing(client, consulting, login):
    proposal = actions.do_submit_proposal(
        consulting.topic, title="t", body="b", actor=consulting.residents[0]
    )
    login("community_staff")
    client.post(
        reverse("consultations:moderate", args=[consulting.topic.pk, "proposal", proposal.pk]),
        {"reason": "x"},
    )
    assert not Proposal.objects.get().is_hidden


def test_document_upload_and_download_for_residents(client, login, consulting):
    login("community_staff")
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        reverse("consultations:document_add", args=[consulting.topic.pk]),
        {
            "title": "设计图",
            "file": SimpleUploadedFile("plan.pdf", b"%PDF-1.7 plan", content_type="application/pdf"),
        },
    )
    client.post(
        reverse("consultations:document_add", args=[consulting.topic.pk]),
        {"title": "病毒", "file": SimpleUploadedFile("x.pdf", b"<script>", content_type="application/pdf")},
    )
    doc = Document.objects.get()
    client.force_login(consulting.residents[0])
    response = client.get(reverse("consultations:document", args=[consulting.topic.pk, doc.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 plan"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_documents_are_listed_with_their_kind_and_size_in_words(client, login, consulting):
    from django.core.files.uploadedfile import SimpleUploadedFile

    staff = login("community_staff")
    topic = consulting.topic
    actions.do_add_document(
        topic, title="设计图", name="plan.pdf", data=b"%PDF-1.7" + b" " * 595, actor=staff
    )
    actions.do_add_document(
        topic, title="预算", name="budget.xlsx", data=b"PK\x03\x04" + b"0" * 12_640, actor=staff
    )
    client.post(
        reverse("consultations:document_add", args=[topic.pk]),
        {"title": "方案", "file": SimpleUploadedFile("plan.docx", b"PK\x03\x04" + b"0" * 1_300_000)},
    )
    staff_page = client.get(reverse("consultations:staff_topic", args=[topic.pk])).content.decode()
    client.force_login(consulting.residents[0])
    resident_page = client.get(reverse("consultations:topic", args=[topic.pk])).content.decode()
    for page in (staff_page, resident_page):
        assert "PDF 文档 · 603\xa0字节" in page
        assert "Excel 表格 · 12.3\xa0KB" in page
        assert "Word 文档 · 1.2\xa0MB" in page
        assert "application/" not in page


def test_staff_record_meeting_decision_and_progress_through_the_pages(client, login, consulting):
    topic = consulting.topic
    staff = login("community_staff")
    actions.do_transition_topic(topic, "close", actor=staff)
    response = client.post(
        reverse("consultations:meeting_new", args=[topic.pk]),
        {
            "held_at": "2026-11-20T19:00",
            "place": "议事厅",
            "agenda": "电梯",
            "minutes": "纪要",
            "expected_count": 9,
            "resident_reps": "王一\n李二，3号楼",
            "staff": "张三, 居委会",
            "outside": "",
        },
    )
    assert response.status_code == 302
    meeting = topic.meetings.get()
    assert meeting.attendees.count() == 3 and meeting.attendees.get(name="李二").organisation == "3号楼"
    client.post(
        reverse("consultations:decision_new", args=[topic.pk]),
        {
            "text": "加装电梯",
            "meeting": meeting.pk,
            "responsible_unit": "居委会",
            "responsible_person": "张三",
            "due_on": "2027-03-01",
        },
    )
    decision = topic.decisions.get()
    assert decision.meeting == meeting
    client.post(
        reverse("consultations:milestone_new", args=[topic.pk, decision.pk]),
        {"title": "设计", "due_on": "2027-01-01"},
    )
    milestone = Milestone.objects.get()
    client.post(
        reverse("consultations:milestone_edit", args=[topic.pk, milestone.pk]),
        {"percent": 30, "status": "in_progress", "due_on": "2027-01-01", "note": "开始"},
    )
    milestone.refresh_from_db()
    assert milestone.percent == 30
    page = client.get(reverse("consultations:outcome", args=[topic.pk])).content.decode()
    assert "0% → 30%" in page and "开始" in page


def test_board_shows_decisions_of_the_node_and_exports_xlsx(client, decided, staff):
    client.force_login(decided.residents[0])
    page = client.get(reverse("consultations:board"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "3号楼加装电梯" in html and 'id="board-chart"' in html and 'id="board-table"' in html
    response = client.get(reverse("consultations:board_xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][3] == "3号楼加装电梯" and rows[1][8] == 0


def test_board_of_another_node_is_404(client, region, decided):
    client.force_login(decided.residents[0])
    assert client.get(reverse("consultations:board"), {"node": region.other_community.pk}).status_code == 404
    client.force_login(region.user("nobody"))
    assert client.get(reverse("consultations:board")).status_code == 404


def test_outsider_board_does_not_show_our_decisions(client, region, decided):
    client.force_login(region.user("outsider"))
    html = client.get(reverse("consultations:board")).content.decode()
    assert "3号楼加装电梯" not in html


def test_topic_list_query_count_does_not_grow_with_topics(
    client, region, staff, django_assert_max_num_queries
):
    today = timezone.localdate()
    for i in range(6):
        t = actions.do_create_topic(
            node=region.c1, title=f"议题{i}", body="b", opens_on=today, closes_on=today, actor=staff
        )
        actions.do_transition_topic(t, "open", actor=staff)
    client.force_login(verified_resident(region.grid_a))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("consultations:topics")).status_code == 200
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("consultations:staff_list")).status_code == 200


def _write_urls(decided):
    topic = decided.topic
    decision = decided.decision
    milestone = decision.milestones.first()
    return [
        reverse("consultations:topic_edit", args=[topic.pk]),
        reverse("consultations:document_add", args=[topic.pk]),
        reverse("consultations:transition", args=[topic.pk, "start"]),
        reverse("consultations:meeting_new", args=[topic.pk]),
        reverse("consultations:decision_new", args=[topic.pk]),
        reverse("consultations:decision_edit", args=[topic.pk, decision.pk]),
        reverse("consultations:milestone_new", args=[topic.pk, decision.pk]),
        reverse("consultations:milestone_edit", args=[topic.pk, milestone.pk]),
        reverse("consultations:moderate", args=[topic.pk, "comment", 1]),
    ]


@pytest.mark.parametrize(("persona", "status"), [("outsider", 404), ("leader", 403), ("auditor", 404)])
def test_every_staff_write_is_404_outside_and_403_read_only(client, login, decided, persona, status):
    login(persona)
    for url in _write_urls(decided):
        assert client.post(url, {}).status_code == status, url
    decided.topic.refresh_from_db()
    assert decided.topic.state == "decided"


def test_resident_writes_outside_the_territory_are_404(client, region, consulting):
    topic = consulting.topic
    proposal = actions.do_submit_proposal(topic, title="t", body="b", actor=consulting.residents[0])
    client.force_login(verified_resident(region.grid_d))
    for url, data in (
        (reverse("consultations:propose", args=[topic.pk]), {"title": "t", "body": "b"}),
        (reverse("consultations:comment", args=[topic.pk]), {"body": "b"}),
        (reverse("consultations:support", args=[topic.pk, proposal.pk]), {"support": "1"}),
        (reverse("consultations:follow", args=[topic.pk]), {"follow": "1"}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert not Support.objects.exists() and not Follow.objects.exists() and Proposal.objects.count() == 1


def _late_setup(decided, staff, today):
    """Design finished 3 days after its due date, a new milestone 2 days overdue, building on time."""
    design, build = Milestone.objects.filter(decision=decided.decision).order_by("due_on")
    actions.do_update_milestone(design, percent=100, actor=staff, today=design.due_on + timedelta(days=3))
    notice = actions.do_add_milestone(
        decided.decision, title="公示方案", due_on=today - timedelta(days=2), actor=staff
    )
    return design, build, notice


def _milestone_html(html, milestone):
    start = html.index(f'id="milestone-{milestone.pk}"')
    return html[start : html.index("</li>", start)]


@pytest.mark.parametrize("page", ["topic", "outcome", "staff_topic"])
def test_late_and_overdue_milestones_are_flagged_with_their_days(client, login, decided, staff, page):
    design, build, notice = _late_setup(decided, staff, timezone.localdate())
    if page == "staff_topic":
        login("community_staff")
    else:
        client.force_login(decided.residents[0])
    html = client.get(reverse(f"consultations:{page}", args=[decided.topic.pk])).content.decode()
    assert "逾期完成 3 天" in _milestone_html(html, design)
    assert "已逾期 2 天" in _milestone_html(html, notice)
    assert "data-late" not in _milestone_html(html, build)
    assert "1 个节点已逾期" in html and "1 个节点逾期完成" in html


def test_milestones_on_time_carry_no_late_flag(client, decided, staff):
    design = Milestone.objects.filter(decision=decided.decision).order_by("due_on").first()
    actions.do_update_milestone(design, percent=100, actor=staff, today=design.due_on)
    client.force_login(decided.residents[0])
    for name in ("topic", "outcome"):
        html = client.get(reverse(f"consultations:{name}", args=[decided.topic.pk])).content.decode()
        assert "data-late" not in html and "逾期" not in html, name


def test_board_and_its_export_count_late_milestones(client, decided, staff):
    _late_setup(decided, staff, timezone.localdate())
    client.force_login(decided.residents[0])
    html = client.get(reverse("consultations:board")).content.decode()
    row = html[html.index("3号楼加装电梯", html.index('id="board-table"')) :]
    assert "1 个节点已逾期" in row and "1 个节点逾期完成" in row
    sheet = load_workbook(io.BytesIO(client.get(reverse("consultations:board_xlsx")).content)).active
    header, first = list(sheet.iter_rows(values_only=True))[:2]
    assert header[-2:] == ("逾期未完成节点", "逾期完成节点") and first[-2:] == (1, 1)


def test_staff_see_the_opened_topics_of_their_area_on_the_list(client, region, consulting, staff):
    draft = actions.do_create_topic(node=region.c1, title="筹备中的议题", body="b", actor=staff)
    client.force_login(staff)
    html = client.get(reverse("consultations:topics")).content.decode()
    assert consulting.topic.title in html
    assert reverse("consultations:topic", args=[consulting.topic.pk]) in html
    # the draft is not on the residents' list, but staff are told where it is
    assert draft.title not in html
    assert 'id="drafts"' in html and reverse("consultations:staff_list") in html
    assert "目前没有涉及您所在区域的协商议题" not in html
    # an outsider's staff scope does not reach community 1
    client.force_login(region.user("outsider"))
    assert consulting.topic.title not in client.get(reverse("consultations:topics")).content.decode()


def test_staff_without_opened_topics_get_a_staff_message(client, region, staff):
    actions.do_create_topic(node=region.c1, title="筹备中的议题", body="b", actor=staff)
    client.force_login(staff)
    html = client.get(reverse("consultations:topics")).content.decode()
    assert "您的辖区内还没有已开放的协商议题" in html
    assert "目前没有涉及您所在区域的协商议题" not in html
    assert 'id="drafts"' in html
    client.force_login(verified_resident(region.grid_a))
    html = client.get(reverse("consultations:topics")).content.decode()
    assert "目前没有涉及您所在区域的协商议题" in html
    assert 'id="drafts"' not in html
