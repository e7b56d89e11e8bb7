"""The classification interface the case loop calls at intake.

``classify`` returns a ``Prediction`` or ``None`` when it has no opinion; the case loop then
leaves the case for the dispatcher. With an active trained version (``ClassifierModel``) the model
decides; before there is one (a fresh install), the keyword rules attached to the category tree
do, and they do too while the active version is a model file this version of zhili cannot read
(one of an older format, until the next retraining). Below ``ZHILI_CLASSIFIER_MIN_CONFIDENCE`` it
abstains: ``None``, or, for a caller that asks with ``keep_guess=True`` (intake, to show the
dispatcher), its best guess marked ``below_threshold``. Such a guess is a hint for a person only: it
never sets a category nor takes part in dispatch.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from django.db import connection

from zhili.core import stamped
from zhili.intelligence import conf
from zhili.intelligence.textclf import MessageClassifier, ModelFormatError, load_model_bytes, normalise

if TYPE_CHECKING:
    from zhili.intelligence.selectors import CategoryInfo

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prediction:
    category_code: str  # code of the leaf (or deepest known) node of cases.Category
    confidence: float  # 0..1
    department_code: str | None = None
    top_features: list[tuple[str, float]] = field(default_factory=list)
    model_version: str = ""
    # The best guess of a classifier that abstains (only with ``classify(..., keep_guess=True)``).
    below_threshold: bool = False


# the unpickled active model, by version id: loading takes longer than classifying (None: the
# version's file cannot be read, so that it is not read again for every message)
_cache: dict[int, MessageClassifier | None] = {}
_lock = threading.Lock()

KEYWORDS_VERSION = "keywords"
# Keyword rules are never as sure as a person: a lone long match reaches this, never 1.0.
KEYWORD_CEILING = 0.9


def _active_model_sql() -> str:
    from zhili.intelligence.models import ClassifierModel

    # Plain SQL: it runs on every intake, and the ORM would spend more compiling it than running it.
    table = connection.ops.quote_name(ClassifierModel._meta.db_table)
    return f"SELECT id FROM {table} WHERE active LIMIT 1"


stamped.register("intelligence.classifier", _active_model_sql)


def _active_model() -> tuple[int, MessageClassifier] | None:
    from zhili.intelligence.models import ClassifierModel

    active = stamped.read("intelligence.classifier")
    if not active:
        return None
    pk = int(active)
    with _lock:
        if pk not in _cache:
            blob = ClassifierModel.objects.values_list("blob", flat=True).get(pk=pk)
            model: MessageClassifier | None
            try:
                model, _header = load_model_bytes(bytes(blob))
            except ModelFormatError as exc:
                logger.warning("classifier version %s unusable (%s): keyword rules decide", pk, exc)
                model = None
            _cache.clear()
            _cache[pk] = model
        model = _cache[pk]
    return None if model is None else (pk, model)


def classify(
    title: str, body: str, location: tuple[float, float] | None = None, *, keep_guess: bool = False
) -> Prediction | None:
    """The category of a message, or ``None`` when the classifier has no opinion or is not sure
    enough. With ``keep_guess`` a guess below the threshold comes back marked ``below_threshold``
    instead of ``None`` (a prediction above it never is)."""
    from zhili.intelligence.selectors import categories

    cats = categories()
    active = _active_model()
    prediction: Prediction | None
    if active is not None:
        pk, model = active
        label, confidence, terms = model.predict_one(title, body)
        info = cats.get(label)
        if info is None:  # the category was retired since training
            return None
        prediction = Prediction(label, confidence, info.department_code, terms, f"m{pk}")
    else:
        prediction = classify_by_keywords(title, body, cats)
    if prediction is None:
        return None
    if prediction.confidence < conf.min_confidence():
        return replace(prediction, below_threshold=True) if keep_guess else None
    return prediction


def classify_by_keywords(
    title: str, body: str, cats: dict[str, CategoryInfo] | None = None
) -> Prediction | None:
    """Cold start: each keyword found scores its length (twice in the title); the best category
    wins with its share of all scores, scaled down when the evidence is thin."""
    from zhili.intelligence.selectors import categories

    cats = categories() if cats is None else cats
    t, b = normalise(title).lower(), normalise(body).lower()
    scores: dict[str, float] = {}
    hits: dict[str, list[tuple[str, float]]] = {}
    for code, info in cats.items():
        for kw, k in info.match_keywords:
            weight = len(k) * (2 if k in t else 1 if k in b else 0)
            if weight:
                scores[code] = scores.get(code, 0.0) + weight
                hits.setdefault(code, []).append((kw, float(weight)))
    if not scores:
        return None
    best = max(scores, key=lambda c: (scores[c], len(cats[c].names)))  # ties: the deeper category
    share = scores[best] / sum(scores.values())
    evidence = min(1.0, scores[best] / 6)  # a three-character keyword in the title: 1.0
    confidence = round(KEYWORD_CEILING * share * evidence, 4)
    terms = sorted(hits[best], key=lambda h: -h[1])[:5]
    return Prediction(best, confidence, cats[best].department_code, terms, KEYWORDS_VERSION)
