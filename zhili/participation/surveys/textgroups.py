"""Free-text answers grouped by similarity, so that a few hundred comments read as a few themes.

Character 2-3-gram TF-IDF (the representation of the intelligence app's duplicate finder), cosine
similarity, and leader clustering: each answer joins the most similar existing group whose centre
is at least ``threshold`` alike, else it starts a group. A group is shown by its most central
answer and its commonest words (jieba, when the intelligence tools are installed). Without
scikit-learn every answer stands alone, still counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_STOP = "的 了 和 是 在 我 有 也 就 都 很 不 要 能 会 希望 建议 可以 一些 一下 这个 那个 我们 社区 还是 比较"
STOP_WORDS = frozenset(_STOP.split())


@dataclass
class TextGroup:
    label: str  # the most central answer
    keywords: list[str]
    size: int
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "keywords": self.keywords, "size": self.size, "examples": self.examples}


def _normalise(text: str) -> str:
    try:
        from zhili.intelligence.textclf import normalise
    except ImportError:  # pragma: no cover - the intelligence app is part of the product
        return " ".join(text.split())
    return normalise(text)


def _keywords(texts: Sequence[str], limit: int = 4) -> list[str]:
    try:
        from zhili.intelligence.textclf import word_tokens
    except ImportError:  # pragma: no cover
        return []
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({w for w in word_tokens(text) if len(w) > 1 and w not in STOP_WORDS})
    return [word for word, n in counts.most_common(limit) if n > 1 or len(texts) == 1]


def _distinct_examples(label: str, texts: Sequence[str], limit: int) -> list[str]:
    """Up to ``limit`` texts of a group that differ from its label and from each other.

    Answers that are the same sentence (many residents write "停车难") are one example; the group's
    size already says how often it was written.
    """
    seen = {_key(label)}
    out = []
    for text in texts:
        key = _key(text)
        if key in seen:
            continue
        seen.add(key)
        out.append(text)
        if len(out) == limit:
            break
    return out


def _key(text: str) -> str:
    """What makes two answers the same sentence: case, spaces and punctuation aside."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def group_texts(
    texts: Sequence[str], *, threshold: float = 0.3, examples: int = 3, top: int = 12
) -> list[TextGroup]:
    """The largest ``top`` groups of ``texts``, largest first."""
    items = [_normalise(t) for t in texts if t and t.strip()]
    if not items:
        return []
    try:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
    except ImportError:  # pragma: no cover
        return [TextGroup(label=t, keywords=[], size=1, examples=[]) for t in items[:top]]
    matrix = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True).fit_transform(items)
    dense = matrix.toarray()
    centres: list[Any] = []
    members: list[list[int]] = []
    for i, row in enumerate(dense):
        best, best_sim = -1, threshold
        for g, centre in enumerate(centres):
            norm = float(np.linalg.norm(centre))
            sim = float(row @ centre) / norm if norm else 0.0
            if sim >= best_sim:
                best, best_sim = g, sim
        if best < 0:
            centres.append(row.copy())
            members.append([i])
        else:
            members[best].append(i)
            centres[best] = centres[best] + row
    order = sorted(range(len(members)), key=lambda g: (-len(members[g]), members[g][0]))[:top]
    groups = []
    for g in order:
        idx = members[g]
        centre = centres[g]
        central = max(idx, key=lambda i: (float(dense[i] @ centre), -i))
        texts_in = [items[i] for i in idx]
        groups.append(
            TextGroup(
                label=items[central],
                keywords=_keywords(texts_in),
                size=len(idx),
                examples=_distinct_examples(items[central], [items[i] for i in idx], examples),
            )
        )
    return groups
