"""``zhili classify eval|train|predict``: the request classifier on exported work orders.

    zhili classify eval --csv FILE --text-col 标题,内容 --label-col 类别 --folds 5 --json
    zhili classify eval --train A.csv --test B.csv --text-col … --label-col … --json
    zhili classify train --csv FILE --text-col … --label-col … --out MODEL
    zhili classify predict --model MODEL --csv FILE --text-col … [--json]
    zhili classify retrain [--force] [--every N] [--start-at T] [--json]   (the platform's own cases)

With several text columns the first is taken as the title (counted in its own feature space) and
the others are joined as the body. ``--taxonomy CATALOGUE.csv`` (label in the first column, names
of the categories below it in the others, e.g. 一级分类,二级分类,三级分类) adds each catalogue row
as a short weak training text. CSV files may be UTF-8 (with or without BOM) or GBK. Bad input
(missing column, empty labels, unreadable file) exits with code 2.

``retrain`` activates the new version only when its cross-validated macro-F1 is not worse than
the active one's; run it daily (``--every 86400``, or from cron without ``--every``).

A model file is a pickle behind a checked header: ``predict`` loads only files you name, and
unpickling runs code, so use model files that this platform produced and that only administrators
can write. A file of another format version is refused; train it again.
"""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.intelligence import textclf
from zhili.intelligence.tabular import InputError, read_catalogue, read_csv

BAD_INPUT = 2


def _cols(value: str) -> list[str]:
    cols = [c.strip() for c in value.split(",") if c.strip()]
    if not cols:
        raise CommandError("--text-col needs at least one column name", returncode=BAD_INPUT)
    return cols


class Command(BaseCommand):
    help = "Train, evaluate and apply the request classifier on CSV exports of work orders."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)

        ev = sub.add_parser("eval", help="cross-validate on one file, or train on one and test on another")
        ev.add_argument("--csv", help="labelled CSV for k-fold cross-validation")
        ev.add_argument("--train", help="labelled CSV to train on (with --test)")
        ev.add_argument("--test", help="labelled CSV to test on (with --train)")
        ev.add_argument("--folds", type=int, default=5, help="folds for cross-validation (default 5)")
        ev.add_argument("--repeats", type=int, default=1, help="repeat the k folds with new shuffles")
        ev.add_argument("--seed", type=int, default=0)
        ev.add_argument("--no-latency", action="store_true", help="skip the one-by-one latency run")
        ev.add_argument("--id-col", help="with --csv: keep only the first row of each id")
        self._common(ev, labelled=True)

        tr = sub.add_parser("train", help="train on a labelled CSV and write a model file")
        tr.add_argument("--csv", required=True)
        tr.add_argument("--out", required=True, help="model file to write")
        self._common(tr, labelled=True)

        pr = sub.add_parser("predict", help="classify the rows of a CSV with a model file")
        pr.add_argument("--model", required=True, help="model file written by `classify train`")
        pr.add_argument("--csv", required=True)
        pr.add_argument("--text-col", required=True, type=_cols)
        pr.add_argument("--id-col", help="column to echo as the row id (default: the file line)")
        pr.add_argument("--top", type=int, default=5, help="top terms to show per row")
        pr.add_argument("--json", action="store_true")

        rt = sub.add_parser(
            "retrain", help="train on the platform's confirmed cases; activate only if not worse"
        )
        rt.add_argument("--force", action="store_true", help="train even below the minimum of cases")
        rt.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
        rt.add_argument(
            "--start-at", type=float, default=0, help="wait until this Unix time before the first run"
        )
        rt.add_argument("--json", action="store_true")

    @staticmethod
    def _common(p: CommandParser, *, labelled: bool) -> None:
        p.add_argument("--text-col", required=True, type=_cols, help="COL[,COL…]; the first is the title")
        p.add_argument("--label-col", required=labelled)
        p.add_argument("--taxonomy", help="category catalogue CSV used as weak prior texts")
        p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"do_{options['subcommand']}")(options)
        except InputError as exc:
            raise CommandError(str(exc), returncode=BAD_INPUT) from None
        except textclf.ModelFormatError as exc:
            raise CommandError(f"{options.get('model')}: {exc}", returncode=BAD_INPUT) from None

    # -- eval ---------------------------------------------------------------------------------

    def do_eval(self, o: dict[str, Any]) -> None:
        prior = self._prior(o)
        if o["csv"] and not (o["train"] or o["test"]):
            table = read_csv(o["csv"])
            docs, labels = table.docs(o["text_col"]), table.labels(o["label_col"])
            ids = table.column(o["id_col"]) if o["id_col"] else None
            docs, labels, dropped = _dedupe(docs, labels, ids)
            self._check_folds(labels, o["folds"])
            report = textclf.evaluate_cv(
                docs,
                labels,
                folds=o["folds"],
                repeats=max(1, o["repeats"]),
                seed=o["seed"],
                prior=prior,
                latency=not o["no_latency"],
            )
            report["duplicates_dropped"] = dropped
            report["encoding"] = table.encoding
        elif o["train"] and o["test"] and not o["csv"]:
            train, test = read_csv(o["train"]), read_csv(o["test"])
            train_labels = train.labels(o["label_col"])
            if len(set(train_labels)) < 2:
                raise InputError(f"{train.path}: needs at least two classes to learn from")
            report = textclf.evaluate_split(
                train.docs(o["text_col"]),
                train_labels,
                test.docs(o["text_col"]),
                test.labels(o["label_col"]),
                prior=prior,
                latency=not o["no_latency"],
            )
            report["encoding"] = {"train": train.encoding, "test": test.encoding}
        else:
            raise CommandError("give either --csv FILE or both --train FILE and --test FILE", returncode=2)
        self._print_report(report, as_json=o["json"])

    @staticmethod
    def _check_folds(labels: list[str], folds: int) -> None:
        if folds < 2:
            raise InputError("--folds must be at least 2")
        counts = {lab: labels.count(lab) for lab in set(labels)}
        if len(counts) < 2:
            raise InputError("needs at least two classes to learn from")
        small = sorted((n, lab) for lab, n in counts.items() if n < folds)
        if small:
            listed = ", ".join(f"{lab!r} ({n})" for n, lab in small)
            raise InputError(
                f"classes with fewer rows than --folds {folds}: {listed}; use fewer folds or more data"
            )

    def _print_report(self, r: dict[str, Any], *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(r, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{r['mode']}: {r['model']}")
        self.stdout.write(f"  n_train {r['n_train']}  n_test {r['n_test']}  prior texts {r['n_prior']}")
        self.stdout.write(f"  macro-F1 {r['macro_f1']:.4f}  accuracy {r['accuracy']:.4f}{_repeats(r)}")
        b = r["baseline"]
        self.stdout.write(
            f"  baseline macro-F1 {b['macro_f1']:.4f}  accuracy {b['accuracy']:.4f}{_repeats(b)}"
        )
        for lab, m in r["per_class"].items():
            p, rc, f1, n = m["precision"], m["recall"], m["f1"], m["support"]
            self.stdout.write(f"    {lab:<12} P {p:.3f}  R {rc:.3f}  F1 {f1:.3f}  n {n}")
        self.stdout.write(f"  train {r['train_seconds']:.2f} s")
        if "ms_per_doc_p50" in r:
            self.stdout.write(f"  ms per message p50 {r['ms_per_doc_p50']}  p99 {r['ms_per_doc_p99']}")

    # -- train / predict ----------------------------------------------------------------------

    def do_train(self, o: dict[str, Any]) -> None:
        table = read_csv(o["csv"])
        docs, labels = table.docs(o["text_col"]), table.labels(o["label_col"])
        if len(set(labels)) < 2:
            raise InputError(f"{table.path}: needs at least two classes to learn from")
        model = textclf.default_classifier().fit(docs, labels, prior=self._prior(o))
        meta = {"n_train": len(docs), "text_cols": o["text_col"], "label_col": o["label_col"]}
        try:
            textclf.save_model(o["out"], model, metrics=meta)
        except OSError as exc:
            raise InputError(f"{o['out']}: cannot write the model file ({exc.strerror})") from None
        out = {"model": o["out"], "classes": model.classes_, "description": model.describe(), **meta}
        if o["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"{o['out']}: {len(model.classes_)} classes, {len(docs)} messages")

    def do_predict(self, o: dict[str, Any]) -> None:
        try:
            model, _header = textclf.load_model(o["model"])
        except OSError as exc:
            raise InputError(f"{o['model']}: cannot read the model file ({exc.strerror})") from None
        table = read_csv(o["csv"])
        docs = table.docs(o["text_col"])
        ids = table.column(o["id_col"]) if o["id_col"] else [str(n) for n in table.lines]
        results: list[dict[str, Any]] = []
        for row_id, doc in zip(ids, docs, strict=True):
            label, confidence, terms = model.predict_one(doc.title, doc.body, k=o["top"])
            results.append(
                {"id": row_id, "label": label, "confidence": round(confidence, 4), "top_features": terms}
            )
        if o["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False, indent=2))
            return
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["id", "label", "confidence", "top_features"])
        for r in results:
            shown = " ".join(t for t, _ in r["top_features"])
            writer.writerow([r["id"], r["label"], r["confidence"], shown])
        self.stdout.write(buf.getvalue(), ending="")

    def do_retrain(self, o: dict[str, Any]) -> None:
        from django.db import connection

        if o["start_at"]:
            time.sleep(max(0.0, o["start_at"] - time.time()))
        while True:
            self._retrain_once(o)
            if not o["every"]:
                return
            if not connection.in_atomic_block:  # (a test runs inside one)
                connection.close()  # a fresh connection after a day's sleep
            time.sleep(o["every"])

    def _retrain_once(self, o: dict[str, Any]) -> None:
        from zhili.intelligence.actions import do_retrain_classifier

        version = do_retrain_classifier(force=o["force"])
        if version is None:
            out: dict[str, Any] = {"trained": False, "reason": "too few confirmed cases"}
        else:
            out = {
                "trained": True,
                "version": version.version,
                "active": version.active,
                "macro_f1": version.macro_f1,
                "n_train": version.n_train,
                "decision": version.decision,
            }
        if o["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            self.stdout.write(out.get("decision") or out["reason"])

    @staticmethod
    def _prior(o: dict[str, Any]) -> list[tuple[str, str]]:
        return textclf.prior_from_catalogue(read_catalogue(o["taxonomy"])) if o.get("taxonomy") else []


def _repeats(r: dict[str, Any]) -> str:
    runs = r.get("macro_f1_repeats") or []
    return "  (repeats " + " ".join(f"{f:.4f}" for f in runs) + ")" if len(runs) > 1 else ""


def _dedupe(
    docs: list[textclf.Doc], labels: list[str], ids: list[str] | None
) -> tuple[list[textclf.Doc], list[str], int]:
    """Keep the first of rows with the same text (or id): a repeat on both sides of a fold
    would flatter the score, and a repeat with another label cannot be right twice."""
    seen: set[object] = set()
    out_docs, out_labels = [], []
    for i, (d, lab) in enumerate(zip(docs, labels, strict=True)):
        keys: list[object] = [("doc", d)]
        if ids and ids[i].strip():
            keys.append(("id", ids[i].strip()))
        if any(k in seen for k in keys):
            continue
        seen.update(keys)
        out_docs.append(d)
        out_labels.append(lab)
    return out_docs, out_labels, len(docs) - len(out_docs)
