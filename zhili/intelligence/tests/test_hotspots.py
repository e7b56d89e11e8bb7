from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from zhili.intelligence.hotspots import Message, extract_place, find_hotspots, same_problem
from zhili.intelligence.tests.synthetic import hotspot_messages

SIZES = {"parking": 15, "noise": 10, "lift": 5}


def _messages(rows):
    return [Message(i, t, b, datetime.fromisoformat(w), r, float(likes)) for i, t, b, w, r, likes in rows]


def _kind(h):
    kinds = {i.split("-")[0] for i in h.ids}
    return kinds.pop() if len(kinds) == 1 else "mixed"


@pytest.fixture(scope="module")
def spots():
    return find_hotspots(_messages(hotspot_messages(SIZES, background=150, seed=3)), top=6)


def test_each_injected_problem_is_found_whole_and_once(spots):
    found = {}
    for h in spots:
        kind = _kind(h)
        assert kind != "mixed", h.label
        if kind != "bg":
            assert kind not in found, f"{kind} twice in the top list"
            found[kind] = h
    assert set(found) == set(SIZES)
    for kind, size in SIZES.items():
        assert found[kind].size >= size - 1


def test_labels_name_the_place_and_the_problem(spots):
    by_kind = {_kind(h): h for h in spots}
    assert by_kind["parking"].label.startswith("幸福小区") and "捆绑" in by_kind["parking"].label
    assert by_kind["noise"].place == "东风路" and "噪音" in by_kind["noise"].keywords
    assert by_kind["lift"].place == "金桂苑" and "电梯" in by_kind["lift"].keywords


def test_hottest_first_and_heat_grows_with_volume(spots):
    heats = [h.heat for h in spots]
    assert heats == sorted(heats, reverse=True)
    by_kind = {_kind(h): h for h in spots}
    assert by_kind["parking"].heat > by_kind["noise"].heat > by_kind["lift"].heat


def test_support_and_recency_raise_the_heat():
    t0 = datetime(2024, 5, 1)
    old = [Message(f"a{i}", "幸福小区车位捆绑销售", "开发商捆绑销售车位", t0, f"u{i}") for i in range(4)]
    new = [
        Message(f"b{i}", "东风路夜间施工噪音", "工地半夜施工噪音扰民", t0 + timedelta(days=120), f"v{i}")
        for i in range(4)
    ]
    a, b = sorted(find_hotspots(old + new), key=lambda h: h.ids[0])
    assert b.heat > a.heat  # same size, four months more recent
    liked = [Message(m.id, m.title, m.body, m.time, m.reporter, weight=50) for m in old]
    a2, b2 = sorted(find_hotspots(liked + new), key=lambda h: h.ids[0])
    assert a2.heat > b2.heat


def test_one_reporter_repeating_counts_less_than_many_reporters():
    t = datetime(2024, 5, 1)
    many = [Message(f"a{i}", "幸福小区车位捆绑销售", "开发商捆绑销售车位", t, f"u{i}") for i in range(4)]
    one = [Message(f"b{i}", "东风路夜间施工噪音", "工地半夜施工噪音扰民", t, "same") for i in range(4)]
    a, b = sorted(find_hotspots(many + one), key=lambda h: h.ids[0])
    assert (a.reporters, b.reporters) == (4, 1) and a.heat > b.heat


def test_same_problem_split_by_wording_is_merged_not_listed_twice():
    t = datetime(2024, 5, 1)
    rows = [Message(f"p{i}", "幸福小区车位捆绑销售", "开发商车位捆绑销售", t, f"u{i}") for i in range(6)]
    rows += [
        Message(f"q{i}", "幸福小区停车位捆绑储藏间", "停车位必须捆绑储藏间购买", t, f"w{i}") for i in range(4)
    ]
    spots = find_hotspots(rows, top=5)
    assert len(spots) == 1 and spots[0].size == 10


def test_same_problem_at_different_places_stays_apart():
    t = datetime(2024, 5, 1)
    rows = [Message(f"a{i}", "幸福小区电梯故障", "幸福小区电梯故障困人", t, f"u{i}") for i in range(3)]
    rows += [Message(f"b{i}", "金桂苑电梯故障", "金桂苑电梯故障困人", t, f"v{i}") for i in range(3)]
    assert sorted(h.place for h in find_hotspots(rows)) == ["幸福小区", "金桂苑"]


def test_extract_place_stops_at_punctuation_and_drops_admin_prefixes():
    assert extract_place("电梯故障老人上下楼困难（金桂苑）") == "金桂苑"
    assert extract_place("A市A3区杜鹃文苑小区外的汽车检测站") == "杜鹃文苑小区"
    assert extract_place("希望尽快处理") == ""


def _write(tmp_path, rows, header=("编号", "标题", "内容", "时间", "用户", "点赞数")):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path = tmp_path / "msgs.csv"
    path.write_text(buf.getvalue(), "utf-8")
    return path


def _run(*args):
    out = io.StringIO()
    call_command("hotspots", *args, stdout=out)
    return out.getvalue()


ARGS = ("--text-col", "标题,内容", "--time-col", "时间", "--id-col", "编号")


def test_command_json(tmp_path):
    rows = hotspot_messages(SIZES, background=60, seed=4)
    rows = [(i, t, b, w.replace("-", "/"), r, likes) for i, t, b, w, r, likes in rows]  # 2024/03/01 style
    path = _write(tmp_path, rows)
    out = json.loads(
        _run(
            "--csv",
            str(path),
            *ARGS,
            "--weight-col",
            "点赞数",
            "--reporter-col",
            "用户",
            "--top",
            "3",
            "--json",
        )
    )
    assert len(out) == 3
    for h in out:
        assert {"label", "keywords", "size", "heat", "first_seen", "last_seen", "ids"} <= set(h)
        assert h["size"] == len(h["ids"]) and h["first_seen"] <= h["last_seen"]
    assert out[0]["ids"][0].startswith("parking") and out[0]["support"] >= 0


def test_command_bad_time_and_missing_column(tmp_path):
    path = _write(
        tmp_path, [("1", "标题", "内容", "昨天", "u", "0"), ("2", "标题", "内容", "2024-01-01", "u", "x")]
    )
    with pytest.raises(CommandError, match="'时间' is not a time at line") as exc:
        _run("--csv", str(path), *ARGS)
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="no column '赞'") as exc:
        _run("--csv", str(path), *ARGS, "--weight-col", "赞")
    assert exc.value.returncode == 2


@pytest.mark.slow  # about ten CPU seconds: the scale the issue asks for (timed by the command, not here)
def test_five_thousand_messages():
    msgs = _messages(hotspot_messages(SIZES, background=4970, seed=5))
    spots = find_hotspots(msgs, top=10)
    assert len(spots) == 10
    ids = [i for h in spots for i in h.ids]
    assert len(ids) == len(set(ids))  # no message in two hotspots
    assert all(not same_problem(a, b) for k, a in enumerate(spots) for b in spots[k + 1 :])
    assert all(_kind(h) != "mixed" for h in spots if h.place)


def test_labels_carry_no_house_numbers_nor_their_cut_off_rest():
    t0 = datetime(2024, 5, 1)
    texts = [
        ("朝阳北街33号雨污管网老化", "朝阳北街33号雨污管网老化渗漏"),
        ("朝阳北街23号雨污管网老化", "朝阳北街23号雨污管网堵塞"),
        ("朝阳北街13号雨污管网老化", "朝阳北街13号雨污管网老化"),
    ]
    messages = [Message(f"m{k}", *texts[k % 3], t0 + timedelta(hours=k), f"u{k}") for k in range(6)]
    [spot] = find_hotspots(messages, top=3)
    assert spot.place == "朝阳北街" and spot.size == 6
    assert spot.keywords and "管网" in spot.keywords
    for word in spot.keywords:
        assert not word[0].isdigit() and not word.startswith("号"), spot.label
    assert spot.label.startswith("朝阳北街：") and not any(ch.isdigit() for ch in spot.label)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("幸福里3号院垃圾堆放", "幸福里3号院"),
        ("和平路12号院门口积水", "和平路12号院"),
        ("王家村三组路灯不亮", "王家村三组"),
        ("李庄村2组", "李庄村2组"),
        ("朝阳北街33号雨污管网老化", "朝阳北街"),
    ],
)
def test_numbered_courtyards_and_village_groups_are_places(text, place):
    assert extract_place(text) == place


def test_a_message_without_a_place_word_takes_the_place_it_was_given():
    """Messages whose words name no place group only with messages of the same given place (the
    case's address or grid), and the label names it."""
    t0 = datetime(2024, 5, 1)
    words = [
        ("垃圾桶满了几天没人清", "垃圾桶满了好几天没人清理垃圾堆"),
        ("垃圾桶几天没人清", "垃圾堆满了没人清理"),
    ]
    messages = [
        Message(f"{where}-{k}", *words[k % 2], t0 + timedelta(hours=k), f"{where}{k}", place=where)
        for where in ("幸福小区", "东风路")
        for k in range(4)
    ]
    spots = find_hotspots(messages, top=5)
    assert sorted(h.place for h in spots) == ["东风路", "幸福小区"]
    for h in spots:
        assert {i.split("-")[0] for i in h.ids} == {h.place} and h.size == 4
        assert h.label.startswith(f"{h.place}：")
    # the place read from the words wins over the given one
    named = Message("x", "金桂苑电梯坏了", "金桂苑电梯", t0, place="Grid A")
    assert (
        find_hotspots([named, Message("y", "金桂苑电梯坏了", "金桂苑电梯", t0)], top=1)[0].place == "金桂苑"
    )


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("幸福里5栋2单元302室", ""),  # no place word: nothing, never the address itself
        ("朝阳路12号3单元501", "朝阳路"),
        ("王家村三组5号", "王家村三组"),
        ("金桂苑小区3栋1单元201", "金桂苑小区"),
        ("学府路18号院5号楼302", "学府路18号院"),
        ("阳光花园12号楼3单元401", "阳光花园"),
        ("5栋2单元302室旁超市", "旁超市"),
        ("幸福里5栋楼下菜市场", "楼下菜市场"),
        ("302室门口路", "门口路"),
    ],
)
def test_a_place_never_carries_a_dwellings_building_unit_or_room(text, place):
    got = extract_place(text)
    assert got == place
    assert not any(part in got for part in ("栋", "单元", "室", "号楼", "5号", "12号3")), got
