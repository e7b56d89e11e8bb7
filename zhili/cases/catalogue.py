# ruff: noqa: E501  (the catalogue is a table: one leaf a line reads best)
"""A starting 派单目录: a three-level category tree with keywords, departments and SLA limits.

A fresh install has no history to learn from; the keywords are what the classifier's cold start
reads (zhili.intelligence.classify), and the departments are the usual offices of a street. Admins
edit all of it afterwards (Django admin); ``load_catalogue`` only adds what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from zhili.accounts.models import Department
from zhili.cases.models import Category, DispatchRule, SLAPolicy, SlaUnit, Urgency
from zhili.territory.models import Node


@dataclass(frozen=True)
class Leaf:
    code: str
    name: str
    department: str  # Department.code; "" = the case's own grid handles it
    keywords: str
    titles: tuple[str, ...]  # what residents write, with {place}
    bodies: tuple[str, ...]
    photo: bool = False  # feedback needs a photo
    finish_days: int = 5  # working days to finish


@dataclass(frozen=True)
class Branch:
    code: str
    name: str
    leaves: tuple[Leaf, ...] = field(default_factory=tuple)


CATALOGUE: tuple[tuple[str, str, tuple[Branch, ...]], ...] = (
    ("CX", "城乡建设", (
        Branch("CX-ZF", "住房管理", (
            Leaf("CX-ZF-WY", "物业服务", "ZJK", "物业 物业费 保安 小区管理 门禁 电梯故障",
                 ("{place}物业不作为", "{place}电梯经常停运", "{place}门禁坏了没人修"),
                 ("{place}的物业收了费不办事，{detail}，多次找物业都推脱。", "{place}{detail}，希望街道督促物业尽快处理。")),
            Leaf("CX-ZF-GZ", "老旧小区改造", "ZJK", "改造 加装电梯 外墙 管网 老旧小区",
                 ("{place}外墙脱落有安全隐患", "{place}申请加装电梯", "{place}雨污管网老化"),
                 ("{place}{detail}，老人上下楼很困难，请问改造什么时候能排上。", "{place}{detail}，下雨天特别严重。"),
                 finish_days=10),
            Leaf("CX-ZF-WJ", "违章建筑", "CGK", "违建 私搭乱建 搭建 阳光房 违章",
                 ("{place}有人私搭乱建", "{place}楼顶违建", "{place}一楼住户扩建小院"),
                 ("{place}{detail}，占用公共空间，影响邻居采光。", "举报{place}{detail}，已经施工好几天了。"),
                 photo=True, finish_days=10),
        )),
        Branch("CX-DL", "道路设施", (
            Leaf("CX-DL-PS", "道路破损", "CGK", "路面 坑 破损 塌陷 井盖",
                 ("{place}路面塌陷", "{place}井盖缺失", "{place}路上有个大坑"),
                 ("{place}{detail}，晚上骑车很危险，已经有人摔倒。", "{place}{detail}，请尽快修复。"),
                 photo=True),
            Leaf("CX-DL-LD", "路灯照明", "CGK", "路灯 不亮 照明 灯坏",
                 ("{place}路灯不亮", "{place}一排路灯坏了", "{place}晚上没有照明"),
                 ("{place}{detail}，晚上出行不安全。", "{place}的路灯{detail}，老人孩子走夜路害怕。"),
                 photo=True, finish_days=3),
        )),
    )),
    ("HB", "环境保护", (
        Branch("HB-ZS", "噪声污染", (
            Leaf("HB-ZS-SG", "施工噪音", "HBS", "施工 噪音 夜间 扰民 打桩",
                 ("{place}工地夜间施工扰民", "{place}半夜打桩声音太大", "{place}施工噪音严重"),
                 ("{place}{detail}，晚上十一点以后还在施工，孩子没法睡觉。", "{place}{detail}，请环保部门查处夜间违规施工。")),
            Leaf("HB-ZS-SY", "生活噪音", "HBS", "广场舞 音响 喇叭 噪音",
                 ("{place}广场舞音响太吵", "{place}商铺喇叭循环播放", "{place}早上音响扰民"),
                 ("{place}{detail}，每天晚上八点到十点，音量很大。", "{place}{detail}，沟通过没有用。")),
        )),
        Branch("HB-DQ", "大气污染", (
            Leaf("HB-DQ-YY", "餐饮油烟", "HBS", "油烟 烧烤 餐馆 排烟",
                 ("{place}餐馆油烟直排", "{place}露天烧烤烟很大", "{place}饭店排烟管对着住户"),
                 ("{place}{detail}，油烟直接飘进家里，窗户都不敢开。", "{place}{detail}，请查一下有没有油烟净化器。")),
            Leaf("HB-DQ-YC", "扬尘污染", "HBS", "扬尘 渣土 工地 灰尘 苫盖",
                 ("{place}工地扬尘严重", "{place}渣土车撒漏", "{place}裸土没有苫盖"),
                 ("{place}{detail}，风一吹满街都是灰。", "{place}{detail}，路面全是泥土。")),
        )),
    )),
    ("SR", "市容环卫", (
        Branch("SR-HW", "环境卫生", (
            Leaf("SR-HW-LJ", "垃圾清运", "", "垃圾 清运 堆放 臭 垃圾桶满",
                 ("{place}垃圾堆放没人清运", "{place}垃圾桶满了好几天", "{place}楼道堆满杂物"),
                 ("{place}{detail}，气味很大，招苍蝇。", "{place}{detail}，请尽快清运。"),
                 photo=True, finish_days=2),
            Leaf("SR-HW-FL", "垃圾分类", "CGK", "分类 厨余 分类桶 投放",
                 ("{place}垃圾分类桶不够", "{place}厨余垃圾没有分类", "{place}分类投放点太远"),
                 ("{place}{detail}，希望增加分类桶和指导员。", "{place}{detail}。")),
        )),
        Branch("SR-ZX", "市容秩序", (
            Leaf("SR-ZX-ZD", "占道经营", "CGK", "摊贩 占道 摆摊 出店经营",
                 ("{place}早市占道经营", "{place}商户出店经营", "{place}流动摊贩堵路"),
                 ("{place}{detail}，人行道走不了人，车也过不去。", "{place}{detail}，希望城管管一管。")),
            Leaf("SR-ZX-TC", "停车秩序", "PCS", "停车 车位 占用 消防通道 乱停",
                 ("{place}车辆占用消防通道", "{place}停车位被捆绑销售", "{place}乱停车堵住出口"),
                 ("{place}{detail}，万一着火消防车进不来。", "{place}{detail}，物业说管不了。")),
        )),
    )),
    ("MZ", "民政服务", (
        Branch("MZ-YL", "养老服务", (
            Leaf("MZ-YL-JJ", "居家养老", "MZK", "老人 独居 养老 助餐 上门",
                 ("{place}独居老人需要上门照看", "{place}社区食堂助餐", "{place}老人申请居家养老服务"),
                 ("{place}{detail}，子女在外地，老人行动不便。", "{place}{detail}，想了解怎么申请。")),
            Leaf("MZ-YL-BT", "高龄补贴", "MZK", "补贴 高龄 津贴 发放",
                 ("{place}高龄津贴没有到账", "咨询高龄补贴申请", "{place}老人补贴停发了"),
                 ("住在{place}，{detail}，请帮忙查一下。", "{place}{detail}。")),
        )),
        Branch("MZ-JZ", "社会救助", (
            Leaf("MZ-JZ-DB", "低保救助", "MZK", "低保 救助 困难 临时救助",
                 ("{place}困难家庭申请低保", "咨询临时救助", "{place}低保审核进度"),
                 ("{place}{detail}，家里只有一个人有收入。", "{place}{detail}，请告诉需要什么材料。")),
            Leaf("MZ-JZ-CJ", "残疾人服务", "MZK", "残疾 轮椅 无障碍 盲道",
                 ("{place}无障碍坡道被堵", "{place}盲道被占用", "{place}残疾人辅具申请"),
                 ("{place}{detail}，坐轮椅出门很不方便。", "{place}{detail}。")),
        )),
    )),
    ("SC", "市场监管", (
        Branch("SC-SP", "食品安全", (
            Leaf("SC-SP-WS", "食品卫生", "SJS", "过期 食品 卫生 变质 无证",
                 ("{place}超市卖过期食品", "{place}小饭馆卫生差", "{place}无证经营熟食"),
                 ("在{place}{detail}，吃了以后肚子疼。", "{place}{detail}，请市场监管部门查处。"), finish_days=3),
        )),
        Branch("SC-JG", "价格消费", (
            Leaf("SC-JG-YF", "预付卡纠纷", "SJS", "退款 预付卡 跑路 会员卡",
                 ("{place}健身房关门不退款", "{place}理发店预付卡跑路", "{place}培训机构拒绝退费"),
                 ("{place}{detail}，办了卡才用了几次。", "{place}{detail}，商家电话打不通。")),
        )),
    )),
    ("ZA", "平安建设", (
        Branch("ZA-ZA", "治安管理", (
            Leaf("ZA-ZA-YH", "治安隐患", "PCS", "盗窃 可疑 电动车 飞线充电",
                 ("{place}电动车飞线充电", "{place}电动车被盗", "{place}楼道停放电动车"),
                 ("{place}{detail}，存在火灾隐患。", "{place}{detail}，请加强巡逻。"), finish_days=3),
        )),
        Branch("ZA-MD", "矛盾纠纷", (
            Leaf("ZA-MD-LL", "邻里纠纷", "ZZB", "邻居 纠纷 漏水 吵架 宠物",
                 ("{place}楼上漏水协商不成", "{place}邻居养狗扰民", "{place}邻里因为占地吵架"),
                 ("{place}{detail}，找对方多次没有结果，请社区调解。", "{place}{detail}。")),
        )),
    )),
    ("JT", "交通出行", (
        Branch("JT-GJ", "公共交通", (
            Leaf("JT-GJ-ZT", "公交站台", "CGK", "公交 站台 班次 候车",
                 ("{place}公交站没有遮雨棚", "{place}公交班次太少", "{place}站牌信息错误"),
                 ("{place}{detail}，上班高峰等车很久。", "{place}{detail}。"), finish_days=10),
            Leaf("JT-GJ-DC", "共享单车", "CGK", "单车 共享单车 乱放 堆积",
                 ("{place}共享单车堆积", "{place}单车乱放堵路", "{place}地铁口单车太多"),
                 ("{place}{detail}，行人都过不去。", "{place}{detail}，请通知运营企业清理。"), finish_days=2),
        )),
    )),
)  # fmt: skip

DETAILS = (
    "已经持续一个多星期",
    "反映过两次还没解决",
    "周边居民意见很大",
    "影响老人和孩子出行",
    "这两天越来越严重",
    "拍了照片可以提供",
)


def leaves() -> list[Leaf]:
    return [leaf for _c, _n, branches in CATALOGUE for branch in branches for leaf in branch.leaves]


@transaction.atomic
def load_catalogue(street: Node) -> dict[str, Category]:
    """Create the categories, SLA limits and dispatch rules for ``street`` that do not exist yet."""
    departments = {d.code: d for d in Department.objects.all()}
    categories: dict[str, Category] = {}
    for code, name, branches in CATALOGUE:
        top, _ = Category.objects.get_or_create(code=code, defaults={"name": name, "level": 1})
        categories[code] = top
        for branch in branches:
            mid, _ = Category.objects.get_or_create(
                code=branch.code, defaults={"name": branch.name, "level": 2, "parent": top}
            )
            categories[branch.code] = mid
            for leaf in branch.leaves:
                department = departments.get(leaf.department)
                cat, created = Category.objects.get_or_create(
                    code=leaf.code,
                    defaults={
                        "name": leaf.name,
                        "level": 3,
                        "parent": mid,
                        "department": department,
                        "keywords": "\n".join(leaf.keywords.split()),
                        "requires_photo_on_feedback": leaf.photo,
                    },
                )
                categories[leaf.code] = cat
                if created:
                    SLAPolicy.objects.create(
                        category=cat,
                        urgency=Urgency.NORMAL,
                        unit=SlaUnit.WORKING_HOURS,
                        accept_within=2,
                        contact_within=8,
                        finish_within=8 * leaf.finish_days,
                    )
                    if department is not None:
                        DispatchRule.objects.create(
                            category=cat, area=street, department=department, priority=10
                        )
                    else:
                        DispatchRule.objects.create(category=cat, area=street, to_case_grid=True, priority=10)
    for urgency, unit, limits in (
        (Urgency.URGENT, SlaUnit.NATURAL_HOURS, (1, 2, 24)),
        (Urgency.EMERGENCY, SlaUnit.NATURAL_HOURS, (1, 1, 4)),
    ):
        SLAPolicy.objects.get_or_create(
            category=None,
            urgency=urgency,
            emergency_mode=False,
            defaults={
                "unit": unit,
                "accept_within": limits[0],
                "contact_within": limits[1],
                "finish_within": limits[2],
            },
        )
    return categories
