"""Possible duplicates: open cases like a new one in words, near it on the map, and recent.

score = text similarity × distance decay × recency decay, each in 0..1:

- text: cosine of character 2-3-gram TF-IDF (title and body), fitted on the candidates at hand;
- distance: ``exp(-d / distance_scale_m)``; when either case has no point, a neutral 0.5;
- recency: halves every ``half_life_days`` of age of the older case.

Pure functions; the dispatcher's view and intake pass open cases of the same street.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from zhili.intelligence.textclf import normalise

UNKNOWN_DISTANCE = 0.5


@dataclass(frozen=True)
class CaseText:
    id: str | int
    title: str
    body: str
    time: datetime
    lat: float | None = None
    lng: float | None = None


@dataclass(frozen=True)
class Match:
    id: str | int
    score: float
    text: float
    distance_m: float | None
    age_days: float


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))


def _text(c: CaseText) -> str:
    title = normalise(c.title)
    return f"{title} {title} {normalise(c.body)}"


def similar_cases(
    query: CaseText,
    candidates: Sequence[CaseText],
    *,
    distance_scale_m: float = 300.0,
    half_life_days: float = 7.0,
    min_score: float = 0.15,
    limit: int = 5,
) -> list[Match]:
    """The candidates most likely to be the same request as ``query``, best first."""
    others = [c for c in candidates if c.id != query.id]
    if not others:
        return []
    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True)
    X = vec.fit_transform([_text(query), *(_text(c) for c in others)])
    text = np.asarray((X[1:] @ X[0].T).todense()).ravel()
    out = []
    for c, t in zip(others, text, strict=True):
        d = None
        if None not in (query.lat, query.lng, c.lat, c.lng):
            d = distance_m(query.lat, query.lng, c.lat, c.lng)  # type: ignore[arg-type]
        near = math.exp(-d / distance_scale_m) if d is not None else UNKNOWN_DISTANCE
        age = abs((query.time - c.time).total_seconds()) / 86400
        recent = math.pow(0.5, age / half_life_days)
        score = float(t) * near * recent
        if score >= min_score:
            out.append(Match(c.id, round(score, 4), round(float(t), 4), d and round(d, 1), round(age, 2)))
    out.sort(key=lambda m: -m.score)
    return out[:limit]
