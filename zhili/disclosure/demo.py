"""Demo data of disclosure, played through the real actions at believable past dates.

The first community has a quarter's finances that were corrected once (the chain shows on both
versions), the previous quarter's finances, a 党务公开 item, a residents-only 居务公开 item, a 政务公开
item for everyone and a withdrawn notice; a resident asked about the finances and staff answered.
The second community published its finances on time; the others did not, so the staff list shows
them under 未按期公开. Safe to call twice (does nothing once a publication exists).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from unittest import mock

from django.utils import timezone

from zhili.accounts.models import Membership
from zhili.accounts.roles import Role
from zhili.territory.models import Node, NodeKind

CN_QUARTERS = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


def _staff(role: str, node: Node) -> Any:
    membership = (
        Membership.objects.filter(role=role, active=True, node=node, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _resident_of(community: Node) -> Any:
    membership = (
        Membership.objects.filter(
            role=Role.RESIDENT, active=True, node__path__startswith=community.path, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _quarter_before(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def _quarter_end(year: int, quarter: int) -> date:
    nxt = date(year + (quarter == 4), 1 if quarter == 4 else quarter * 3 + 1, 1)
    return nxt - timedelta(days=1)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def _finance_items(rng: random.Random, scale: float) -> list[dict[str, str]]:
    base = [
        ("党组织服务群众经费", 20000),
        ("社区办公经费", 15000),
        ("公共区域保洁绿化", 36000),
        ("公共设施维修", 18000),
        ("居民文体活动", 8000),
        ("困难群众走访慰问", 6000),
        ("网格员通讯补贴", 4800),
    ]
    out = []
    for label, amount in base:
        value = round(amount * scale * rng.uniform(0.8, 1.25), -1) + rng.choice([0, 0.5])
        out.append({"label": label, "amount": f"{value:.2f}"})
    return out


def load_demo(seed: int) -> int:
    """Returns how many publications it made (0 when there were some already)."""
    from zhili.disclosure import actions
    from zhili.disclosure.models import Publication
    from zhili.disclosure.selectors import last_finished_quarter

    if Publication.objects.exists():
        return 0
    street = Node.objects.filter(kind=NodeKind.STREET).order_by("pk").first()
    if street is None:
        return 0
    communities = list(Node.objects.filter(kind=NodeKind.COMMUNITY, parent=street).order_by("code"))
    if not communities:
        return 0
    first = communities[0]
    staff = _staff(Role.COMMUNITY_STAFF, first)
    if staff is None:
        return 0
    import time_machine

    rng = random.Random(f"zhili-demo-disclosure:{seed}")
    year, quarter = last_finished_quarter()
    prev_year, prev_quarter = _quarter_before(year, quarter)
    closed = _quarter_end(year, quarter)
    quiet = mock.patch("zhili.notify.actions._kick_sender_on_commit", lambda: None)
    made = 0

    def finance(node: Node, who: Any, y: int, q: int, scale: float) -> dict[str, Any]:
        return {
            "kind": "finance",
            "title": f"{node.name}{y}年{CN_QUARTERS[q]}财务收支公开",
            "body": (
                f"根据村（居）务公开有关规定，现将{node.name}{y}年{CN_QUARTERS[q]}财务收支情况公布如下。"
                "各项支出均经社区“两委”联席会议研究，并经居务监督委员会审核。"
                "如有疑问，请在本页留言或到社区党群服务中心咨询。"
            ),
            "period_year": y,
            "period_quarter": q,
            "items": _finance_items(rng, scale),
            "audience": "public",
        }

    def publish(node: Node, who: Any, values: dict[str, Any], at: datetime) -> Any:
        nonlocal made
        with time_machine.travel(at - timedelta(hours=2), tick=False):
            p = actions.do_draft_publication(actor=who, node=node, **values)
        with time_machine.travel(at, tick=False):
            p = actions.do_publish_publication(p, actor=who)
        made += 1
        return p

    with quiet:
        # Previous quarter's finances (on time), then the last quarter's, corrected a week later.
        publish(
            first,
            staff,
            finance(first, staff, prev_year, prev_quarter, 0.9),
            _at(_quarter_end(prev_year, prev_quarter) + timedelta(days=9), 9, 30),
        )
        wrong = finance(first, staff, year, quarter, 1.0)
        old = publish(first, staff, wrong, _at(closed + timedelta(days=8), 10))
        fixed = dict(wrong)
        fixed["items"] = [dict(i) for i in wrong["items"]]
        fixed["items"][3]["amount"] = f"{float(wrong['items'][3]['amount']) - 1800:.2f}"
        with time_machine.travel(_at(closed + timedelta(days=15), 16), tick=False):
            current = actions.do_correct_publication(
                old,
                actor=staff,
                reason="“公共设施维修”一项多计了一笔已退回的预付款1800元，现予更正。",
                **fixed,
            )
        made += 1
        publish(
            first,
            staff,
            {
                "kind": "party",
                "title": f"{first.name}党委{year}年{CN_QUARTERS[quarter]}党务公开",
                "body": (
                    "一、本季度召开党委会3次、党员大会1次，开展主题党日活动3次。\n"
                    "二、收缴党费情况：应缴党员全部按时足额缴纳，党费使用严格按规定执行。\n"
                    "三、发展党员工作：确定入党积极分子2名，已按程序进行培养考察。\n"
                    "四、“双报到”工作：在职党员到社区报到并参与志愿服务共计126人次。\n"
                    "欢迎广大党员和群众监督。"
                ),
                "period": f"{year}年{CN_QUARTERS[quarter]}",
                "audience": "public",
            },
            _at(closed + timedelta(days=12), 9),
        )
        publish(
            first,
            staff,
            {
                "kind": "community",
                "title": "关于老旧小区加装电梯意见征集结果的公示",
                "body": (
                    "经逐户征求意见，3号楼、5号楼同意加装电梯的住户均超过三分之二，"
                    "拟列入本年度加装电梯计划。公示期7天，对结果有异议的居民请在公示期内到社区居委会反映。"
                ),
                "audience": "residents",
            },
            _at(closed + timedelta(days=20), 14, 30),
        )
        publish(
            first,
            staff,
            {
                "kind": "government",
                "title": f"关于做好{year + 1}年度城乡居民医疗保险缴费工作的通知",
                "body": (
                    f"{year + 1}年度城乡居民医保集中缴费期为即日起至12月31日。"
                    "居民可通过手机银行、微信、支付宝或到社区党群服务中心办理。"
                    "低保对象、特困人员等困难群众个人缴费部分由政府按规定给予资助。"
                ),
                "audience": "public",
            },
            _at(closed + timedelta(days=25), 10, 15),
        )
        notice = publish(
            first,
            staff,
            {
                "kind": "community",
                "title": "关于小区临时停水的通知",
                "body": "因供水管网改造，计划周六8:00至18:00停水，请居民提前储水。",
                "audience": "public",
            },
            _at(closed + timedelta(days=30), 8, 45),
        )
        with time_machine.travel(_at(closed + timedelta(days=31), 11), tick=False):
            actions.do_withdraw_publication(
                notice, actor=staff, reason="供水公司调整了施工时间，停水安排另行通知。"
            )
        resident = _resident_of(first)
        if resident is not None:
            with time_machine.travel(_at(closed + timedelta(days=18), 20, 10), tick=False):
                question = actions.do_ask_question(
                    current, actor=resident, text="公共区域保洁绿化的支出比上个季度多了不少，是什么原因？"
                )
            with time_machine.travel(_at(closed + timedelta(days=19), 9, 40), tick=False):
                actions.do_answer_question(
                    question,
                    actor=staff,
                    answer="本季度为雨季，增加了绿地补植和雨后清淤，另新增了两处垃圾分类驿站的日常保洁。明细可到社区查阅。",
                )
        # The second community published its finances on time; the others are late.
        if len(communities) > 1:
            second = communities[1]
            staff2 = _staff(Role.COMMUNITY_STAFF, second)
            if staff2 is not None:
                publish(
                    second,
                    staff2,
                    finance(second, staff2, year, quarter, 0.7),
                    _at(closed + timedelta(days=10), 15),
                )
                publish(
                    second,
                    staff2,
                    {
                        "kind": "government",
                        "title": "高龄津贴申领办理指南",
                        "body": (
                            "年满80周岁的本地户籍老人可申领高龄津贴。"
                            "请携带身份证、户口簿到社区党群服务中心办理。"
                        ),
                        "audience": "public",
                    },
                    _at(closed + timedelta(days=14), 10),
                )
    # Reads: a believable spread (the counter records no readers).
    for p in Publication.objects.exclude(status="draft"):
        Publication.objects.filter(pk=p.pk).update(read_count=rng.randint(20, 400))
    return made
