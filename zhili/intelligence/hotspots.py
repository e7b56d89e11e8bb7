"""Hotspot discovery (热点问题挖掘): groups of requests about one concrete problem at one place.

1. Each message is cut into jieba words (title counted twice; house numbers dropped); a place is
   read from it: a place word (小区, 路, 学校 …) with up to two words in front of it and a numbered
   part after it (三组, 3号院), administrative prefixes dropped, never a dwelling's building, unit
   or room. A message that names no place takes the one it comes with (the place named in the
   case's address, or its grid).
2. Two messages are linked when their TF-IDF cosine is high, and they do not name different
   places. Linked messages form groups (union-find over the links).
3. Groups whose centres are close and whose places agree are merged, so that one problem does not
   show up twice in the top list; the selection of the top N checks the same again.
4. The heat index: volume (distinct reporters count fully, repeats by one reporter half),
   public support (likes / +1: ``log1p``), and recency (half weight after ``half_life_days``
   since the latest message of the data set).

Everything is a pure function over ``Message`` rows; the management command reads CSV, the
periodic task reads open cases.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from zhili.intelligence.textclf import _is_punct, _jieba, normalise, word_tokens


@dataclass(frozen=True)
class Message:
    id: str
    title: str
    body: str
    time: datetime
    reporter: str = ""
    weight: float = 0.0  # public support: likes, 「+1」, 附议
    # Where the message is about when its own words name no place: the place named in the case's
    # address (never the address itself: 5栋2单元302室 says who lives there), else its grid.
    # Messages at different places never link.
    place: str = ""


@dataclass
class Hotspot:
    label: str
    place: str
    keywords: list[str]
    size: int
    heat: float
    first_seen: datetime
    last_seen: datetime
    ids: list[str]
    reporters: int = 0
    support: float = 0.0
    _centre: Any = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "place": self.place,
            "keywords": self.keywords,
            "size": self.size,
            "heat": round(self.heat, 3),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "reporters": self.reporters,
            "support": self.support,
            "ids": self.ids,
        }


PLACE_SUFFIXES = (
    "小区", "花园", "家园", "公寓", "大厦", "广场", "新城", "新村", "苑", "庭", "府", "湾", "公馆", "名城",
    "路", "街", "大道", "巷", "桥", "大桥", "隧道", "高速", "村", "社区", "组", "镇", "乡", "街道",
    "学校", "中学", "小学", "幼儿园", "大学", "学院", "医院", "卫生院", "市场", "商场", "公园", "车站",
    "站", "工业园", "园区", "工地", "项目", "楼盘", "酒店", "超市", "菜市场", "号院",
)  # fmt: skip
# A numbered part right after a place: 王家村 + 三组, 和平路 + 12 + 号院.
_PART = re.compile(r"[一二三四五六七八九十百0-9]+(?:组|号院)")
_NUMBER = re.compile(r"[0-9一二三四五六七八九十百]+")
_SUFFIXES = tuple(sorted(PLACE_SUFFIXES, key=len, reverse=True))
_ADMIN = re.compile(r"[A-Z][0-9]*[省市区县镇]|[A-Z][0-9]+")
# The parts of a dwelling (5栋, 2单元, 302室, 3号楼, 12号, 6楼): they say who lives there, never
# what place a problem is at, so a place never carries them (a 号院 is a compound, and stays).
_DWELLING = re.compile(
    r"[0-9A-Za-z零〇一二三四五六七八九十百]+\s*(?:栋|幢|座|单元|室|号楼|楼|层|户|号(?![院线]))|单元|号楼|室|栋|幢"
)
_STOP_TEXT = (
    "的 了 和 是 在 我 我们 你们 他们 有 也 都 就 还 不 没有 这 那 这个 那个 一个 问题 请 请问 希望 "
    "领导 您好 你好 反映 关于 相关 部门 有关 尽快 处理 解决 情况 现在 目前 已经 能 可以 是否 "
    "什么 怎么 为什么 如何 因为 所以 但是 而且 并且 以及 及 与 对 把 被 给 从 到 向 为 将 让 要 "
    "会 又 很 非常 严重 一直 多次 谢谢 感谢 市民 居民 业主 群众 本人 政府 市 区 县 A 年 月 日 "
    "号 时 进行 存在 没 无 请求 要求 希望 能否 何时 多 年 个 一 二 三 该 其 此 等 位于 附近 周边 "
    "投诉 举报 关注 早日 盼复 核实 不合理 麻烦 帮忙 呼吁 建议 咨询 旁边 对面 夜路 堵路 跑路"
)
STOPWORDS = frozenset(_STOP_TEXT.split())


def extract_place(text: str) -> str:
    """The first place named: a place word with up to two content words before it, never across
    punctuation (so 「电梯故障（金桂苑）」 gives 金桂苑, not 故障金桂苑), with a numbered part
    after it (王家村三组, 幸福里3号院)."""
    words = [w for w in _jieba().lcut(_ADMIN.sub(" ", text)) if w.strip()]
    for i, w in enumerate(words):
        if w.endswith(_SUFFIXES) and w not in STOPWORDS and not _is_punct(w):
            head: list[str] = []
            j = i - 1
            # a house number joins the place word after it without counting (幸福里 3 号院)
            while j >= 0 and sum(not _NUMBER.fullmatch(h) for h in head) < 2 and words[j] not in STOPWORDS:
                if words[j].endswith(_SUFFIXES) or _is_punct(words[j]):
                    break
                head.insert(0, words[j])
                j -= 1
            tail = [w]
            while i + len(tail) < len(words):
                nxt = words[i + len(tail)]
                after = words[i + len(tail) + 1 : i + len(tail) + 2]
                if _PART.fullmatch(nxt):
                    tail.append(nxt)  # 王家村 + 三组: a numbered part ends the place
                    break
                if _NUMBER.fullmatch(nxt) and after in (["组"], ["号院"]):
                    tail += [nxt, *after]  # 和平路 + 12 + 号院
                    break
                if nxt not in PLACE_SUFFIXES:
                    break
                tail.append(nxt)  # 文苑 + 小区
            head = _after_dwelling(head)  # 5栋2单元302室旁 + 超市: only what follows the dwelling
            while head and _NUMBER.fullmatch(head[0]):
                head.pop(0)  # a number before the place's name is not part of it
            name = "".join(head)
            place = name + "".join(tail)
            if len(place) >= 3 and not (not name and w in PLACE_SUFFIXES) and not _DWELLING.search(place):
                return place
    return ""


def _after_dwelling(words: list[str]) -> list[str]:
    """``words`` from the end of the last dwelling part in them on (a word cut by it keeps its rest)."""
    text = "".join(words)
    end = max((m.end() for m in _DWELLING.finditer(text)), default=0)
    out, at = [], 0
    for w in words:
        if at + len(w) > end:
            out.append(w[max(0, end - at) :])
        at += len(w)
    return out


def _is_content(word: str) -> bool:
    """A word that can say what the problem is: not a house number (33, 3号) nor the rest of one
    that the tokenizer cut off (号雨污 of 33号雨污管网)."""
    return (
        len(word) >= 2
        and word not in STOPWORDS
        and not word[0].isdigit()
        and not word.startswith("号")
        and not _NUMBER.fullmatch(word)
        and not _PART.fullmatch(word)  # 三组, a place (when it stands alone, the grid is named instead)
    )


def _tokens(m: Message) -> tuple[list[str], str]:
    title = normalise(m.title)
    body = normalise(m.body)
    place = extract_place(title) or extract_place(body) or m.place.strip()
    tw, bw = word_tokens(_ADMIN.sub(" ", title)), word_tokens(_ADMIN.sub(" ", body))
    # the place gates the links on its own; left in the text it would link any two messages
    # from one compound whatever they are about
    content = [w for w in tw + tw + bw if _is_content(w) and not (place and w in place)]
    return content, place


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _places_agree(a: str, b: str) -> bool:
    return not a or not b or a in b or b in a


def find_hotspots(
    messages: Sequence[Message],
    *,
    top: int = 10,
    link: float = 0.35,
    placeless_link: float = 0.6,
    merge: float = 0.25,
    min_size: int = 2,
    half_life_days: float = 30.0,
) -> list[Hotspot]:
    """The ``top`` hottest groups of at least ``min_size`` messages, hottest first."""
    if not messages:
        return []
    parsed = [_tokens(m) for m in messages]
    places = [p for _, p in parsed]
    vec = TfidfVectorizer(
        analyzer=lambda ws: ws,
        sublinear_tf=True,
        min_df=2,
        max_df=0.2 if len(messages) >= 50 else 1.0,
        dtype=np.float32,
    )
    try:
        X = vec.fit_transform([ws for ws, _ in parsed])
    except ValueError:  # no word occurs twice: nothing can group
        return []
    n = len(messages)
    uf = _UnionFind(n)
    block = 1000
    for start in range(0, n, block):
        sims = (X[start : start + block] @ X.T).tocoo()
        for i, j, s in zip(sims.row, sims.col, sims.data, strict=True):
            a = start + int(i)
            # without a place, only near-identical wording links (chains through generic
            # words would otherwise sweep unrelated complaints together)
            if a < j and places[a] == places[j] and s >= (link if places[a] else placeless_link):
                uf.union(a, int(j))
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    clusters = [g for g in groups.values() if len(g) >= min_size]

    names = vec.get_feature_names_out()

    def _keywords(c: np.ndarray) -> list[str]:
        return [str(names[k]) for k in np.argsort(-c)[:5] if c[k] > 0]

    # second pass: groups about the same problem at the same place become one
    def centre(members: list[int]) -> np.ndarray:
        c = np.asarray(X[members].mean(axis=0)).ravel()
        norm = np.linalg.norm(c)
        return c / norm if norm else c

    def place_of(members: list[int]) -> str:
        named = Counter(places[i] for i in members if places[i])
        return named.most_common(1)[0][0] if named else ""

    if len(clusters) > 1:
        centres = np.vstack([centre(c) for c in clusters])
        sims = centres @ centres.T
        cplaces = [place_of(c) for c in clusters]
        uf2 = _UnionFind(len(clusters))
        for a, b in zip(*np.nonzero(np.triu(sims >= merge, k=1)), strict=True):
            if cplaces[a] and cplaces[b] and _places_agree(cplaces[a], cplaces[b]):
                uf2.union(int(a), int(b))
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                if (
                    cplaces[a]
                    and cplaces[a] == cplaces[b]
                    and _share_keywords(_keywords(centres[a]), _keywords(centres[b]))
                ):
                    uf2.union(a, b)
        joined: dict[int, list[int]] = {}
        for k, members in enumerate(clusters):
            joined.setdefault(uf2.find(k), []).extend(members)
        clusters = list(joined.values())

    latest = max(m.time for m in messages)
    spots = []
    for members in clusters:
        ms = [messages[i] for i in members]
        c = centre(members)
        place = place_of(members)
        keywords = _keywords(c)
        reporters = {m.reporter or m.id for m in ms}
        volume = len(reporters) + 0.5 * (len(ms) - len(reporters))
        support = float(sum(max(0.0, m.weight) for m in ms))
        last = max(m.time for m in ms)
        age_days = max(0.0, (latest - last).total_seconds() / 86400)
        recency = 0.5 + 0.5 * math.pow(0.5, age_days / half_life_days)
        heat = volume * (1 + math.log1p(support)) * recency
        problem = "、".join(keywords[:3])
        label = f"{place}：{problem}" if place else problem
        spots.append(
            Hotspot(
                label=label,
                place=place,
                keywords=keywords,
                size=len(ms),
                heat=heat,
                first_seen=min(m.time for m in ms),
                last_seen=last,
                ids=[m.id for m in sorted(ms, key=lambda m: m.time)],
                reporters=len(reporters),
                support=support,
                _centre=c,
            )
        )
    spots.sort(key=lambda h: -h.heat)
    chosen: list[Hotspot] = []
    for h in spots:
        if any(same_problem(h, o, merge) for o in chosen):
            continue
        chosen.append(h)
        if len(chosen) == top:
            break
    return chosen


def _share_keywords(a: Sequence[str], b: Sequence[str]) -> bool:
    return bool(set(a[:5]) & set(b[:5]))


def same_problem(a: Hotspot, b: Hotspot, threshold: float = 0.25) -> bool:
    """Close centres at agreeing places, or the same place with a leading keyword in common."""
    if a.place and b.place and _places_agree(a.place, b.place) and float(a._centre @ b._centre) >= threshold:
        return True
    if not a.place and not b.place and float(a._centre @ b._centre) >= threshold:
        return True
    return bool(a.place and a.place == b.place and _share_keywords(a.keywords, b.keywords))
