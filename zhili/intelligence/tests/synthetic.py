"""A small synthetic corpus of citizens' messages: templated, varied wording, five categories.

Each category has its own vocabulary; places, openings and closings are shared, and a share of
messages borrows a phrase from another category, so that the task is not trivially separable.
"""

from __future__ import annotations

import random

PLACES = ["幸福小区", "东风路", "滨江花园", "新华街道", "金桂苑", "红星村", "光明社区", "人民路口", "望城镇"]
OPENINGS = ["您好，", "领导好：", "我是附近居民，", "反映一个问题：", "", "请有关部门关注，"]
CLOSINGS = ["希望尽快处理。", "请相关部门核实。", "盼复，谢谢！", "已经反映多次了。", "", "望早日解决。"]

TOPICS: dict[str, list[tuple[str, str]]] = {
    "交通运输": [
        ("公交线路", "公交车班次太少，等车要一个小时"),
        ("红绿灯", "路口的红绿灯坏了好几天，车辆乱行"),
        ("出租车", "出租车司机拒载还不打表"),
        ("道路拥堵", "早晚高峰道路拥堵严重，建议增设掉头车道"),
        ("公交站台", "公交站台被占用，乘客只能站在马路上候车"),
    ],
    "教育文体": [
        ("学校", "学校强制学生参加收费补课"),
        ("幼儿园", "幼儿园收费过高，入园名额不足"),
        ("学位", "孩子上学没有学位，划片不合理"),
        ("体育馆", "体育馆长期不对外开放，群众健身没有场地"),
        ("老师", "老师在课堂上不讲重点，让学生去校外培训班"),
    ],
    "卫生计生": [
        ("医院", "医院挂号排队太久，医生态度差"),
        ("疫苗", "社区卫生服务中心疫苗接种预约不上"),
        ("药店", "药店高价卖药，医保卡不能刷"),
        ("诊所", "无证诊所给病人输液，存在医疗风险"),
        ("生育登记", "办理生育登记手续繁琐，来回跑了好几趟"),
    ],
    "环境保护": [
        ("噪音", "工地夜间施工噪音扰民，影响休息"),
        ("油烟", "餐馆油烟直排，污染空气"),
        ("污水", "工厂偷排污水，河水发黑发臭"),
        ("粉尘", "搅拌站粉尘污染严重，窗户都不敢开"),
        ("垃圾焚烧", "有人露天焚烧垃圾，烟雾很大"),
    ],
    "劳动和社会保障": [
        ("工资", "公司拖欠工资三个月，老板不见人"),
        ("社保", "单位不给员工缴纳社保"),
        ("养老保险", "养老保险转移接续办不了"),
        ("劳动合同", "公司不签劳动合同，随意辞退员工"),
        ("退休金", "退休金迟迟没有发放，生活困难"),
    ],
}
TITLE_FORMS = ["关于{place}{topic}的问题", "{place}{topic}问题", "{topic}问题何时解决", "投诉{place}{topic}"]


def message(category: str, rng: random.Random) -> tuple[str, str]:
    topic, detail = rng.choice(TOPICS[category])
    place = rng.choice(PLACES)
    title = rng.choice(TITLE_FORMS).format(place=place, topic=topic)
    parts = [rng.choice(OPENINGS), f"{place}{detail}，", rng.choice(CLOSINGS)]
    if rng.random() < 0.2:  # a stray phrase from another category
        other = rng.choice([c for c in TOPICS if c != category])
        parts.insert(2, f"另外{rng.choice(TOPICS[other])[1]}。")
    return title, "".join(parts)


def corpus(
    n_per_class: int = 30, *, seed: int = 0, categories: list[str] | None = None
) -> list[tuple[str, str, str]]:
    """(title, body, label) rows, shuffled."""
    rng = random.Random(seed)
    rows = [(*message(c, rng), c) for c in categories or list(TOPICS) for _ in range(n_per_class)]
    rng.shuffle(rows)
    return rows


# -- hotspots ------------------------------------------------------------------------------------

PROBLEMS = {
    "parking": (
        "幸福小区",
        ["车位捆绑销售", "开发商捆绑销售车位", "停车位必须捆绑购买储藏间", "车位捆绑出售不合理"],
    ),
    "noise": (
        "东风路",
        ["夜间施工噪音扰民", "施工噪音太大晚上睡不着", "工地半夜施工噪音", "渣土车和施工噪音扰民"],
    ),
    "lift": ("金桂苑", ["电梯经常故障困人", "电梯坏了没人修", "电梯故障老人上下楼困难"]),
}
FILLER_NOUNS = [
    "路灯", "井盖", "树木", "广告牌", "下水道", "垃圾桶", "自行车", "共享单车", "围墙", "化粪池", "水管",
    "电线", "招牌", "摊贩", "宠物", "鸽子", "窗户", "楼道", "消防通道", "健身器材", "长椅", "花坛",
]  # fmt: skip
FILLER_VERBS = ["损坏", "缺失", "乱放", "堵塞", "漏水", "倾斜", "脱落", "占道", "发臭", "无人管理"]
FILLER_PLACES = [
    f"{a}{b}{c}"
    for a in "东南西北中"
    for b in "华兴和安阳明德福春秋"
    for c in ("苑", "路", "村", "小区", "街")
]


def hotspot_messages(
    sizes: dict[str, int], *, background: int = 100, seed: int = 0, start: str = "2024-03-01"
) -> list[tuple[str, str, str, str, str, int]]:
    """(id, title, body, time, reporter, likes): injected problems plus unrelated messages."""
    from datetime import datetime, timedelta

    rng = random.Random(seed)
    t0 = datetime.fromisoformat(start)
    rows = []
    for key, count in sizes.items():
        place, phrasings = PROBLEMS[key]
        for _ in range(count):
            p = rng.choice(phrasings)
            title = rng.choice([f"{place}{p}", f"关于{place}{p}的投诉", f"{p}（{place}）"])
            body = f"{rng.choice(OPENINGS)}{place}{p}，{rng.choice(CLOSINGS)}"
            rows.append((key, title, body))
    for _ in range(background):
        a, b = rng.sample(FILLER_NOUNS, 2)
        v = rng.choice(FILLER_VERBS)
        place = rng.choice(FILLER_PLACES)
        rows.append(("bg", f"{place}{a}{v}", f"{place}的{a}{v}，旁边{b}也{rng.choice(FILLER_VERBS)}。"))
    rng.shuffle(rows)
    out = []
    for i, (key, title, body) in enumerate(rows, start=1):
        when = t0 + timedelta(hours=rng.randrange(0, 24 * 60))
        reporter = f"u{rng.randrange(10_000)}"
        out.append((f"{key}-{i}", title, body, when.isoformat(sep=" "), reporter, rng.randrange(0, 5)))
    return out
