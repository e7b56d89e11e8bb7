from __future__ import annotations

from datetime import datetime, timedelta

from zhili.intelligence.similar import CaseText, distance_m, similar_cases

T = datetime(2024, 5, 1, 9)
LAT, LNG = 28.2282, 112.9388


def test_same_request_nearby_and_recent_ranks_first():
    query = CaseText("q", "幸福小区门口路灯不亮", "幸福小区东门口的路灯坏了一个星期", T, LAT, LNG)
    cands = [
        CaseText(
            "same", "幸福小区路灯坏了", "东门口路灯不亮，晚上很黑", T - timedelta(days=1), LAT + 0.0005, LNG
        ),
        CaseText("far", "幸福小区门口路灯不亮", "门口的路灯坏了", T - timedelta(days=1), LAT + 0.05, LNG),
        CaseText("old", "幸福小区门口路灯不亮", "门口的路灯坏了", T - timedelta(days=60), LAT, LNG),
        CaseText("other", "东风路施工噪音", "夜间施工噪音扰民", T, LAT, LNG),
    ]
    matches = similar_cases(query, cands, min_score=0.0)
    assert matches[0].id == "same"
    by_id = {m.id: m for m in matches}
    assert by_id["same"].score > by_id["far"].score and by_id["same"].score > by_id["old"].score
    assert by_id["other"].text < 0.1 and by_id["same"].distance_m is not None
    assert 50 < by_id["same"].distance_m < 60


def test_threshold_limit_and_no_point():
    query = CaseText(1, "电梯故障", "金桂苑3栋电梯故障困人", T)
    cands = [CaseText(i, "电梯故障", "金桂苑3栋电梯故障困人", T) for i in range(2, 10)]
    cands.append(CaseText(1, "电梯故障", "金桂苑3栋电梯故障困人", T))  # the case itself
    matches = similar_cases(query, cands, limit=3)
    assert len(matches) == 3 and 1 not in [m.id for m in matches]
    assert all(m.distance_m is None and m.score == 0.5 for m in matches)  # unknown distance: half
    assert similar_cases(query, [CaseText(2, "噪音", "广场舞噪音", T)]) == []


def test_distance():
    assert abs(distance_m(LAT, LNG, LAT + 0.01, LNG) - 1112) < 5
