"""Word lists for the demo region: names, places, departments. Data, not code.

Surnames are the most common ones in mainland China with weights close to their share of the
population (per mille, rounded). Given names follow the fashion of the decade a person was born in,
so that a grandmother is 秀英 and her granddaughter 梓涵, as in any real register.
"""

from __future__ import annotations


def words(text: str) -> list[str]:
    """Space-separated words: long Chinese word lists read better this way than as list literals."""
    return text.split()


SURNAMES: list[tuple[str, int]] = [
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 31), ("黄", 21), ("赵", 20),
    ("吴", 18), ("周", 17), ("徐", 15), ("孙", 15), ("马", 14), ("朱", 13), ("胡", 12), ("郭", 12),
    ("何", 11), ("林", 11), ("高", 11), ("罗", 10), ("郑", 10), ("梁", 9), ("谢", 8), ("宋", 8),
    ("唐", 8), ("许", 7), ("韩", 7), ("邓", 7), ("冯", 7), ("曹", 7), ("彭", 6), ("曾", 6),
    ("肖", 6), ("田", 6), ("董", 6), ("潘", 5), ("袁", 5), ("蔡", 5), ("蒋", 5), ("余", 5),
    ("于", 5), ("杜", 5), ("叶", 5), ("程", 5), ("魏", 5), ("苏", 5), ("吕", 4), ("丁", 4),
    ("任", 4), ("卢", 4), ("姚", 4), ("沈", 4), ("钟", 4), ("姜", 4), ("崔", 4), ("谭", 4),
    ("陆", 3), ("范", 3), ("汪", 3), ("廖", 3), ("石", 3), ("金", 3), ("韦", 3), ("贾", 3),
    ("夏", 3), ("付", 3), ("方", 3), ("邹", 3), ("熊", 3), ("白", 3), ("孟", 3), ("秦", 3),
    ("邱", 3), ("侯", 3), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2), ("雷", 2),
    ("龙", 2), ("黎", 2), ("史", 2), ("陶", 2), ("贺", 2), ("毛", 2), ("郝", 2), ("顾", 2),
    ("龚", 2), ("邵", 2), ("万", 2), ("覃", 2), ("武", 2), ("钱", 2), ("戴", 2), ("严", 2),
    ("欧阳", 1), ("上官", 1), ("司马", 1),
]  # fmt: skip

# Given names by the decade of birth: (men, women). Two characters unless written otherwise.
GIVEN_NAMES: dict[int, tuple[list[str], list[str]]] = {
    1930: (
        words("福海 德明 玉山 宝林 振华 长顺 金贵 德胜 万福 永福 树林 广田 兆祥 殿臣 文斌 志和"),
        words("秀英 桂英 玉兰 淑珍 凤英 秀兰 玉珍 桂兰 素珍 淑兰 玉英 翠花 凤兰 秀珍 淑英 桂珍"),
    ),
    1950: (
        words("建国 国庆 建华 援朝 卫东 国强 志强 建军 国华 跃进 和平 胜利 庆丰 振国 建设 卫国"),
        words("秀英 桂兰 淑华 秀兰 玉兰 桂芳 秀珍 淑英 凤霞 玉梅 秀梅 丽华 爱华 红梅 素英 桂荣"),
    ),
    1960: (
        words("建国 建华 建平 志强 国强 建军 卫东 建设 红军 永红 志刚 建新 立新 卫平 建民 国平"),
        words("红 丽 华 秀兰 丽华 红梅 桂兰 秀芳 淑芬 春梅 玉华 红霞 建华 丽萍 海燕 桂芝"),
    ),
    1970: (
        words("伟 勇 军 强 斌 刚 磊 涛 明 超 海涛 志勇 建军 永刚 海军 晓东 国华 文涛"),
        words("丽 敏 静 燕 艳 霞 娟 红 丽娟 海燕 秀梅 春燕 晓红 丽华 晓燕 红梅 雪梅 玉梅"),
    ),
    1980: (
        words("伟 磊 涛 鹏 辉 勇 杰 超 亮 健 明 强 志强 海涛 俊杰 晓东 永亮 志鹏"),
        words("静 丽 娜 敏 燕 婷 颖 倩 晶 娟 丹 洁 丽娜 晓丽 雪梅 晓燕 文静 海燕"),
    ),
    1990: (
        words("浩 杰 磊 鑫 宇 帅 鹏 博 超 凯 俊杰 浩然 子豪 宇航 志伟 文博 家豪 一鸣"),
        words("婷 颖 雪 琳 静 倩 丹 悦 佳琪 欣怡 雨婷 梦瑶 婷婷 思雨 佳怡 晓雪 心怡 子涵"),
    ),
    2000: (
        words("浩宇 宇轩 子豪 俊杰 浩然 子轩 博文 天宇 皓轩 梓豪 宇航 一鸣 嘉豪 思远 泽宇 明轩"),
        words("欣怡 梓涵 雨涵 子涵 佳怡 诗涵 可馨 雨欣 思涵 梦琪 欣妍 语嫣 嘉怡 紫涵 一诺 晨曦"),
    ),
    2010: (
        words("子轩 浩宇 一诺 沐宸 宇轩 梓睿 奕辰 浩然 宸睿 梓豪 俊熙 锦程 睿泽 思源 天佑 铭轩"),
        words("一诺 梓涵 欣怡 梓萱 若汐 依诺 语桐 可欣 沐瑶 诗琪 梓琪 雨桐 思涵 芷若 安然 语汐"),
    ),
    2020: (
        words("沐宸 浩宇 沐辰 宇泽 一诺 沐阳 瑾瑜 承泽 知远 景行 嘉木 修远 若愚 怀瑾 星辰 亦航"),
        words("若汐 一诺 星冉 语桐 知夏 昭宁 清晏 书瑶 沐晴 芊芊 念安 初夏 安宁 悦溪 南栀 星语"),
    ),
}

# County-level region codes for ID numbers. None is a real assigned code ("…99"), so that no
# generated number can be a real person's; the province prefixes are real and valid.
LOCAL_REGION_CODE = "110199"  # the demo district itself (北京市)
OTHER_REGION_CODES = [
    "130199",  # 河北省
    "370199",  # 山东省
    "410199",  # 河南省
    "210199",  # 辽宁省
    "230199",  # 黑龙江省
    "340199",  # 安徽省
    "420199",  # 湖北省
    "510199",  # 四川省
    "140199",  # 山西省
    "150199",  # 内蒙古自治区
]

# Mobile prefixes of the three operators (中国移动 / 联通 / 电信), weighted by use.
MOBILE_PREFIXES = words(
    "134 135 136 137 138 139 150 151 152 157 158 159 182 183 187 188 198 "
    "130 131 132 155 156 185 186 166 "
    "133 153 180 181 189 199 177"
)

DISTRICT_NAME = "示范区"
STREET_NAME = "和平街道"

# (name, pinyin for usernames, kind, roads, position of its centre in the street as fractions)
URBAN = "urban"
VILLAGE = "village"
COMMUNITIES: list[tuple[str, str, str, tuple[str, str], tuple[float, float]]] = [
    ("朝阳社区", "chaoyang", URBAN, ("朝阳路", "朝阳北街"), (0.18, 0.74)),
    ("幸福社区", "xingfu", URBAN, ("幸福大街", "幸福二巷"), (0.22, 0.24)),
    ("光明社区", "guangming", URBAN, ("光明路", "光明西街"), (0.55, 0.78)),
    ("团结社区", "tuanjie", URBAN, ("团结路", "团结湖街"), (0.52, 0.27)),
    ("东山村", "dongshan", VILLAGE, ("东山路", "东山路"), (0.87, 0.50)),
]

COMPOUND_PREFIXES = words(
    "安华 惠新 樱花 芍药 民旺 育慧 华严 安贞 胜古 裕中 花园 西坝 枣营 农光 劲松 金台 "
    "松榆 双花 和泰 康乐 富强 翠微 百合 紫薇 青年 文化 健安 光华 新源 曙光 红星 晨光"
)
COMPOUND_SUFFIXES = words("里 北里 西里 东里 南里 小区 家园 花园 嘉园 公寓 新村")
VILLAGE_GROUPS = words("一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五")

# 职能部门 of the street: (name, code, pinyin for the handler's username)
DEPARTMENTS: list[tuple[str, str, str]] = [
    ("城市管理科", "CGK", "cg"),
    ("民政科", "MZK", "mz"),
    ("住建科", "ZJK", "zj"),
    ("环保所", "HBS", "hb"),
    ("市场监管所", "SJS", "sj"),
    ("派出所", "PCS", "pcs"),
    ("综治办", "ZZB", "zz"),
]
