"""The classification interface the case loop calls at intake.

``classify`` returns a ``Prediction`` or ``None`` when it has no opinion; the case loop then
leaves the case for the dispatcher. The intelligence work fills this in (keyword rules for a cold
start, then models trained on the platform's own history).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Prediction:
    category_code: str  # code of the leaf (or deepest known) node of cases.Category
    confidence: float  # 0..1
    department_code: str | None = None
    top_features: list[tuple[str, float]] = field(default_factory=list)
    model_version: str = ""


def classify(title: str, body: str, location: tuple[float, float] | None = None) -> Prediction | None:
    return None
