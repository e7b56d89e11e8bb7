from __future__ import annotations

import json

import numpy as np
import pytest

from zhili.intelligence import textclf
from zhili.intelligence.tests.synthetic import corpus


def _split(rows):
    docs = [textclf.make_doc(t, b) for t, b, _ in rows]
    return docs, [lab for *_, lab in rows]


@pytest.fixture(scope="module")
def data():
    train_docs, train_labels = _split(corpus(30, seed=1))
    test_docs, test_labels = _split(corpus(12, seed=2))
    model = textclf.MessageClassifier().fit(train_docs, train_labels)
    return model, test_docs, test_labels


def test_learns_the_synthetic_categories(data):
    model, docs, labels = data
    pred = model.predict(docs)
    assert np.mean([p == y for p, y in zip(pred, labels, strict=True)]) >= 0.9
    assert sorted(model.classes_) == sorted(set(labels))


def test_single_message_path_matches_the_sklearn_path(data):
    model, docs, _ = data
    proba = model.predict_proba(docs)
    for doc, row in zip(docs, proba, strict=True):
        label, confidence, _ = model.predict_one(doc.title, doc.body)
        assert label == model.classes_[int(row.argmax())]
        assert confidence == pytest.approx(float(row.max()), abs=1e-6)


def test_confidence_is_a_probability_and_terms_come_from_the_message(data):
    model, *_ = data
    label, confidence, terms = model.predict_one("关于东风路公交线路的问题", "公交车班次太少，等车要一个小时")
    assert label == "交通运输"
    assert 0.5 < confidence <= 1.0
    assert terms and all(t in "关于东风路公交线路的问题公交车班次太少，等车要一个小时" for t, _ in terms)
    assert all(w > 0 for _, w in terms)
    assert [w for _, w in terms] == sorted((w for _, w in terms), reverse=True)


def test_unknown_text_gets_a_lower_confidence_than_clear_text(data):
    model, *_ = data
    _, clear, _ = model.predict_one("拖欠工资", "公司拖欠工资三个月，老板不见人")
    _, vague, _ = model.predict_one("", "请问一下")
    assert vague < clear


def test_catalogue_prior_teaches_words_the_history_never_used():
    docs, labels = _split(corpus(8, seed=3))
    prior = textclf.prior_from_catalogue(
        [["环境保护", "大气污染", "秸秆焚烧"], ["交通运输", "水路运输", "渡口轮渡"], ["未知类", "不在数据里"]]
    )
    with_prior = textclf.MessageClassifier().fit(docs, labels, prior=prior)
    without = textclf.MessageClassifier().fit(docs, labels)
    msg = textclf.make_doc("渡口轮渡", "渡口轮渡停开")
    assert with_prior.predict([msg]) == ["交通运输"]
    assert without.predict_proba([msg]).max() < with_prior.predict_proba([msg]).max()
    assert "未知类" not in with_prior.classes_  # catalogue rows of classes without data are left out


def test_one_text_field_and_two_classes_work():
    rows = corpus(15, seed=4, categories=["教育文体", "劳动和社会保障"])
    docs = [textclf.make_doc("", f"{t} {b}") for t, b, _ in rows]
    labels = [lab for *_, lab in rows]
    model = textclf.MessageClassifier().fit(docs, labels)
    label, confidence, _ = model.predict_one("", "公司拖欠工资三个月")
    assert label == "劳动和社会保障" and confidence > 0.5
    assert model.predict(docs) == [model.predict_one(d.title, d.body)[0] for d in docs]


def test_normalise_folds_full_width_and_whitespace():
    assert textclf.normalise("\n\t\t　ＡＢＣ１２３  公交\n\t") == "ABC123 公交"


def test_model_bytes_roundtrip_and_header(data):
    model, docs, _ = data
    blob = textclf.dump_model(model, metrics={"macro_f1": 0.9})
    loaded, header = textclf.load_model_bytes(blob)
    assert header["format_version"] == textclf.FORMAT_VERSION
    assert header["metrics"] == {"macro_f1": 0.9}
    assert loaded.predict(docs) == model.predict(docs)


def test_model_of_another_format_version_is_refused_before_unpickling(data):
    model, *_ = data
    header, _ = textclf.read_header(textclf.dump_model(model))
    header["format_version"] = textclf.FORMAT_VERSION + 1
    blob = textclf.MAGIC + json.dumps(header).encode() + b"\n" + b"not a pickle"
    with pytest.raises(textclf.ModelFormatError, match="format version"):
        textclf.load_model_bytes(blob)


def test_damaged_or_foreign_model_files_are_refused(data):
    model, *_ = data
    blob = textclf.dump_model(model)
    with pytest.raises(textclf.ModelFormatError, match="checksum"):
        textclf.load_model_bytes(blob[:-10] + b"0123456789")
    with pytest.raises(textclf.ModelFormatError, match="not a zhili"):
        textclf.load_model_bytes(b"\x80\x04K\x01.")


def test_cross_validation_report_holds_model_and_baseline_figures():
    docs, labels = _split(corpus(20, seed=5))
    r = textclf.evaluate_cv(docs, labels, folds=3)
    assert r["n_test"] == len(docs) and 60 <= r["n_train"] <= 70
    assert 0.8 <= r["macro_f1"] <= 1.0 and 0.0 <= r["baseline"]["macro_f1"] <= 1.0
    assert set(r["per_class"]) == set(labels)
    assert sum(m["support"] for m in r["per_class"].values()) == len(docs)
    assert 0 < r["ms_per_doc_p50"] <= r["ms_per_doc_p99"]
    assert 0 < r["cpu_ms_per_doc_p50"] <= r["cpu_ms_per_doc_p99"]


def test_long_letters_are_read_up_to_the_cap():
    docs, labels = _split(corpus(10, seed=8))
    model = textclf.MessageClassifier(max_body_chars=50).fit(docs, labels)
    head = (docs[0].body * 10)[:50]
    padded = textclf.Doc(docs[0].title, head + "公交车" * 500)
    assert model.predict_proba([padded]) == pytest.approx(
        model.predict_proba([textclf.Doc(docs[0].title, head)])
    )
    assert model.predict_one(padded.title, padded.body)[1] == pytest.approx(
        float(model.predict_proba([padded]).max())
    )


def test_split_report_counts_and_latency():
    train_docs, train_labels = _split(corpus(20, seed=6))
    test_docs, test_labels = _split(corpus(6, seed=7))
    r = textclf.evaluate_split(train_docs, train_labels, test_docs, test_labels, latency=False)
    assert (r["n_train"], r["n_test"]) == (len(train_docs), len(test_docs))
    assert "ms_per_doc_p99" not in r and r["train_seconds"] > 0
    assert r["macro_f1"] >= 0.8


def test_svm_and_naive_bayes_are_combined_with_held_out_temperatures(data):
    model, docs, labels = data
    t_svm, t_nb = model.member_temperatures_
    assert t_svm > 0 and t_nb > 0 and model.temperature_ > 0
    assert "ComplementNB" in model.describe()
    train_docs, train_labels = _split(corpus(30, seed=1))
    alone = textclf.MessageClassifier(nb_alpha=0).fit(train_docs, train_labels)
    assert alone.member_temperatures_[1] == 0 and "ComplementNB" not in alone.describe()
    # each member alone learns the task; the product is one linear map like either of them
    assert np.mean([p == y for p, y in zip(alone.predict(docs), labels, strict=True)]) >= 0.9
    assert model.decision_function(docs).shape == alone.decision_function(docs).shape


def test_single_message_path_matches_without_the_naive_bayes_and_uncalibrated(data):
    _, docs, _ = data
    train_docs, train_labels = _split(corpus(30, seed=1))
    for model in (
        textclf.MessageClassifier(nb_alpha=0).fit(train_docs, train_labels),
        textclf.MessageClassifier(calibrate=False).fit(train_docs, train_labels),
    ):
        proba = model.predict_proba(docs)
        for doc, row in zip(docs, proba, strict=True):
            label, confidence, _ = model.predict_one(doc.title, doc.body)
            assert label == model.classes_[int(row.argmax())]
            assert confidence == pytest.approx(float(row.max()), abs=1e-6)


def test_uncalibrated_model_weighs_the_naive_bayes_to_the_svm_scale():
    docs, labels = _split(corpus(30, seed=1))
    model = textclf.MessageClassifier(calibrate=False).fit(docs, labels)
    assert model.member_temperatures_[0] == 1.0 and model.member_temperatures_[1] > 0
    assert model.temperature_ == 1.0
    test_docs, test_labels = _split(corpus(12, seed=2))
    pred = model.predict(test_docs)
    assert np.mean([p == y for p, y in zip(pred, test_labels, strict=True)]) >= 0.9


def test_catalogue_prior_adds_names_of_one_label_on_their_own():
    prior = textclf.prior_from_catalogue(
        [
            ["交通运输", "水路运输", "渡口轮渡"],
            ["交通运输", "水路运输", "其他"],
            ["城乡建设", "城市建设", "其他"],
            ["城乡建设", "城市建设", "公交站台"],
            ["环境保护", "", ""],
        ]
    )
    assert prior[:4] == [
        ("水路运输 渡口轮渡", "交通运输"),
        ("水路运输 其他", "交通运输"),
        ("城市建设 其他", "城乡建设"),
        ("城市建设 公交站台", "城乡建设"),
    ]
    alone = prior[4:]
    expected = [("水路运输", "交通运输"), ("渡口轮渡", "交通运输"), ("城市建设", "城乡建设")]
    expected.append(("公交站台", "城乡建设"))
    assert sorted(alone) == sorted(expected)  # "其他" stands under two labels: it says nothing alone


def test_repeated_cross_validation_reports_each_repeat():
    docs, labels = _split(corpus(12, seed=9))
    r = textclf.evaluate_cv(docs, labels, folds=3, repeats=2, latency=False)
    assert len(r["macro_f1_repeats"]) == 2 and len(r["baseline"]["macro_f1_repeats"]) == 2
    assert np.mean(r["macro_f1_repeats"]) == pytest.approx(r["macro_f1"], abs=1e-3)
    assert r["n_test"] == 2 * len(docs)


def test_naive_bayes_smoothing_is_chosen_on_held_out_scores_unless_given(data):
    model, *_ = data
    assert model.nb_alpha is None and model.nb_alpha_ in textclf.MessageClassifier.NB_ALPHAS
    assert f"alpha={model.nb_alpha_}" in model.describe()
    docs, labels = _split(corpus(30, seed=1))
    fixed = textclf.MessageClassifier(nb_alpha=0.3).fit(docs, labels)
    assert fixed.nb_alpha_ == 0.3
    # too few messages per class for held-out scores: the fallback smoothing, still two members
    tiny = textclf.MessageClassifier().fit(*_split(corpus(1, seed=2)))
    assert tiny.nb_alpha_ == textclf.MessageClassifier.NB_ALPHA_FALLBACK and tiny.member_temperatures_[1] > 0


@pytest.mark.parametrize("ngram", [(1, 3), (2, 3), (1, 4)])
def test_single_message_path_reads_mixed_scripts_like_sklearn(ngram):
    docs, labels = _split(corpus(10, seed=12))
    extra = [
        ("公交WiFi信号差", "公交车上的 WiFi  连不上，ABC123 线路 😀 尤其差"),
        ("学校收费", "学校 Ｋ12 收费 😀😀 太高，iPad 必须买"),
    ]
    docs += [textclf.make_doc(t, b) for t, b in extra]
    labels += ["交通运输", "教育文体"]
    model = textclf.MessageClassifier(ngram=ngram, min_df=1).fit(docs, labels)
    probes = [
        ("WIFI 😀", "车上 wifi\t\t连不上 abc123"),
        ("k12", "ＩＰＡＤ  收费 😀 𠀀"),
        ("", "a"),
        ("", ""),
    ]
    for title, body in probes:
        expected = model.predict_proba([textclf.make_doc(title, body)])[0]
        label, confidence, _ = model.predict_one(title, body)
        assert label == model.classes_[int(expected.argmax())]
        assert confidence == pytest.approx(float(expected.max()), abs=1e-6)
