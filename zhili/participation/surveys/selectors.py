"""Reads of surveys: questions in order, results, cross-tabs, free-text groups.

Cross-tabs use the grid and community recorded on each response when it was given (not the
respondent's identity, which an anonymous response does not have). In an anonymous survey a
group of fewer than ``MIN_GROUP`` respondents is folded into one "small groups" row, so that a
cross-tab cannot single out the two people of a small grid.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _

from zhili.participation.surveys.audience import audience_persons
from zhili.participation.surveys.models import Answer, Participation, Question, Response, Section, Survey
from zhili.participation.surveys.rules import QuestionKind
from zhili.participation.surveys.textgroups import group_texts
from zhili.territory.models import Node

MIN_GROUP = 5
CROSSTAB_BY = ("community", "grid")


def questions_of(survey: Survey) -> list[Question]:
    return list(survey.questions.select_related("section", "condition_question").order_by("position", "id"))


def sections_with_questions(survey: Survey) -> list[tuple[Section | None, list[Question]]]:
    """The questions in order, grouped under their sections (questions without one come first)."""
    questions = questions_of(survey)
    loose = [q for q in questions if q.section_id is None]
    sections = list(
        survey.sections.prefetch_related(
            Prefetch("questions", queryset=Question.objects.order_by("position", "id"))
        ).order_by("position", "id")
    )
    by_section: dict[int, list[Question]] = defaultdict(list)
    for q in questions:
        if q.section_id is not None:
            by_section[q.section_id].append(q)
    out: list[tuple[Section | None, list[Question]]] = []
    if loose:
        out.append((None, loose))
    out.extend((section, by_section[section.pk]) for section in sections if by_section[section.pk])
    return out


def response_count(survey: Survey) -> int:
    return Participation.objects.filter(survey=survey).count()


def has_answered(survey: Survey, person_id: int) -> bool:
    return Participation.objects.filter(survey=survey, person_id=person_id).exists()


def staff_list(surveys: Any) -> list[Survey]:
    rows = list(
        surveys.select_related("node").annotate(answered=Count("participations")).order_by("-created_at")
    )
    return rows


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    # single / multiple: (option, count, percent of those who answered)
    options: list[tuple[str, int, float]] = field(default_factory=list)
    # ranking: (option, average rank, first places, points), best first
    ranking: list[tuple[str, float, int, int]] = field(default_factory=list)
    # scale: (point, count), mean
    points: list[tuple[int, int]] = field(default_factory=list)
    mean: float | None = None
    texts: list[str] = field(default_factory=list)
    groups: list[Any] = field(default_factory=list)

    def _share(self, count: int) -> float:
        return round(100 * count / self.answered, 1) if self.answered else 0.0

    @property
    def point_rows(self) -> list[tuple[int, int, float]]:
        """Scale: (point, count, percent of those who answered)."""
        return [(point, count, self._share(count)) for point, count in self.points]

    @property
    def ranking_rows(self) -> list[tuple[str, float, int, float, int]]:
        """Ranking: (option, average place, first places, percent ranking it first, points)."""
        return [
            (o, average, firsts, self._share(firsts), points) for o, average, firsts, points in self.ranking
        ]

    def chart(self) -> dict[str, Any]:
        """What the page hands to ECharts (plain JSON)."""
        kind = self.question.kind
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            return {
                "type": "pie" if kind == QuestionKind.SINGLE else "bar",
                "labels": [o for o, _n, _p in self.options],
                "values": [n for _o, n, _p in self.options],
            }
        if kind == QuestionKind.RANKING:
            return {
                "type": "bar",
                "labels": [o for o, _a, _f, _p in self.ranking],
                "values": [p for _o, _a, _f, p in self.ranking],
            }
        if kind == QuestionKind.SCALE:
            return {
                "type": "bar",
                "labels": [str(p) for p, _n in self.points],
                "values": [n for _p, n in self.points],
            }
        return {"type": "none"}


@dataclass
class Results:
    survey: Survey
    responses: int
    audience: int
    questions: list[QuestionResult]
    by_day: list[tuple[str, int]]

    @property
    def rate(self) -> float:
        return round(100 * self.responses / self.audience, 1) if self.audience else 0.0


def _answers(survey: Survey) -> Any:
    return Answer.objects.filter(response__survey=survey).values_list(
        "question_id", "choices", "number", "text", "response__grid_id", "response__community_id"
    )


def results(survey: Survey, *, group_text: bool = True) -> Results:
    questions = questions_of(survey)
    per: dict[int, QuestionResult] = {q.pk: QuestionResult(q) for q in questions}
    option_counts: dict[int, Counter[int]] = defaultdict(Counter)
    rank_sums: dict[int, Counter[int]] = defaultdict(Counter)
    firsts: dict[int, Counter[int]] = defaultdict(Counter)
    numbers: dict[int, Counter[int]] = defaultdict(Counter)
    for qid, choices, number, text, _grid, _community in _answers(survey).iterator(chunk_size=2000):
        result = per.get(qid)
        if result is None:
            continue
        result.answered += 1
        kind = result.question.kind
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            option_counts[qid].update(choices)
        elif kind == QuestionKind.RANKING:
            for place, option in enumerate(choices, start=1):
                rank_sums[qid][option] += place
            if choices:
                firsts[qid][choices[0]] += 1
        elif kind == QuestionKind.SCALE and number is not None:
            numbers[qid][number] += 1
        elif kind == QuestionKind.TEXT:
            result.texts.append(text)
    for q in questions:
        result = per[q.pk]
        labels = q.option_labels()
        n = result.answered
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            result.options = [
                (label, option_counts[q.pk][i], round(100 * option_counts[q.pk][i] / n, 1) if n else 0.0)
                for i, label in enumerate(labels)
            ]
        elif q.kind == QuestionKind.RANKING:
            size = len(labels)
            rows = []
            for i, label in enumerate(labels):
                average = round(rank_sums[q.pk][i] / n, 2) if n else 0.0
                # Borda points: first place earns size - 1, last earns 0.
                points = n * size - rank_sums[q.pk][i] if n else 0
                rows.append((label, average, firsts[q.pk][i], points))
            result.ranking = sorted(rows, key=lambda r: (-r[3], r[0]))
        elif q.kind == QuestionKind.SCALE:
            result.points = [(p, numbers[q.pk][p]) for p in range(q.scale_min, q.scale_max + 1)]
            total = sum(p * c for p, c in result.points)
            result.mean = round(total / n, 2) if n else None
        elif q.kind == QuestionKind.TEXT and group_text:
            result.groups = group_texts(result.texts)
    by_day = [
        (day.isoformat(), count)
        for day, count in Response.objects.filter(survey=survey)
        .values_list("submitted_on")
        .annotate(n=Count("pk"))
        .order_by("submitted_on")
        .values_list("submitted_on", "n")
    ]
    return Results(
        survey=survey,
        responses=response_count(survey),
        audience=audience_persons(survey).count(),
        questions=[per[q.pk] for q in questions],
        by_day=by_day,
    )


@dataclass
class CrossTab:
    question: Question
    by: str
    columns: list[str]  # option labels, or scale points, and for a scale also the mean
    rows: list[tuple[str, int, list[Any]]]  # (group name, respondents, cells)
    folded: int = 0  # respondents in groups too small to show (anonymous surveys)


def public_results(survey: Survey) -> Results:
    """The results residents may read once published: figures only, no free-text answer."""
    result = results(survey, group_text=False)
    for item in result.questions:
        item.texts = []
        item.groups = []
    result.by_day = []
    return result


def crosstab(survey: Survey, question: Question, by: str = "community", *, public: bool = False) -> CrossTab:
    """Answers of one choice or scale question split by the community or grid of the response.

    ``public`` (the residents' page): groups are folded whether or not the survey is anonymous,
    and the folded row itself holds at least ``MIN_GROUP`` respondents (the smallest shown groups
    join it), so that it cannot be read as one small group either.
    """
    if by not in CROSSTAB_BY:
        by = "community"
    field_name = "response__grid_id" if by == "grid" else "response__community_id"
    rows = Answer.objects.filter(question=question).values_list(field_name, "choices", "number")
    groups: dict[int | None, list[tuple[list[int], int | None]]] = defaultdict(list)
    for node_id, choices, number in rows.iterator(chunk_size=2000):
        groups[node_id].append((choices, number))
    names = dict(Node.objects.filter(pk__in=[k for k in groups if k is not None]).values_list("pk", "name"))
    if question.kind == QuestionKind.SCALE:
        points = list(range(question.scale_min, question.scale_max + 1))
        columns = [str(p) for p in points] + [_("Mean")]
    else:
        points = list(range(len(question.options)))
        columns = question.option_labels()

    def cells(items: list[tuple[list[int], int | None]]) -> list[Any]:
        if question.kind == QuestionKind.SCALE:
            counts = Counter(n for _c, n in items if n is not None)
            mean = round(sum(p * counts[p] for p in points) / len(items), 2) if items else None
            return [counts[p] for p in points] + [mean]
        counts = Counter()
        for choices, _n in items:
            counts.update(choices[:1] if question.kind == QuestionKind.RANKING else choices)
        return [counts[p] for p in points]

    fold = survey.anonymous or public
    shown: list[tuple[int | None, list[tuple[list[int], int | None]]]] = []
    small: list[tuple[list[int], int | None]] = []
    for node_id, items in sorted(groups.items(), key=lambda kv: names.get(kv[0] or 0, "")):
        if fold and len(items) < MIN_GROUP:
            small.extend(items)
            continue
        shown.append((node_id, items))
    if public:
        while small and len(small) < MIN_GROUP and shown:
            smallest = min(shown, key=lambda kv: (len(kv[1]), names.get(kv[0] or 0, "")))
            shown.remove(smallest)
            small.extend(smallest[1])
    table: list[tuple[str, int, list[Any]]] = [
        (names.get(node_id or 0, _("Unknown")), len(items), cells(items)) for node_id, items in shown
    ]
    if small:
        label = (
            _("Smaller groups together")
            if public
            else _("Groups of fewer than %(n)d respondents") % {"n": MIN_GROUP}
        )
        table.append((label, len(small), cells(small)))
    return CrossTab(question=question, by=by, columns=columns, rows=table, folded=len(small))


def crosstab_questions(survey: Survey) -> list[Question]:
    return [
        q
        for q in questions_of(survey)
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.SCALE, QuestionKind.RANKING)
    ]


def respondents_of(survey: Survey) -> list[Participation]:
    """Who answered (staff see this for named surveys; the count only for anonymous ones)."""
    return list(Participation.objects.filter(survey=survey).select_related("person").order_by("responded_at"))
