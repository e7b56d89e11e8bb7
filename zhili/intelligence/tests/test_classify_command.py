from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from zhili.intelligence import textclf
from zhili.intelligence.tests.synthetic import corpus

HEADER = ["编号", "标题", "内容", "类别"]
COLS = ("--text-col", "标题,内容", "--label-col", "类别")


def write_csv(path: Path, rows, *, encoding="utf-8", header=HEADER) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for i, (title, body, label) in enumerate(rows, start=1):
        w.writerow([i, title, f"\n\t\t{body}\n\t", label])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command("classify", *args, stdout=out)
    return out.getvalue()


def run_json(*args):
    return json.loads(run(*args, "--json"))


@pytest.fixture
def labelled(tmp_path):
    return write_csv(tmp_path / "orders.csv", corpus(16, seed=11))


REPORT_KEYS = {
    "macro_f1", "accuracy", "per_class", "n_train", "n_test", "train_seconds",
    "ms_per_doc_p50", "ms_per_doc_p99", "baseline",
}  # fmt: skip


def test_eval_cross_validation_json(labelled):
    r = run_json("eval", "--csv", str(labelled), *COLS, "--folds", "4")
    assert set(r) >= REPORT_KEYS
    assert r["n_test"] == 80 and r["n_train"] == 60 and r["folds"] == 4
    assert 0.8 <= r["macro_f1"] <= 1.0 and 0 <= r["baseline"]["macro_f1"] <= 1
    assert set(r["per_class"]) == {"交通运输", "教育文体", "卫生计生", "环境保护", "劳动和社会保障"}
    assert all(set(m) >= {"precision", "recall", "f1"} for m in r["per_class"].values())
    assert 0 < r["ms_per_doc_p50"] <= r["ms_per_doc_p99"]
    assert r["encoding"] == "utf-8"


def test_eval_train_test_json_on_a_gbk_test_file(tmp_path):
    train = write_csv(tmp_path / "train.csv", corpus(16, seed=12), encoding="utf-8-sig")
    test = write_csv(tmp_path / "test.csv", corpus(5, seed=13), encoding="gbk")
    r = run_json("eval", "--train", str(train), "--test", str(test), *COLS)
    assert set(r) >= REPORT_KEYS
    assert (r["n_train"], r["n_test"]) == (80, 25)
    assert r["encoding"] == {"train": "utf-8-sig", "test": "gbk"}
    assert r["macro_f1"] >= 0.8


def test_eval_drops_repeated_messages_and_ids(tmp_path):
    rows = corpus(10, seed=14)
    path = write_csv(tmp_path / "dup.csv", [*rows, rows[0], (rows[1][0], rows[1][1], "环境保护")])
    r = run_json(
        "eval", "--csv", str(path), *COLS,
        "--folds", "3", "--no-latency",
    )  # fmt: skip
    assert r["duplicates_dropped"] == 2 and r["n_test"] == 50
    assert "ms_per_doc_p50" not in r


def test_taxonomy_file_adds_prior_texts(labelled, tmp_path):
    tax = tmp_path / "tax.csv"
    tax.write_text(
        "一级分类,二级分类,三级分类\n环境保护,大气污染,秸秆焚烧\n交通运输,水路,渡口\n其他类,x,y\n", "utf-8"
    )
    r = run_json(
        "eval", "--csv", str(labelled), *COLS,
        "--folds", "3", "--taxonomy", str(tax), "--no-latency",
    )  # fmt: skip
    assert r["n_prior"] == 6  # two rows of known classes, and their four names on their own


def test_missing_column_names_it_and_lists_the_columns(labelled):
    with pytest.raises(CommandError) as exc:
        run("eval", "--csv", str(labelled), "--text-col", "标题,正文", "--label-col", "类别")
    assert exc.value.returncode == 2
    assert "'正文'" in str(exc.value) and "编号, 标题, 内容, 类别" in str(exc.value)


def test_empty_labels_are_reported_with_their_lines(tmp_path):
    rows = corpus(6, seed=15)
    rows[2] = (rows[2][0], rows[2][1], "")
    rows[4] = (rows[4][0], rows[4][1], "  ")
    path = write_csv(tmp_path / "gaps.csv", rows)
    with pytest.raises(CommandError) as exc:
        run("eval", "--csv", str(path), *COLS, "--folds", "2")
    assert exc.value.returncode == 2
    # every record spans three physical lines (the body keeps its padding newlines)
    assert "2 row(s) with an empty label" in str(exc.value) and "line(s) 8, 14" in str(exc.value)


def test_too_few_rows_per_class_for_the_folds(tmp_path):
    path = write_csv(tmp_path / "small.csv", corpus(3, seed=16))
    with pytest.raises(CommandError, match="fewer rows than --folds 5") as exc:
        run("eval", "--csv", str(path), "--text-col", "内容", "--label-col", "类别")
    assert exc.value.returncode == 2


def test_undecodable_file_is_bad_input(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\xff" * 10)
    with pytest.raises(CommandError, match="neither UTF-8 nor GBK") as exc:
        run("eval", "--csv", str(path), "--text-col", "a", "--label-col", "b")
    assert exc.value.returncode == 2


def test_train_then_predict_roundtrip(labelled, tmp_path):
    model = tmp_path / "m.zclf"
    meta = run_json("train", "--csv", str(labelled), *COLS, "--out", str(model))
    assert meta["n_train"] == 80 and len(meta["classes"]) == 5
    new = write_csv(tmp_path / "new.csv", corpus(4, seed=17))
    out = run_json(
        "predict", "--model", str(model), "--csv", str(new), "--text-col", "标题,内容", "--id-col", "编号"
    )
    assert [r["id"] for r in out] == [str(i) for i in range(1, 21)]
    truth = [lab for *_, lab in corpus(4, seed=17)]
    assert sum(r["label"] == t for r, t in zip(out, truth, strict=True)) >= 18
    assert all(0 < r["confidence"] <= 1 and r["top_features"] for r in out)
    plain = run("predict", "--model", str(model), "--csv", str(new), "--text-col", "标题,内容")
    lines = list(csv.reader(io.StringIO(plain)))
    assert lines[0] == ["id", "label", "confidence", "top_features"] and len(lines) == 21
    assert lines[1][0] == "2"  # the file line of the first record


def test_predict_refuses_a_model_of_another_format_version(labelled, tmp_path):
    model = tmp_path / "m.zclf"
    run("train", "--csv", str(labelled), *COLS, "--out", str(model))
    header, payload = textclf.read_header(model.read_bytes())
    header["format_version"] = 0
    model.write_bytes(textclf.MAGIC + json.dumps(header).encode() + b"\n" + payload)
    with pytest.raises(CommandError, match="format version 0") as exc:
        run("predict", "--model", str(model), "--csv", str(labelled), "--text-col", "标题,内容")
    assert exc.value.returncode == 2


@pytest.mark.slow  # a fresh interpreter with Django: seconds
def test_zhili_cli_exits_2_on_bad_input(labelled):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zhili.settings.test"}
    proc = subprocess.run(
        [sys.executable, "-m", "zhili", "classify", "eval", "--csv", str(labelled),
         "--text-col", "标题", "--label-col", "分类"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "'分类'" in proc.stderr and "available columns" in proc.stderr
