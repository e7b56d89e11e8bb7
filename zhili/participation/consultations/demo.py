"""Demo data of consultations, called by the demo loader (zhili.demo.extras).

In the demo resident's community (朝阳社区 in the standard demo):

- 老旧小区加装电梯方案: consulted three months ago, proposals and supports from residents, one
  comment hidden by the moderator, a council meeting (议事会) with its attendance, two decisions
  with milestones partly done, one due date moved with its reason — all of it in the history.
  The demo resident ("jumin") follows it and has the in-app messages of each step.
- 小区公共收益使用方案: consulting now (from a week ago for three weeks), with proposals to support.

Every write goes through the consultation actions, so each carries its audit row. Two documented
exceptions, as in the election demo: the residents who took part online get resident logins
without a usable password (they are there to have supported something, not to log in), and the
timestamps of the first topic's contributions and history are moved back to the days they stand
for, so that the timeline reads as three months of work rather than one second.

Dates are relative to the day the demo is loaded, so that the open consultation is open.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from zhili.accounts.models import Membership, User
from zhili.accounts.roles import Role
from zhili.notify.models import Notification
from zhili.participation.consultations import actions
from zhili.participation.consultations.models import (
    Comment,
    Milestone,
    OutcomeChange,
    Proposal,
    Support,
    Topic,
)
from zhili.participation.elections.models import ResidentAccount
from zhili.residents.models import Person
from zhili.territory.models import Node, NodeKind

DEMO_RESIDENT = "jumin"
ELEVATOR = "老旧小区加装电梯方案"
FUND = "小区公共收益使用方案"
PARTICIPANTS = 12

ELEVATOR_BODY = (
    "我社区1990年代建成的多层住宅共12栋，无电梯，60岁以上居民占比超过三成，上下楼困难。\n"
    "根据市加装电梯补贴政策，社区拟对符合条件的楼栋整体推进加装电梯。现就加装位置、费用分摊、"
    "低层住户补偿、施工期间出行安排等征求全体居民意见。\n"
    "附件为初步设计方案和费用测算，欢迎提出建议、发表意见，也可以为您赞同的建议点“支持”。"
)
FUND_BODY = (
    "小区广告位、停车位和场地出租等公共收益去年合计约18.6万元。按照业主大会议事规则，"
    "收益使用方案须征求全体业主意见后由议事会协商确定。\n"
    "候选用途包括：补充维修资金、加装充电桩、改造儿童游乐场、增设休闲座椅等，也欢迎提出其他建议。"
)
ELEVATOR_PROPOSALS = (
    ("电梯加装在楼栋北侧", "北侧空间大，不挡南面采光，对一楼住户影响最小。"),
    ("按楼层分摊费用", "建议参照其他小区做法，一楼不出资，二楼起按楼层递增分摊。"),
    ("施工期间保障老人出行", "请提前公布施工时间，安排志愿者帮助行动不便的老人上下楼。"),
    ("申请补贴后再定分摊方案", "先把市区两级补贴落实清楚，再开会确定每户出资额。"),
)
ELEVATOR_COMMENTS = (
    "北侧加装我赞成，但要注意管道井的位置。",
    "一楼住户也应该有发言权，希望议事会听听我们的意见。",
    "我家电话138xxxx，有意向的邻居联系我一起推动。",
    "希望尽快开工，家里老人已经两年没下楼了。",
)
FUND_PROPOSALS = (
    ("加装电动自行车充电桩", "楼道充电有火灾隐患，建议在车棚加装带计量的充电桩。"),
    ("改造儿童游乐场", "现有设施老化，地面是水泥，孩子摔倒容易受伤，建议换成塑胶地面。"),
    ("补充专项维修资金", "多栋楼维修资金已不足，先保障房屋安全。"),
)
FUND_COMMENTS = ("充电桩最急，上个月隔壁小区刚发生过电动车起火。",)


def _community() -> Node:
    membership = (
        Membership.objects.filter(user__username=DEMO_RESIDENT, role=Role.RESIDENT, active=True)
        .select_related("node__parent")
        .first()
    )
    if membership is not None and membership.node.parent is not None:
        return membership.node.parent
    community = Node.objects.filter(kind=NodeKind.COMMUNITY).order_by("code").first()
    if community is None:
        raise ValueError("load the demo region first: there is no community")
    return community


def _official(community: Node) -> Any:
    ancestors = community.ancestors()
    membership = (
        Membership.objects.filter(active=True)
        .filter(Q(role=Role.COMMUNITY_STAFF, node=community) | Q(role=Role.ADMIN, node_id__in=ancestors))
        .select_related("user")
        .order_by("role", "id")
        .first()
    )
    if membership is None:
        raise ValueError("load the demo region first: the community has no staff account")
    return membership.user


def _demo_pdf(title: str) -> bytes:
    """A one-page PDF with an ASCII line (core fonts have no Chinese glyphs); offsets computed."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _budget_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "费用测算"
    sheet.append(["项目", "金额（万元）", "说明"])
    for row in (
        ("设备及安装", 38.0, "每台，含井道钢结构"),
        ("管线迁改", 6.5, "燃气、给排水、电力"),
        ("设计监理", 2.5, ""),
        ("市区补贴", -24.0, "按政策每台最高"),
    ):
        sheet.append(list(row))
    sheet.append(["业主分摊合计", "=SUM(B2:B5)", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _participants(community: Node, rng: random.Random) -> list[User]:
    """Residents of the community with verified logins: the demo resident and a few others."""
    users: list[User] = []
    resident = User.objects.filter(username=DEMO_RESIDENT).first()
    linked = set(ResidentAccount.objects.values_list("person_id", flat=True))
    candidates = list(
        Person.objects.filter(
            household__building__grid__path__startswith=community.path,
            moved_out_on__isnull=True,
            anonymised_at__isnull=True,
            birth_date__lte=timezone.localdate() - timedelta(days=18 * 366),
        )
        .exclude(pk__in=linked)
        .select_related("household__building__grid")
        .order_by("pk")[:400]
    )
    rng.shuffle(candidates)
    if resident is not None:
        if not ResidentAccount.objects.filter(user=resident).exists() and candidates:
            grid_ids = set(
                Membership.objects.filter(user=resident, role=Role.RESIDENT).values_list("node_id", flat=True)
            )
            person = next((p for p in candidates if p.household.building.grid_id in grid_ids), candidates[0])
            candidates.remove(person)
            ResidentAccount.objects.create(user=resident, person=person)
        users.append(resident)
    for number, person in enumerate(candidates[:PARTICIPANTS], start=1):
        username = f"{DEMO_RESIDENT}_{community.code.lower()}_{number:02d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=None, display_name=person.name)
            Membership.objects.create(user=user, role=Role.RESIDENT, node=person.household.building.grid)
            ResidentAccount.objects.create(user=user, person=person)
        users.append(user)
    return users


def _at(day: Any, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


# Followers' messages older than this were read by the time of the demo.
READ_AFTER_DAYS = 14


@contextmanager
def _told_at(topic: Topic, moment: datetime) -> Iterator[None]:
    """The messages a step writes to the topic's followers are dated when the step happened, like
    the history the demo back-dates; those from more than two weeks ago have been read."""
    mark = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    yield
    read_at = moment if moment < timezone.now() - timedelta(days=READ_AFTER_DAYS) else None
    Notification.objects.filter(pk__gt=mark, topic=f"consultations.topic:{topic.pk}").update(
        created_at=moment, next_attempt_at=moment, read_at=read_at
    )


def _elevator(community: Node, staff: Any, people: list[User], rng: random.Random) -> Topic:
    today = timezone.localdate()
    opens = today - timedelta(days=110)
    closes = opens + timedelta(days=21)
    topic = actions.do_create_topic(
        node=community, title=ELEVATOR, body=ELEVATOR_BODY, opens_on=opens, closes_on=closes, actor=staff
    )
    actions.do_add_document(
        topic,
        title="加装电梯初步设计方案",
        name="plan.pdf",
        data=_demo_pdf("Elevator retrofit plan (demo)"),
        actor=staff,
    )
    actions.do_add_document(topic, title="费用测算表", name="budget.xlsx", data=_budget_xlsx(), actor=staff)
    actions.do_transition_topic(topic, "open", actor=staff, today=opens)
    resident = people[0]
    actions.do_set_follow(topic, following=True, actor=resident)
    for user in people[1:6]:
        actions.do_set_follow(topic, following=True, actor=user)
    proposals = []
    for index, (title, body) in enumerate(ELEVATOR_PROPOSALS):
        author = people[1 + index]
        proposal = actions.do_submit_proposal(
            topic, title=title, body=body, actor=author, today=opens + timedelta(days=index + 1)
        )
        Proposal.objects.filter(pk=proposal.pk).update(created_at=_at(opens + timedelta(days=index + 1)))
        proposals.append(proposal)
    # Support falls off from the first proposal to the last; the demo resident backs the first.
    for index, proposal in enumerate(proposals):
        backers = [u for u in people if rng.random() < 0.85 - index * 0.2]
        for user in backers:
            actions.do_set_support(proposal, supported=True, actor=user, today=opens + timedelta(days=7))
    actions.do_set_support(proposals[0], supported=True, actor=resident, today=opens + timedelta(days=7))
    comments = []
    for index, body in enumerate(ELEVATOR_COMMENTS):
        comment = actions.do_submit_comment(
            topic, body=body, proposal=proposals[0] if index == 0 else None, actor=people[5 + index]
        )
        Comment.objects.filter(pk=comment.pk).update(created_at=_at(opens + timedelta(days=8 + index)))
        comments.append(comment)
    actions.do_hide_item(
        comments[2], reason="personal_data", note="含手机号码，已请居民通过网格员联系", actor=staff
    )
    with _told_at(topic, _at(closes, 18)):
        actions.do_transition_topic(topic, "close", actor=staff)

    meeting_day = closes + timedelta(days=5)
    reps = [u.display_name for u in people[1:10]]
    meeting = actions.do_record_meeting(
        topic,
        held_at=_at(meeting_day, 19),
        place="社区党群服务中心议事厅",
        agenda="一、通报意见征集情况；二、协商加装位置和费用分摊；三、确定责任分工和时间节点。",
        minutes=(
            "征集期间共收到建议4条、评论4条，支持最多的是“电梯加装在楼栋北侧”。\n"
            "经协商，与会人员一致同意：3号楼、5号楼先行试点，电梯加装在楼栋北侧；费用按楼层分摊，"
            "一楼不出资；由社区居委会牵头，物业公司配合，申请市区两级补贴。\n"
            "一楼住户代表提出的采光和噪声问题，由设计单位在施工图中予以回应。"
        ),
        expected_count=15,
        attendees=[(name, "resident_rep", "") for name in reps]
        + [
            ("社区书记", "staff", "社区居委会"),
            ("城建专干", "staff", "社区居委会"),
            ("网格员", "staff", "第1网格"),
        ]
        + [("物业经理", "outside", "物业服务公司"), ("项目工程师", "outside", "电梯安装公司")],
        actor=staff,
    )
    with _told_at(topic, _at(meeting_day, 21)):
        lead = actions.do_record_decision(
            topic,
            text="3号楼、5号楼先行试点加装电梯，加装在楼栋北侧；费用按楼层分摊，一楼不出资。",
            responsible_unit="社区居委会",
            responsible_person="社区书记",
            due_on=today + timedelta(days=45),
            meeting=meeting,
            actor=staff,
        )
        group = actions.do_record_decision(
            topic,
            text="成立加装电梯业主自管小组，每栋楼推选两名代表，负责意见沟通和施工监督。",
            responsible_unit="物业服务公司",
            responsible_person="物业经理",
            due_on=meeting_day + timedelta(days=20),
            meeting=meeting,
            actor=staff,
        )
        design = actions.do_add_milestone(
            lead, title="完成施工图设计并公示", due_on=meeting_day + timedelta(days=30), actor=staff
        )
        subsidy = actions.do_add_milestone(
            lead, title="申请市区两级补贴", due_on=meeting_day + timedelta(days=50), actor=staff
        )
        build = actions.do_add_milestone(
            lead, title="完成主体施工", due_on=today + timedelta(days=40), actor=staff
        )
        accept = actions.do_add_milestone(
            lead, title="验收并投入使用", due_on=today + timedelta(days=45), actor=staff
        )
        elect = actions.do_add_milestone(
            group, title="推选各楼栋代表", due_on=meeting_day + timedelta(days=15), actor=staff
        )
        actions.do_transition_topic(topic, "decide", actor=staff)
        actions.do_transition_topic(topic, "start", actor=staff)

    # Progress as it was reported, oldest first: (days after the meeting, milestone, values, note)
    steps: list[tuple[int, Milestone, dict[str, Any], str]] = [
        (8, elect, {"percent": 100}, "10栋楼共推选代表20名，名单已在公告栏公示"),
        (10, design, {"percent": 40}, "设计单位完成现场勘测"),
        (25, design, {"percent": 80}, "施工图初稿已征求一楼住户意见"),
        (34, design, {"percent": 100}, "施工图公示7天无异议"),
        (36, subsidy, {"percent": 50}, "区住建委已受理补贴申请"),
        (55, subsidy, {"percent": 100}, "补贴批复到位"),
        (60, build, {"percent": 20}, "3号楼基坑开挖"),
        (72, build, {"percent": 45}, "3号楼井道钢结构吊装完成"),
    ]
    for days, milestone, values, note in steps:
        with _told_at(topic, _at(meeting_day + timedelta(days=days), 16)):
            actions.do_update_milestone(
                milestone, actor=staff, note=note, today=meeting_day + timedelta(days=days), **values
            )
        OutcomeChange.objects.filter(
            milestone=milestone, changed_at__gte=timezone.now() - timedelta(minutes=5)
        ).filter(note=note).update(changed_at=_at(meeting_day + timedelta(days=days), 16))
    actions.do_update_decision(
        lead,
        due_on=today + timedelta(days=60),
        note="燃气管线迁改需燃气公司排期，经议事会同意顺延15天",
        actor=staff,
    )
    actions.do_update_milestone(accept, due_on=today + timedelta(days=60), note="随总体时限顺延", actor=staff)
    # The creation rows stand on the meeting day; later rows stay on the days set above.
    OutcomeChange.objects.filter(topic=topic, field="created").update(changed_at=_at(meeting_day, 21))
    Support.objects.filter(proposal__topic=topic).update(created_at=_at(opens + timedelta(days=7)))
    Topic.objects.filter(pk=topic.pk).update(created_at=_at(opens - timedelta(days=3)))
    return topic


def _fund(community: Node, staff: Any, people: list[User], rng: random.Random) -> Topic:
    today = timezone.localdate()
    topic = actions.do_create_topic(
        node=community,
        title=FUND,
        body=FUND_BODY,
        opens_on=today - timedelta(days=7),
        closes_on=today + timedelta(days=14),
        actor=staff,
    )
    actions.do_add_document(
        topic,
        title="公共收益收支明细（示例）",
        name="income.pdf",
        data=_demo_pdf("Common income statement (demo)"),
        actor=staff,
    )
    actions.do_transition_topic(topic, "open", actor=staff)
    proposals = [
        actions.do_submit_proposal(topic, title=title, body=body, actor=people[3 + index])
        for index, (title, body) in enumerate(FUND_PROPOSALS)
    ]
    # The demo resident has not supported anything here yet: that is for the visitor to try.
    for index, proposal in enumerate(proposals):
        for user in people[1:]:
            if rng.random() < 0.7 - index * 0.2:
                actions.do_set_support(proposal, supported=True, actor=user)
    for index, body in enumerate(FUND_COMMENTS):
        actions.do_submit_comment(topic, body=body, proposal=proposals[0], actor=people[8 + index])
    return topic


def load_demo(seed: int) -> None:
    """Safe to call twice: does nothing when the demo topics exist."""
    community = _community()
    if Topic.objects.filter(node=community, title__in=[ELEVATOR, FUND]).exists():
        return
    rng = random.Random(f"zhili-demo-consultations:{seed}")
    staff = _official(community)
    with transaction.atomic():
        people = _participants(community, rng)
        if len(people) < 10:
            raise ValueError("the demo community has too few residents for the consultation demo")
        _elevator(community, staff, people, rng)
        _fund(community, staff, people, rng)
