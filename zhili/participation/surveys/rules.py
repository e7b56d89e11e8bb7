"""Answer validation and conditional display, as pure functions over plain values.

The answering page hides conditional questions in the browser; the server decides again here,
with the very same rule, so that a hand-made request cannot answer a question it should not see
or skip one it must answer. Nothing here touches the database: actions hand in ``QuestionSpec``
rows built from the survey and the raw answers from the form or the API.

Raw answers, by kind (the API's JSON and the form parser give the same shapes):

- single: one option index (int, or its text);
- multiple: a list of distinct option indices, ``min_choices ≤ n ≤ max_choices``;
- ranking: every option index exactly once, most preferred first;
- scale: a whole number in ``scale_min … scale_max``;
- text: text, at most ``max_length`` characters once stripped.

An empty value (None, "", []) means "not answered".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class QuestionKind(models.TextChoices):
    SINGLE = "single", gettext_lazy("Single choice")
    MULTIPLE = "multiple", gettext_lazy("Multiple choice")
    RANKING = "ranking", gettext_lazy("Ranking")
    SCALE = "scale", gettext_lazy("Rating scale")
    TEXT = "text", gettext_lazy("Free text")


CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING})
# A condition looks at the answer of an earlier single- or multiple-choice question.
CONDITION_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE})
MAX_TEXT_LENGTH = 2000
MAX_OPTIONS = 30
MAX_SCALE_STEPS = 11


@dataclass(frozen=True)
class QuestionSpec:
    id: int
    kind: str
    required: bool = True
    options: int = 0  # number of options of a choice or ranking question
    min_choices: int = 0
    max_choices: int = 0  # 0: no upper bound beyond the number of options
    scale_min: int = 1
    scale_max: int = 5
    max_length: int = 500
    # Shown only when question ``condition_question`` was answered with one of ``condition_values``.
    condition_question: int | None = None
    condition_values: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class AnswerError:
    question: int
    code: str
    message: str


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def _index(value: Any) -> int | None:
    """An option index or a scale point from JSON or form text; None when it is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if digits.isascii() and digits.isdigit() and len(digits) <= 6:
            return int(text)
    return None


def _indices(value: Any) -> list[int] | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple):
        return None
    out = []
    for item in value:
        index = _index(item)
        if index is None:
            return None
        out.append(index)
    return out


def chosen_options(value: Any) -> set[int]:
    """The options a cleaned single- or multiple-choice answer names (for conditions)."""
    if value is None:
        return set()
    if isinstance(value, int):
        return {value}
    return set(value)


def is_shown(spec: QuestionSpec, cleaned: Mapping[int, Any]) -> bool:
    """A question without a condition is always shown; with one, when its question was answered
    with one of the values. A question whose condition question is itself hidden has no answer
    to look at, so it is hidden too."""
    if spec.condition_question is None:
        return True
    answer = cleaned.get(spec.condition_question)
    return bool(chosen_options(answer) & set(spec.condition_values))


def clean_one(spec: QuestionSpec, value: Any) -> tuple[Any, AnswerError | None]:
    """(cleaned value, None) or (None, error) for one answered question."""

    def error(code: str, message: str) -> tuple[Any, AnswerError]:
        return None, AnswerError(spec.id, code, message)

    if spec.kind == QuestionKind.SINGLE:
        index = _index(value)
        if index is None or not 0 <= index < spec.options:
            return error("bad_option", _("Choose one of the options."))
        return index, None
    if spec.kind == QuestionKind.MULTIPLE:
        indices = _indices(value)
        if indices is None or any(not 0 <= i < spec.options for i in indices):
            return error("bad_option", _("Choose among the options."))
        if len(set(indices)) != len(indices):
            return error("duplicate_option", _("Each option can be chosen once."))
        low = max(spec.min_choices, 1)
        high = spec.max_choices or spec.options
        if len(indices) < low:
            return error("too_few", _("Choose at least %(n)d options.") % {"n": low})
        if len(indices) > high:
            return error("too_many", _("Choose at most %(n)d options.") % {"n": high})
        return sorted(indices), None
    if spec.kind == QuestionKind.RANKING:
        indices = _indices(value)
        if indices is None or sorted(indices) != list(range(spec.options)):
            return error("rank_all", _("Give every option its own place in the ranking."))
        return indices, None
    if spec.kind == QuestionKind.SCALE:
        point = _index(value)
        if point is None or not spec.scale_min <= point <= spec.scale_max:
            return error(
                "out_of_scale",
                _("Choose a point from %(low)d to %(high)d.")
                % {"low": spec.scale_min, "high": spec.scale_max},
            )
        return point, None
    if spec.kind == QuestionKind.TEXT:
        if not isinstance(value, str):
            return error("not_text", _("Write your answer as text."))
        text = value.replace("\x00", "").strip()
        if not text:
            return error("required", _("This question needs an answer."))
        if len(text) > spec.max_length:
            return error("too_long", _("Write at most %(n)d characters.") % {"n": spec.max_length})
        return text, None
    return error("unknown_kind", _("This question cannot be answered."))


def clean_answers(
    specs: Sequence[QuestionSpec], raw: Mapping[Any, Any]
) -> tuple[dict[int, Any], list[AnswerError]]:
    """Validate a whole response: (cleaned answers by question id, errors).

    ``specs`` are in survey order: a condition only looks back. Answers to unknown questions,
    answers to questions the conditions hide, and missing answers to shown required questions
    are errors; an empty answer to an optional or hidden question is simply left out.
    """
    by_key: dict[int, Any] = {}
    errors: list[AnswerError] = []
    known = {spec.id for spec in specs}
    for key, value in raw.items():
        qid = _index(key)
        if qid is None or qid not in known:
            errors.append(AnswerError(qid or 0, "unknown_question", _("This question is not in the survey.")))
            continue
        by_key[qid] = value
    cleaned: dict[int, Any] = {}
    for spec in specs:
        value = by_key.get(spec.id)
        shown = is_shown(spec, cleaned)
        if is_empty(value):
            if shown and spec.required:
                errors.append(AnswerError(spec.id, "required", _("This question needs an answer.")))
            continue
        if not shown:
            errors.append(
                AnswerError(spec.id, "hidden", _("This question does not apply given your earlier answers."))
            )
            continue
        answer, problem = clean_one(spec, value)
        if problem is not None:
            errors.append(problem)
        else:
            cleaned[spec.id] = answer
    return cleaned, errors


def definition_problems(specs: Sequence[QuestionSpec]) -> list[tuple[int, str]]:
    """(question id, code) for every question that cannot be published as it stands."""
    problems: list[tuple[int, str]] = []
    seen: dict[int, QuestionSpec] = {}
    for spec in specs:
        if spec.kind in CHOICE_KINDS and spec.options < 2:
            problems.append((spec.id, "too_few_options"))
        if spec.kind == QuestionKind.MULTIPLE:
            high = spec.max_choices or spec.options
            if spec.min_choices < 0 or high < max(spec.min_choices, 1) or high > max(spec.options, 1):
                problems.append((spec.id, "bad_choice_range"))
        if spec.kind == QuestionKind.SCALE and not (
            spec.scale_min < spec.scale_max and spec.scale_max - spec.scale_min < MAX_SCALE_STEPS
        ):
            problems.append((spec.id, "bad_scale"))
        if spec.condition_question is not None:
            target = seen.get(spec.condition_question)
            if (
                target is None
                or target.kind not in CONDITION_KINDS
                or not spec.condition_values
                or any(not 0 <= v < target.options for v in spec.condition_values)
            ):
                problems.append((spec.id, "bad_condition"))
        seen[spec.id] = spec
    return problems
