from __future__ import annotations

import random

import pytest
from django.utils import translation

from zhili.audit.models import AuditAction, AuditEvent
from zhili.cases.actions import do_submit_case
from zhili.cases.models import Category, Channel
from zhili.intelligence import classify as clf
from zhili.intelligence.actions import do_retrain_classifier
from zhili.intelligence.decisions import decision_label
from zhili.intelligence.models import ClassifierModel
from zhili.intelligence.tests.synthetic import TOPICS, corpus

pytestmark = pytest.mark.django_db

IN_GRID_A = (39.905, 116.305)
CODES = {"交通运输": "JT", "教育文体": "JY", "卫生计生": "WS", "环境保护": "HB", "劳动和社会保障": "LD"}


@pytest.fixture
def tree(region):
    """Five top-level categories, one sub-category with keywords and a department."""
    cats = {label: Category.objects.create(code=code, name=label, level=1) for label, code in CODES.items()}
    Category.objects.create(
        code="HB-ZY", name="噪音污染", level=2, parent=cats["环境保护"], department=region.department,
        keywords="噪音\n扰民\n施工噪声",
    )  # fmt: skip
    Category.objects.create(
        code="JT-GJ", name="公交", level=2, parent=cats["交通运输"], keywords="公交车\n站台"
    )
    return cats


@pytest.fixture
def cases(region, tree, settings):
    settings.ZHILI_CLASSIFIER_MIN_CASES = 20

    def _make(rows, *, source_is_staff=True):
        for title, body, label in rows:
            do_submit_case(
                actor=region.user("dispatcher"),
                channel=Channel.HOTLINE,
                title=title,
                body=body,
                lat=IN_GRID_A[0],
                lng=IN_GRID_A[1],
                category=tree[label],
            )

    return _make


def test_cold_start_classifies_by_the_keywords_of_the_tree(region, tree):
    p = clf.classify("东风路夜间施工噪音", "工地半夜施工，噪音扰民", None)
    assert p is not None and p.category_code == "HB-ZY"
    assert p.department_code == region.department.code
    assert p.model_version == clf.KEYWORDS_VERSION
    assert 0.5 < p.confidence <= clf.KEYWORD_CEILING
    assert {t for t, _ in p.top_features} >= {"噪音", "扰民"}


def test_cold_start_abstains_without_evidence(tree, settings):
    assert clf.classify("咨询一个问题", "请问办事大厅几点开门", None) is None
    # one short keyword, only in the body, in a message that also matches another category
    weak = clf.classify_by_keywords("建议", "站台旁边有点噪音")
    assert weak is not None and weak.confidence < 0.3
    settings.ZHILI_CLASSIFIER_MIN_CONFIDENCE = 0.3
    assert clf.classify("建议", "站台旁边有点噪音", None) is None
    settings.ZHILI_CLASSIFIER_MIN_CONFIDENCE = 0.05
    assert clf.classify("建议", "站台旁边有点噪音", None) is not None


def test_too_few_confirmed_cases_train_nothing(cases):
    cases(corpus(2, seed=1))
    assert do_retrain_classifier() is None
    assert not ClassifierModel.objects.exists()


def test_retraining_activates_a_model_that_then_classifies(cases):
    cases(corpus(12, seed=2))
    version = do_retrain_classifier()
    assert version is not None and version.active and version.n_train == 60
    assert 0.7 <= version.macro_f1 <= 1.0  # a sanity bar: 60 templated messages, 12 per fold
    assert set(version.labels) == set(CODES.values())
    assert "per_class" in version.metrics and "baseline" in version.metrics
    event = AuditEvent.objects.get(action=AuditAction.CLASSIFIER_RETRAINED)
    assert event.target_id == str(version.pk) and event.details["active"] is True

    p = clf.classify("关于幸福小区学位的问题", "孩子上学没有学位，划片不合理", None)
    assert p is not None and p.category_code == "JY"
    assert p.model_version == version.version and p.top_features


def test_a_worse_model_does_not_replace_the_active_one(cases, tree):
    cases(corpus(8, seed=3))
    first = do_retrain_classifier()
    assert first is not None and first.active
    # a flood of confirmed cases with arbitrary categories: cross-validation gets worse
    rng = random.Random(4)
    noisy = [(t, b, rng.choice(list(TOPICS))) for t, b, _ in corpus(12, seed=5)]
    cases(noisy)
    second = do_retrain_classifier()
    assert second is not None and not second.active
    assert second.macro_f1 < first.macro_f1
    assert second.decision.startswith(f"kept {first.version}")
    with translation.override("zh-hans"):
        assert decision_label(second.decision) == (
            f"未启用，保留 {first.version}：宏平均F1 {second.macro_f1:.4f} < {first.macro_f1:.4f}"
        )
    first.refresh_from_db()
    assert first.active
    assert clf._active_model()[0] == first.pk


def test_a_model_that_is_not_worse_replaces_the_active_one(cases):
    cases(corpus(8, seed=6))
    first = do_retrain_classifier()
    cases(corpus(8, seed=7))
    second = do_retrain_classifier()
    assert second is not None and second.macro_f1 >= first.macro_f1
    assert list(ClassifierModel.objects.filter(active=True)) == [second]
    with translation.override("zh-hans"):
        assert decision_label(second.decision) == (
            f"已启用：宏平均F1 {second.macro_f1:.4f} ≥ {first.version} 的 {first.macro_f1:.4f}"
        )
    p = clf.classify("拖欠工资", "公司拖欠工资三个月，老板不见人", None)
    assert p is not None and p.category_code == "LD" and p.model_version == second.version


def test_an_active_model_file_of_an_older_format_leaves_the_decision_to_the_keywords(cases):
    import json

    from zhili.intelligence import textclf

    cases(corpus(8, seed=6))
    version = do_retrain_classifier()
    assert version is not None and version.active
    header, payload = textclf.read_header(bytes(version.blob))
    header["format_version"] = textclf.FORMAT_VERSION - 1
    version.blob = textclf.MAGIC + json.dumps(header).encode() + b"\n" + payload
    version.save(update_fields=["blob"])
    clf._cache.clear()
    p = clf.classify("东风路夜间施工噪音", "工地半夜施工，噪音扰民", None)
    assert p is not None and p.model_version == clf.KEYWORDS_VERSION and p.category_code == "HB-ZY"
    assert clf._active_model() is None and list(clf._cache.values()) == [None]  # not read again


def test_retrain_command(cases):
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("classify", "retrain", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"trained": False, "reason": "too few confirmed cases"}
    cases(corpus(5, seed=8))
    out = io.StringIO()
    call_command("classify", "retrain", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["trained"] and result["active"] and result["n_train"] == 25


def test_similar_open_cases_of_the_street(region, tree):
    from zhili.intelligence.selectors import similar_open_cases

    def submit(title, body, lat=IN_GRID_A[0], lng=IN_GRID_A[1]):
        return do_submit_case(
            actor=region.user("dispatcher"), channel=Channel.HOTLINE, title=title, body=body, lat=lat, lng=lng
        )

    first = submit("幸福小区东门路灯不亮", "东门口的路灯坏了一个星期，晚上很黑")
    submit("东风路施工噪音", "夜间施工噪音扰民")
    far = submit("幸福小区东门路灯不亮", "东门口的路灯坏了一个星期", lng=116.325)  # grid C, 1.7 km
    new = submit("幸福小区东门口路灯坏了", "东门口路灯不亮好几天了")
    found = similar_open_cases(new)
    assert [c.pk for c, _ in found][:1] == [first.pk]
    scores = {c.pk: m.score for c, m in found}
    assert far.pk not in scores or scores[far.pk] < scores[first.pk]


def test_the_classifier_page_shows_the_versions_and_which_one_decides(cases, client, login, region):
    from django.urls import reverse

    url = reverse("intelligence:classifier")
    login("dispatcher")
    page = client.get(url).content.decode()
    assert "关键词规则" in page  # nothing trained yet: the keyword rules decide
    cases(corpus(12, seed=2))
    version = do_retrain_classifier()
    assert version is not None and version.active
    page = client.get(url).content.decode()
    assert version.version in page and f"{version.macro_f1:.3f}" in page
    # The stored verdict is a code; the page says it in words.
    assert f"已启用：宏平均F1 {version.macro_f1:.4f}" in page and ">activated:" not in page
    assert "噪音污染" in page or "环境保护" in page  # per category, by name
    for persona in ("supervisor", "admin"):
        login(persona)
        assert client.get(url).status_code == 200, persona
    for persona in ("resident", "grid_worker_a", "outsider"):
        login(persona)
        assert client.get(url).status_code == 404, persona


def test_the_demo_trains_a_first_version_once(cases):
    from zhili.intelligence.demo import load_demo_classifier

    cases(corpus(12, seed=2))
    load_demo_classifier(1)
    assert ClassifierModel.objects.filter(active=True).count() == 1
    load_demo_classifier(1)
    assert ClassifierModel.objects.count() == 1


class _Stop(Exception):
    pass


def test_the_demos_daily_retrain_runner_keeps_the_better_version(cases, monkeypatch):
    """``zhili classify retrain --every 86400 --start-at T``, as the demo starts it: waits until T,
    then trains once a day; a day whose cases would make a worse model leaves the active one."""
    import io
    import json
    import time

    from django.core.management import call_command

    from zhili import cli

    cases(corpus(8, seed=3))
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 2:  # the day between the runs: confirmed cases with arbitrary categories
            rng = random.Random(4)
            cases([(t, b, rng.choice(list(TOPICS))) for t, b, _ in corpus(12, seed=5)])
        if len(slept) == 3:
            raise _Stop

    monkeypatch.setattr(time, "sleep", sleep)
    argv = cli._retrain_command(time.time() + 5)
    assert argv[3:6] == ["classify", "retrain", "--every"]
    out = io.StringIO()
    with pytest.raises(_Stop):
        call_command(*argv[3:], "--json", stdout=out)
    assert 0 < slept[0] <= 5 and slept[1:] == [86400, 86400]  # the wait for T, then a day each
    runs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["active"] for r in runs] == [True, False]
    first, second = ClassifierModel.objects.order_by("id")
    assert first.active and not second.active and second.decision.startswith(f"kept {first.version}")
