"""Chinese short-text classification for citizens' requests (诉求分类), CPU only, offline.

A message is a title and a body (either may be empty). Each field gets its own character n-gram
TF-IDF space, so that a short title is not drowned by a long body; optional jieba word n-grams are
a third space. A linear SVM (balanced class weights, because hotline categories are skewed)
separates the classes; a softmax over its scores, with one temperature fitted on held-out scores,
gives a confidence in 0..1 without changing the predicted class.

A category catalogue (the 派单目录: second- and third-level category names under each
first-level category) can be fed as *prior* texts: every catalogue row becomes a short weak
training text of its top-level class. This is domain knowledge rather than data, it costs nothing
at prediction time, and it helps most where history is thin (a fresh install, a rare class).

Nothing here needs Django; the case loop, the management command and the periodic retraining all
use the functions below.

Model files are pickles behind a small JSON header (format version, library versions, checksum).
Unpickling runs code: load only model files that this platform produced and that you keep in a
place only administrators can write. ``load_model`` checks the header before it unpickles anything,
so a file of another format version is refused with a clear message.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import pickle
import re
import statistics
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

FORMAT = "zhili-textclf"
FORMAT_VERSION = 2  # 2: one combined linear map (SVM × Complement NB) instead of the SVM
MAGIC = b"ZHILI-TEXTCLF\n"


class Doc(NamedTuple):
    title: str
    body: str


class ModelFormatError(Exception):
    """A model file that this version of zhili cannot (or will not) read."""


_SPACE = re.compile(r"\s+")


def normalise(text: str | None) -> str:
    """NFKC (full-width letters and digits to half-width) and collapsed whitespace."""
    if not text:
        return ""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def make_doc(title: str | None, body: str | None) -> Doc:
    return Doc(normalise(title), normalise(body))


# -- word tokens -------------------------------------------------------------------------------

_jieba_ready = False


def _jieba() -> Any:
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba_ready = True
    return jieba


def word_tokens(text: str) -> list[str]:
    """jieba words without spaces and punctuation (module level so that models pickle)."""
    return [w for w in _jieba().lcut(text) if w.strip() and not _is_punct(w)]


def _is_han(term: str) -> bool:
    """Chinese characters only: n-grams across punctuation, digits or spaces explain nothing."""
    return bool(term) and all("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in term)


def _is_punct(word: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in word)


# -- the classifier ----------------------------------------------------------------------------


@dataclass
class _Space:
    name: str
    weight: float
    vectorizer: TfidfVectorizer
    pick: Callable[[Doc], str]


def _title(d: Doc) -> str:
    return d.title


def _body(d: Doc) -> str:
    return d.body


def _body_head(d: Doc, n: int) -> str:
    return d.body[:n]


def _both(d: Doc) -> str:
    return f"{d.title} {d.body}".strip()


def _char_vectorizer(ngram: tuple[int, int], min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=ngram, min_df=min_df, dtype=np.float32)


def _word_vectorizer(min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer=word_tokens, min_df=min_df, sublinear_tf=True, dtype=np.float32
    )  # word_tokens is a plain function so that the vectorizer pickles


@dataclass
class MessageClassifier:
    """Title and body character n-grams (+ optional jieba words) → two linear models, one score.

    A balanced linear SVM and a Complement Naive Bayes read the same features and err
    differently: the SVM weighs n-grams against each other, the NB counts them per class, which
    holds up better when a class has few messages and lets short catalogue texts count. Each
    member's scores get a temperature fitted on held-out scores of the training data (3 folds,
    minimum log-loss); the model's score is their sum, so the ensemble is a product of experts:
    still one linear map from features to classes, which keeps the single-message path as cheap
    as one model's.
    """

    ngram: tuple[int, int] = (1, 3)
    min_df: int = 2
    title_weight: float = 1.0
    body_weight: float = 1.0
    word_weight: float = 0.0
    C: float = 1.0
    # Complement NB smoothing (per TF-IDF weight, hence well below 1): None picks it among
    # NB_ALPHAS by held-out log-loss on the training data; 0 leaves the SVM alone.
    nb_alpha: float | None = None
    # Only the head of a long letter is read: it names the matter, and the cost per message stays
    # bounded (the longest petitions run to thousands of characters).
    max_body_chars: int = 1000
    calibrate: bool = True
    random_state: int = 0
    classes_: list[str] = field(default_factory=list)
    temperature_: float = 1.0
    member_temperatures_: tuple[float, float] = (1.0, 0.0)  # SVM, NB
    nb_alpha_: float = 0.0  # the smoothing used (0: no NB)
    _spaces: list[_Space] = field(default_factory=list, repr=False)
    _svm_member: _Linear | None = field(default=None, repr=False)
    _nb_data: tuple[sp.csr_matrix, list[str]] | None = field(default=None, repr=False)  # while fitting
    _coef: np.ndarray | None = field(default=None, repr=False)  # classes × features
    _intercept: np.ndarray | None = field(default=None, repr=False)
    _fast: _FastPath | None = field(default=None, repr=False)

    name = "char n-gram TF-IDF per field + LinearSVC × Complement NB"
    NB_ALPHAS = (0.02, 0.05, 0.1, 0.2)
    NB_ALPHA_FALLBACK = 0.05  # when there are too few messages for held-out scores

    def describe(self) -> str:
        parts = [f"char {self.ngram[0]}-{self.ngram[1]}-gram TF-IDF on title and body"]
        if self.word_weight:
            parts.append("jieba words")
        model = f"LinearSVC(C={self.C}, balanced)"
        if self.nb_alpha != 0:
            alpha = self.nb_alpha_ or self.nb_alpha
            shown = f"alpha={alpha}" if alpha else "alpha by held-out log-loss"
            model += f" × ComplementNB({shown}), calibrated product"
        return " + ".join(parts) + f", {model}"

    def _alphas(self) -> tuple[float, ...]:
        if self.nb_alpha == 0:
            return ()
        return (self.nb_alpha,) if self.nb_alpha is not None else self.NB_ALPHAS

    # fitting

    def fit(
        self, docs: Sequence[Doc], labels: Sequence[str], *, prior: Sequence[tuple[str, str]] = ()
    ) -> MessageClassifier:
        known = set(labels)
        prior = [(normalise(text), label) for text, label in prior if label in known and normalise(text)]
        docs, labels = list(docs), list(labels)
        self._fit_core(docs, labels, prior)
        held_out = self._fit_temperatures(docs, labels, prior) if self.calibrate else None
        if held_out is not None:
            alpha, t_svm, t_nb, t_all = held_out
        else:
            alphas = self._alphas()
            alpha = (self.NB_ALPHA_FALLBACK if len(alphas) > 1 else alphas[0]) if alphas else 0.0
            t_svm, t_nb, t_all = 1.0, self._nb_scale(docs, alpha), 1.0
        self._combine(alpha, t_svm, t_nb)
        self.temperature_ = t_all
        return self

    def _fit_core(self, docs: Sequence[Doc], labels: Sequence[str], prior: Sequence[tuple[str, str]]) -> None:
        """Feature spaces, the SVM, and what the NB learns from. A catalogue text is a title to
        the SVM (the SVM would otherwise lean on short bodies) and both a title and a body to
        the NB (one more count of its words under its class)."""
        spaces = [
            _Space("title", self.title_weight, _char_vectorizer(self.ngram, self.min_df), _title),
            _Space(
                "body",
                self.body_weight,
                _char_vectorizer(self.ngram, self.min_df),
                partial(_body_head, n=self.max_body_chars) if self.max_body_chars else _body,
            ),
        ]
        if self.word_weight:
            spaces.append(_Space("word", self.word_weight, _word_vectorizer(self.min_df), _both))
        as_title = [Doc(text, "") for text, _ in prior]
        as_both = [Doc(text, text) for text, _ in prior]
        prior_labels = [label for _, label in prior]
        fitted = []
        for space in spaces:
            texts = [space.pick(d) for d in [*docs, *as_both]]
            if not any(texts):
                continue  # e.g. a single text column: no titles at all
            try:
                space.vectorizer.fit(texts)
            except ValueError:  # min_df left nothing (tiny data): keep every n-gram
                space.vectorizer.set_params(min_df=1)
                space.vectorizer.fit(texts)
            fitted.append(space)
        if not fitted:
            raise ValueError("no text to learn from")
        self._spaces = fitted
        self._fast = None
        X = self.transform(docs)
        svm = LinearSVC(C=self.C, class_weight="balanced", random_state=self.random_state)
        svm.fit(sp.vstack([X, self.transform(as_title)]) if prior else X, [*labels, *prior_labels])
        self.classes_ = [str(c) for c in svm.classes_]
        coef = np.asarray(svm.coef_, dtype=np.float64)
        intercept = np.asarray(svm.intercept_, dtype=np.float64)
        if len(self.classes_) == 2:  # sklearn gives one row for two classes
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        self._svm_member = _Linear(coef, intercept)
        self._nb_data = None
        if self._alphas():
            X_nb = sp.vstack([X, self.transform(as_both)], format="csr") if prior else X
            self._nb_data = (X_nb, [*labels, *prior_labels])

    def _nb_member(self, alpha: float) -> _Linear:
        assert self._nb_data is not None, "fit first"
        X, y = self._nb_data
        cnb = ComplementNB(alpha=alpha).fit(X, y)
        assert [str(c) for c in cnb.classes_] == self.classes_
        # NB's joint log-likelihood is X @ feature_log_prob_.T; only differences between classes
        # matter, so each feature's mean over the classes is taken out (the scores change by the
        # same amount in every class, and the weights read as evidence for or against a class).
        flp = np.asarray(cnb.feature_log_prob_, dtype=np.float64)
        return _Linear(flp - flp.mean(axis=0, keepdims=True), np.zeros(len(self.classes_)))

    def _nb_scale(self, docs: Sequence[Doc], alpha: float) -> float:
        """Without held-out scores: NB weighted to the SVM's spread of scores."""
        if not alpha:
            return 0.0
        assert self._svm_member is not None, "fit first"
        X = self.transform(docs)
        s_svm, s_nb = self._svm_member.scores(X), self._nb_member(alpha).scores(X)
        spread = float(np.std(s_nb - s_nb.mean(axis=1, keepdims=True)))
        return float(np.std(s_svm - s_svm.mean(axis=1, keepdims=True))) / spread if spread > 0 else 0.0

    def _combine(self, alpha: float, t_svm: float, t_nb: float) -> None:
        assert self._svm_member is not None, "fit first"
        svm = self._svm_member
        coef, intercept = svm.coef * t_svm, svm.intercept * t_svm
        if alpha and t_nb:
            coef = coef + self._nb_member(alpha).coef * t_nb
        self._coef, self._intercept = coef, intercept
        self.member_temperatures_ = (t_svm, t_nb if alpha else 0.0)
        self.nb_alpha_ = alpha
        self._svm_member = self._nb_data = None  # only the combined map is kept (and pickled)

    def _fit_temperatures(
        self, docs: Sequence[Doc], labels: Sequence[str], prior: Sequence[tuple[str, str]]
    ) -> tuple[float, float, float, float] | None:
        """From k-fold held-out scores (k ≤ 3) of the training data: the NB smoothing (least
        log-loss of the product), a temperature per member, then one for their sum (a product of
        experts is overconfident when they agree on the same evidence). ``None``: too few
        messages for held-out scores."""
        counts = {c: list(labels).count(c) for c in set(labels)}
        k = min(3, *counts.values())
        if k < 2 or len(counts) < 2:
            return None
        y = np.array(labels)
        alphas = self._alphas()
        shape = (len(docs), len(self.classes_))
        svm_scores = np.zeros(shape, dtype=np.float64)
        nb_scores = {a: np.zeros(shape, dtype=np.float64) for a in alphas}
        inner = MessageClassifier(
            ngram=self.ngram,
            min_df=self.min_df,
            title_weight=self.title_weight,
            body_weight=self.body_weight,
            word_weight=self.word_weight,
            C=self.C,
            nb_alpha=self.nb_alpha,
            max_body_chars=self.max_body_chars,
            calibrate=False,
        )
        for tr, te in StratifiedKFold(k, shuffle=True, random_state=self.random_state).split(docs, y):
            inner._fit_core([docs[i] for i in tr], list(y[tr]), prior)
            assert inner._svm_member is not None
            cols = np.ix_(te, [self.classes_.index(c) for c in inner.classes_])
            X = inner.transform([docs[i] for i in te])
            svm_scores[cols] = inner._svm_member.scores(X)
            for a in alphas:
                nb_scores[a][cols] = inner._nb_member(a).scores(X)
        target = np.array([self.classes_.index(lab) for lab in labels])
        t_svm, _ = _fit_temperature(svm_scores, target)
        best: tuple[float, float, float, float] = (0.0, t_svm, 0.0, 1.0)
        best_loss = math.inf
        for a in alphas:
            t_nb, _ = _fit_temperature(nb_scores[a], target)
            t_all, loss = _fit_temperature(svm_scores * t_svm + nb_scores[a] * t_nb, target, lo=0.1, hi=10.0)
            if loss < best_loss:
                best, best_loss = (a, t_svm, t_nb, t_all), loss
        if not alphas:
            best = (0.0, t_svm, 0.0, 1.0)
        return best

    # predicting

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        blocks = [s.vectorizer.transform([s.pick(d) for d in docs]) * s.weight for s in self._spaces]
        return sp.hstack(blocks, format="csr")

    def decision_function(self, docs: Sequence[Doc]) -> np.ndarray:
        assert self._coef is not None and self._intercept is not None, "fit first"
        return np.asarray(self.transform(docs) @ self._coef.T + self._intercept, dtype=np.float64)

    def predict_proba(self, docs: Sequence[Doc]) -> np.ndarray:
        z = self.decision_function(docs) * self.temperature_
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def predict(self, docs: Sequence[Doc]) -> list[str]:
        scores = self.decision_function(docs)
        return [self.classes_[i] for i in scores.argmax(axis=1)]

    def explain(self, doc: Doc, label: str, k: int = 5) -> list[tuple[str, float]]:
        """The terms that pushed this message towards ``label`` most."""
        return self._fast_path().explain(doc, self.classes_.index(label), k=k)

    def _fast_path(self) -> _FastPath:
        if self._fast is None:
            self._fast = _FastPath.build(self)
        return self._fast

    def predict_one(self, title: str, body: str, *, k: int = 5) -> tuple[str, float, list[tuple[str, float]]]:
        """One message, as intake classifies it: label, confidence, top terms.

        sklearn's per-call input validation costs milliseconds, more than the arithmetic; this
        path redoes the vectorisers' arithmetic over the fitted vocabularies directly (a test holds
        it equal to the sklearn path).
        """
        return self._fast_path().predict_one(make_doc(title, body), k=k)


@dataclass
class _Linear:
    """One member's scores: features @ coef.T + intercept (coef: classes × features)."""

    coef: np.ndarray
    intercept: np.ndarray

    def scores(self, X: sp.csr_matrix) -> np.ndarray:
        return np.asarray(X @ self.coef.T + self.intercept, dtype=np.float64)


def _fit_temperature(
    scores: np.ndarray, target: np.ndarray, *, lo: float = 1e-3, hi: float = 1e3
) -> tuple[float, float]:
    """The factor on the scores whose softmax has the least log-loss on held-out rows, and that loss."""
    best, best_loss = 1.0, math.inf
    for t in np.geomspace(lo, hi, 121):
        z = scores * t
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -float(logp[np.arange(len(target)), target].mean())
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best, best_loss


_WHITE_SPACES = re.compile(r"\s\s+")


def _char_grams(text: str, lo: int, hi: int) -> list[str]:
    """What sklearn's char analyzer yields (lowercase, runs of whitespace folded)."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    n_text = len(text)
    grams = list(text) if lo == 1 else []
    for n in range(max(lo, 2), min(hi, n_text) + 1):
        grams += [text[i : i + n] for i in range(n_text - n + 1)]
    return grams


@dataclass
class _FastSpace:
    pick: Callable[[Doc], str]
    analyzer: Callable[[str], list[str]] | None  # None: character n-grams
    ngram: tuple[int, int]
    vocab: dict[str, int]
    idf: np.ndarray
    sublinear: bool
    weight: float
    offset: int

    # character n-grams up to 3 as integers (21 bits per code point): per length, the sorted keys
    # of the vocabulary and their feature ids (built on first use, not pickled with the model)
    _keys: list[tuple[np.ndarray, np.ndarray]] | None = field(default=None, repr=False)

    def vectorise(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        text = self.pick(doc)
        if self.analyzer is None and self.ngram[1] <= 3:
            ids = self._char_ids(text)
        else:
            grams = self.analyzer(text) if self.analyzer else _char_grams(text, *self.ngram)
            # One dictionary lookup per n-gram, looped in C (map), and the counting in numpy
            ids = np.fromiter(map(self.vocab.get, grams, repeat(-1)), dtype=np.intp, count=len(grams))
        ids = ids[ids >= 0]
        if not len(ids):
            return np.empty(0, dtype=np.intp), np.empty(0)
        idx, counts = np.unique(ids, return_counts=True)
        tf = counts.astype(np.float64)
        if self.sublinear:
            tf = 1.0 + np.log(tf)
        vals = tf * self.idf[idx]
        vals *= self.weight / np.sqrt(vals @ vals)
        return idx + self.offset, vals

    def _char_ids(self, text: str) -> np.ndarray:
        """The feature id of every character n-gram of the text (-1: not in the vocabulary), as
        sklearn's char analyzer cuts them, without making a string per n-gram: hashing thousands
        of short strings was most of a long message's cost."""
        if self._keys is None:
            self._keys = _gram_keys(self.vocab, *self.ngram)
        text = _WHITE_SPACES.sub(" ", text.lower())
        cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        lo, hi = self.ngram
        found = []
        for n in range(lo, min(hi, len(cps)) + 1):
            keys = cps[: len(cps) - n + 1].copy()
            for i in range(1, n):
                keys = (keys << np.uint64(21)) | cps[i : len(cps) - n + 1 + i]
            sorted_keys, ids = self._keys[n - lo]
            if not len(sorted_keys):
                continue
            pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
            found.append(np.where(sorted_keys[pos] == keys, ids[pos], -1))
        return np.concatenate(found) if found else np.empty(0, dtype=np.intp)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_keys": None}


def _gram_keys(vocab: dict[str, int], lo: int, hi: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per n-gram length lo..hi: the vocabulary's n-grams as sorted integer keys, and their ids."""
    out = []
    for n in range(lo, hi + 1):
        grams = [(g, j) for g, j in vocab.items() if len(g) == n]
        keys = np.zeros(len(grams), dtype=np.uint64)
        for i in range(n):
            cps = np.array([ord(g[i]) for g, _ in grams], dtype=np.uint64)
            keys = (keys << np.uint64(21)) | cps
        ids = np.array([j for _, j in grams], dtype=np.intp)
        order = np.argsort(keys, kind="stable")
        out.append((keys[order], ids[order]))
    return out


@dataclass
class _FastPath:
    spaces: list[_FastSpace]
    coef: np.ndarray  # features × classes
    intercept: np.ndarray
    temperature: float
    classes: list[str]
    names: list[str]

    @classmethod
    def build(cls, model: MessageClassifier) -> _FastPath:
        assert model._coef is not None and model._intercept is not None, "fit first"
        spaces, names, offset = [], [], 0
        for s in model._spaces:
            v = s.vectorizer
            spaces.append(
                _FastSpace(
                    pick=s.pick,
                    analyzer=v.analyzer if callable(v.analyzer) else None,
                    ngram=v.ngram_range,
                    vocab={str(g): int(j) for g, j in v.vocabulary_.items()},  # numpy scalars look up slowly
                    idf=np.asarray(v.idf_, dtype=np.float64),
                    sublinear=bool(v.sublinear_tf),
                    weight=s.weight,
                    offset=offset,
                )
            )
            names += [str(n).strip() for n in v.get_feature_names_out()]
            offset += len(v.vocabulary_)
        coef, intercept = model._coef, model._intercept
        return cls(spaces, np.ascontiguousarray(coef.T), intercept, model.temperature_, model.classes_, names)

    def _vectorise(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        parts = [s.vectorise(doc) for s in self.spaces]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def predict_one(self, doc: Doc, *, k: int = 5) -> tuple[str, float, list[tuple[str, float]]]:
        idx, vals = self._vectorise(doc)
        rows = self.coef[idx]
        scores = vals @ rows + self.intercept
        z = (scores - scores.max()) * self.temperature
        proba = np.exp(z)
        proba /= proba.sum()
        c = int(scores.argmax())
        return self.classes[c], float(proba[c]), self._terms(idx, vals * rows[:, c], k)

    def explain(self, doc: Doc, c: int, *, k: int = 5) -> list[tuple[str, float]]:
        idx, vals = self._vectorise(doc)
        return self._terms(idx, vals * self.coef[idx, c], k)

    def _terms(self, idx: np.ndarray, contrib: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Readable evidence: the same n-gram in title and body summed, Chinese characters only,
        and no term that overlaps (contains or is part of) one already shown."""
        if k <= 0 or not len(idx):
            return []
        keep = np.argsort(-contrib)[: 8 * k]
        summed: dict[str, float] = {}
        for i in keep:
            name = self.names[idx[i]]
            if contrib[i] > 0 and _is_han(name):
                summed[name] = summed.get(name, 0.0) + float(contrib[i])
        chosen: list[tuple[str, float]] = []
        for name, w in sorted(summed.items(), key=lambda t: -t[1]):
            if not any(name in c or c in name for c, _ in chosen):
                chosen.append((name, round(w, 4)))
                if len(chosen) == k:
                    break
        return chosen


@dataclass
class BaselineClassifier:
    """The reference point: character 1-3-gram TF-IDF over title+body, plain LinearSVC."""

    name = "baseline: char 1-3-gram TF-IDF + LinearSVC"
    _vec: TfidfVectorizer | None = None
    _svm: LinearSVC | None = None

    def fit(
        self, docs: Sequence[Doc], labels: Sequence[str], *, prior: Sequence[tuple[str, str]] = ()
    ) -> BaselineClassifier:
        self._vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
        self._svm = LinearSVC(random_state=0)
        self._svm.fit(self._vec.fit_transform([_both(d) for d in docs]), list(labels))
        return self

    def predict(self, docs: Sequence[Doc]) -> list[str]:
        assert self._vec is not None and self._svm is not None, "fit first"
        return [str(x) for x in self._svm.predict(self._vec.transform([_both(d) for d in docs]))]


def default_classifier() -> MessageClassifier:
    return MessageClassifier()


# -- category catalogue as prior text ------------------------------------------------------------


def prior_from_catalogue(rows: Iterable[Sequence[str]]) -> list[tuple[str, str]]:
    """Rows of (label, name, name, …) → short weak texts of that label: each row's names together
    ("name name …"), then each name that stands under one label only on its own (a second-level
    name is shared by all its rows, and on its own it is as plain as a message title)."""
    out: list[tuple[str, str]] = []
    labels_of: dict[str, set[str]] = {}
    for row in rows:
        label, *names = (normalise(c) for c in row)
        text = " ".join(n for n in names if n)
        if label and text:
            out.append((text, label))
            for n in names:
                if n:
                    labels_of.setdefault(n, set()).add(label)
    whole = set(out)
    for name, labels in labels_of.items():
        if len(labels) == 1 and (name, *labels) not in whole:
            out.append((name, next(iter(labels))))
    return out


# -- evaluation --------------------------------------------------------------------------------


@contextmanager
def one_core() -> Any:
    """Pin this process to one CPU and BLAS/OpenMP to one thread, for honest latency figures."""
    from threadpoolctl import threadpool_limits

    saved = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        if saved:
            os.sched_setaffinity(0, {min(saved)})
        with threadpool_limits(limits=1):
            yield
    finally:
        if saved:
            os.sched_setaffinity(0, saved)


def measure_latency(model: MessageClassifier, docs: Sequence[Doc], *, limit: int = 1000) -> dict[str, float]:
    """Classify messages one at a time, as intake does; milliseconds per message."""
    sample = list(docs[:limit]) or [Doc("", "")]
    wall: list[float] = []
    cpu: list[float] = []
    with one_core():
        model.predict_one(sample[0].title, sample[0].body)  # warm-up (jieba dictionary, caches)
        for d in sample:
            t0, c0 = time.perf_counter(), time.thread_time()
            model.predict_one(d.title, d.body)
            cpu.append((time.thread_time() - c0) * 1000)
            wall.append((time.perf_counter() - t0) * 1000)

    def pct(values: list[float], q: float) -> float:
        values = sorted(values)
        return round(values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))], 3)

    # wall clock is what intake waits; CPU time is the work itself, without other processes'
    # share of the core (both are reported: on a busy machine they differ)
    return {
        "ms_per_doc_p50": pct(wall, 0.5),
        "ms_per_doc_p99": pct(wall, 0.99),
        "cpu_ms_per_doc_p50": pct(cpu, 0.5),
        "cpu_ms_per_doc_p99": pct(cpu, 0.99),
        "latency_sample": len(wall),
    }


def _scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    labels = sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro")), 4),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "per_class": {
            lab: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(s[i]),
            }
            for i, lab in enumerate(labels)
        },
    }


Factory = Callable[[], Any]


def evaluate_split(
    train_docs: Sequence[Doc],
    train_labels: Sequence[str],
    test_docs: Sequence[Doc],
    test_labels: Sequence[str],
    *,
    prior: Sequence[tuple[str, str]] = (),
    make: Factory = default_classifier,
    latency: bool = True,
) -> dict[str, Any]:
    t0 = time.perf_counter()
    model = make().fit(train_docs, train_labels, prior=prior)
    train_seconds = time.perf_counter() - t0
    report: dict[str, Any] = {
        "mode": "train/test",
        "model": model.describe(),
        "n_train": len(train_docs),
        "n_test": len(test_docs),
        "n_prior": sum(1 for _, lab in prior if lab in set(train_labels)),
        "classes": model.classes_,
        **_scores(test_labels, model.predict(test_docs)),
        "train_seconds": round(train_seconds, 3),
    }
    base = BaselineClassifier().fit(train_docs, train_labels)
    report["baseline"] = {"model": base.name, **_scores(test_labels, base.predict(test_docs))}
    report["baseline"].pop("per_class")
    if latency:
        report.update(measure_latency(model, test_docs))
    return report


def evaluate_cv(
    docs: Sequence[Doc],
    labels: Sequence[str],
    *,
    folds: int = 5,
    repeats: int = 1,
    seed: int = 0,
    prior: Sequence[tuple[str, str]] = (),
    make: Factory = default_classifier,
    latency: bool = True,
) -> dict[str, Any]:
    """Stratified k-fold cross-validation (optionally repeated), the baseline on the same folds.

    ``macro_f1`` is the mean over folds (``macro_f1_std`` its spread, ``macro_f1_repeats`` the
    mean of each repeat's folds, the baseline's likewise); per-class figures and ``accuracy`` pool
    the out-of-fold predictions of all folds and repeats.
    """
    y = np.array(labels)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    fold_f1, base_f1, base_acc, train_secs, n_train = [], [], [], [], []
    pooled_true: list[str] = []
    pooled_pred: list[str] = []
    last_model = None
    last_test: list[Doc] = []
    for tr, te in splitter.split(np.zeros(len(y)), y):
        tr_docs, te_docs = [docs[i] for i in tr], [docs[i] for i in te]
        t0 = time.perf_counter()
        model = make().fit(tr_docs, list(y[tr]), prior=prior)
        train_secs.append(time.perf_counter() - t0)
        pred = model.predict(te_docs)
        fold_f1.append(f1_score(y[te], pred, labels=sorted(set(y[te])), average="macro"))
        pooled_true += list(y[te])
        pooled_pred += pred
        base = BaselineClassifier().fit(tr_docs, list(y[tr]))
        bpred = base.predict(te_docs)
        base_f1.append(f1_score(y[te], bpred, labels=sorted(set(y[te])), average="macro"))
        base_acc.append(accuracy_score(y[te], bpred))
        n_train.append(len(tr))
        last_model, last_test = model, te_docs
    pooled = _scores(pooled_true, pooled_pred)
    report: dict[str, Any] = {
        "mode": "cross-validation",
        "model": last_model.describe() if last_model else "",
        "folds": folds,
        "repeats": repeats,
        "n_train": round(statistics.mean(n_train)),
        "n_test": len(pooled_true),
        "n_prior": sum(1 for _, lab in prior if lab in set(labels)),
        "classes": sorted(set(labels)),
        "macro_f1": round(float(np.mean(fold_f1)), 4),
        "macro_f1_std": round(float(np.std(fold_f1)), 4),
        "macro_f1_repeats": _per_repeat(fold_f1, folds),
        "macro_f1_pooled": pooled["macro_f1"],
        "accuracy": pooled["accuracy"],
        "per_class": pooled["per_class"],
        "train_seconds": round(float(np.mean(train_secs)), 3),
        "baseline": {
            "model": BaselineClassifier.name,
            "macro_f1": round(float(np.mean(base_f1)), 4),
            "macro_f1_std": round(float(np.std(base_f1)), 4),
            "macro_f1_repeats": _per_repeat(base_f1, folds),
            "accuracy": round(float(np.mean(base_acc)), 4),
        },
    }
    if latency and last_model is not None:
        report.update(measure_latency(last_model, last_test))
    return report


def _per_repeat(fold_scores: Sequence[float], folds: int) -> list[float]:
    """The folds come repeat by repeat: the mean of each run of ``folds``."""
    return [round(float(np.mean(fold_scores[i : i + folds])), 4) for i in range(0, len(fold_scores), folds)]


# -- model files -------------------------------------------------------------------------------


def dump_model(model: MessageClassifier, *, metrics: dict[str, Any] | None = None) -> bytes:
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sklearn": sklearn.__version__,
        "classes": model.classes_,
        "description": model.describe(),
        "metrics": metrics or {},
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    return MAGIC + json.dumps(header, ensure_ascii=False).encode() + b"\n" + payload


def read_header(data: bytes) -> tuple[dict[str, Any], bytes]:
    if not data.startswith(MAGIC):
        raise ModelFormatError("not a zhili classifier model file")
    stream = io.BytesIO(data[len(MAGIC) :])
    try:
        header = json.loads(stream.readline())
    except ValueError:
        raise ModelFormatError("damaged model file: unreadable header") from None
    return header, stream.read()


def load_model_bytes(data: bytes) -> tuple[MessageClassifier, dict[str, Any]]:
    """Check the header, then unpickle. Trusted sources only (see the module docstring)."""
    header, payload = read_header(data)
    version = header.get("format_version")
    if header.get("format") != FORMAT or version != FORMAT_VERSION:
        raise ModelFormatError(
            f"model file format version {version}; this version of zhili reads version "
            f"{FORMAT_VERSION}: train the model again"
        )
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise ModelFormatError("damaged model file: checksum mismatch")
    model = pickle.loads(payload)  # noqa: S301 - trusted by contract, header checked first
    if not isinstance(model, MessageClassifier):
        raise ModelFormatError("the model file does not hold a zhili classifier")
    return model, header


def save_model(path: str | os.PathLike[str], model: MessageClassifier, **kw: Any) -> None:
    data = dump_model(model, **kw)
    tmp = f"{os.fspath(path)}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def load_model(path: str | os.PathLike[str]) -> tuple[MessageClassifier, dict[str, Any]]:
    with open(path, "rb") as fh:
        return load_model_bytes(fh.read())
