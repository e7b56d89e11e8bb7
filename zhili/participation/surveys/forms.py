"""Forms of the staff editor, and the parser of the resident's answering form.

The editor is a plain form: one question at a time, its options typed one per line. The
answering page is rendered by hand (one block per question) and read back by ``answers_from_post``
into the raw shapes ``rules.clean_answers`` validates, the same shapes the API accepts.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhili.participation.surveys.actions import parse_options
from zhili.participation.surveys.models import Question, Section, Survey
from zhili.participation.surveys.rules import CONDITION_KINDS, MAX_TEXT_LENGTH, QuestionKind
from zhili.residents.models import Tag
from zhili.territory.models import Node

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SurveyForm(forms.Form):
    node: forms.ModelChoiceField[Node] = forms.ModelChoiceField(
        queryset=Node.objects.none(), label=_("Territory (who is asked)")
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=pgettext_lazy("explanatory text", "Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    anonymous = forms.BooleanField(
        label=_("Anonymous"),
        required=False,
        initial=True,
        help_text=_("Answers are stored without the respondent's name."),
    )
    opens_at = forms.DateTimeField(
        label=_("Opens at"), required=False, widget=DATETIME_WIDGET, help_text=_("Empty: when published.")
    )
    closes_at = forms.DateTimeField(label=_("Closes at"), required=False, widget=DATETIME_WIDGET)
    min_age = forms.IntegerField(label=_("Minimum age"), required=False, min_value=0, max_value=150)
    max_age = forms.IntegerField(label=_("Maximum age"), required=False, min_value=0, max_value=150)
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.none(),
        label=_("Only residents with one of these tags"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self, *args: Any, nodes: Any = None, tags: Any = None, survey: Survey | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        if survey is not None:
            del self.fields["node"]
        else:
            self.fields["node"].queryset = nodes  # type: ignore[attr-defined]
        tag_field = self.fields["tags"]
        tag_field.queryset = tags if tags is not None else Tag.objects.none()  # type: ignore[attr-defined]


class SectionForm(forms.Form):
    title = forms.CharField(label=_("Section title"), max_length=200)
    description = forms.CharField(
        label=pgettext_lazy("explanatory text", "Description"), max_length=1000, required=False
    )


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("Question"), max_length=500)
    help_text = forms.CharField(label=_("Explanation"), max_length=300, required=False)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    options = forms.CharField(
        label=_("Options, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For single choice, multiple choice and ranking."),
    )
    min_choices = forms.IntegerField(label=_("At least (choices)"), required=False, min_value=0, max_value=30)
    max_choices = forms.IntegerField(
        label=_("At most (choices)"),
        required=False,
        min_value=0,
        max_value=30,
        help_text=_("0 or empty: no limit."),
    )
    scale_min = forms.IntegerField(
        label=_("Scale from"), required=False, min_value=-10, max_value=10, initial=1
    )
    scale_max = forms.IntegerField(
        label=_("Scale to"), required=False, min_value=-10, max_value=10, initial=5
    )
    scale_min_label = forms.CharField(label=_("Label of the lowest point"), max_length=40, required=False)
    scale_max_label = forms.CharField(label=_("Label of the highest point"), max_length=40, required=False)
    max_length = forms.IntegerField(
        label=_("Maximum length (characters)"),
        required=False,
        min_value=1,
        max_value=MAX_TEXT_LENGTH,
        initial=500,
    )
    section = forms.ChoiceField(label=_("Section"), required=False)
    condition = forms.ChoiceField(
        label=_("Show only if"), required=False, help_text=_("Empty: always shown.")
    )

    def __init__(self, *args: Any, survey: Survey, question: Question | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        sections = list(survey.sections.order_by("position", "id"))
        self.fields["section"].choices = [("", _("(no section)"))] + [(str(s.pk), s.title) for s in sections]  # type: ignore[attr-defined]
        earlier = survey.questions.filter(kind__in=CONDITION_KINDS).order_by("position", "id")
        if question is not None:
            earlier = earlier.filter(position__lt=question.position)
        choices: list[tuple[str, str]] = [("", "—")]
        for q in earlier:
            for index, label in enumerate(q.option_labels()):
                choices.append((f"{q.pk}:{index}", f"{q.text[:30]} = {label}"))
        self.fields["condition"].choices = choices  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(question: Question) -> dict[str, Any]:
        condition = ""
        if question.condition_question_id and question.condition_values:
            condition = f"{question.condition_question_id}:{question.condition_values[0]}"
        return {
            "kind": question.kind,
            "text": question.text,
            "help_text": question.help_text,
            "required": question.required,
            "options": "\n".join(question.option_labels()),
            "min_choices": question.min_choices,
            "max_choices": question.max_choices,
            "scale_min": question.scale_min,
            "scale_max": question.scale_max,
            "scale_min_label": question.scale_min_label,
            "scale_max_label": question.scale_max_label,
            "max_length": question.max_length,
            "section": str(question.section_id or ""),
            "condition": condition,
        }

    def values(self) -> dict[str, Any]:
        """What the action takes (``do_add_question`` / ``do_update_question``)."""
        data = self.cleaned_data
        section = None
        if data.get("section"):
            section = Section.objects.filter(survey=self.survey, pk=int(data["section"])).first()
        condition_question = None
        condition_values: list[int] = []
        if data.get("condition"):
            qid, index = data["condition"].split(":")
            condition_question = Question.objects.filter(survey=self.survey, pk=int(qid)).first()
            condition_values = [int(index)]

        def number(name: str, default: int) -> int:
            value = data.get(name)
            return default if value is None else int(value)

        return {
            "kind": data["kind"],
            "text": data["text"].strip(),
            "help_text": data.get("help_text", "").strip(),
            "required": bool(data.get("required")),
            "options": parse_options(data.get("options") or ""),
            "min_choices": number("min_choices", 0),
            "max_choices": number("max_choices", 0),
            "scale_min": number("scale_min", 1),
            "scale_max": number("scale_max", 5),
            "scale_min_label": data.get("scale_min_label", ""),
            "scale_max_label": data.get("scale_max_label", ""),
            "max_length": number("max_length", 500),
            "section": section,
            "condition_question": condition_question,
            "condition_values": condition_values,
        }


def field_name(question: Question) -> str:
    return f"q{question.pk}"


def rank_field_name(question: Question, index: int) -> str:
    return f"q{question.pk}_r{index}"


def answers_from_post(questions: list[Question], post: QueryDict) -> dict[int, Any]:
    """The raw answers of the answering form, by question id (validated later by the action)."""
    raw: dict[int, Any] = {}
    for q in questions:
        name = field_name(q)
        if q.kind == QuestionKind.MULTIPLE:
            raw[q.pk] = post.getlist(name)
        elif q.kind == QuestionKind.RANKING:
            ranks = [post.get(rank_field_name(q, i), "").strip() for i in range(len(q.options))]
            if not any(ranks):
                raw[q.pk] = None
            elif sorted(ranks) == sorted(str(n) for n in range(1, len(ranks) + 1)):
                # option indices ordered by the rank given to each
                raw[q.pk] = [i for _rank, i in sorted((int(r), i) for i, r in enumerate(ranks))]
            else:
                raw[q.pk] = "unranked"  # a place given twice or left out: refused by the rules
        else:
            raw[q.pk] = post.get(name)
    return raw
