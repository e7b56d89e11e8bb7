"""Who a survey asks: computed from the resident registry, never from a list typed by hand.

The audience is every person of the registry who lives (household → building → grid) below the
survey's node, has not moved out and is not an anonymised record, is within the age range on the
survey's opening day (full years, 周岁), and, when the survey names tags, carries one of them
(sealed sensitive tags included, through ``zhili.residents.tags``). A resident answers through
the verified link between their login and their registry entry (``ResidentAccount``).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhili.participation.elections.rules import age_on
from zhili.participation.surveys.models import Survey
from zhili.residents.models import Person
from zhili.residents.tags import persons_with_tag, tags_by_person


class Ineligible:
    """Stable codes of why a person is not in a survey's audience."""

    OUTSIDE = "outside_territory"
    MOVED_OUT = "moved_out"
    AGE = "age"
    TAGS = "tags"


def reference_day(survey: Survey) -> date:
    """The day ages are counted on: the opening day (the audience does not shift while open)."""
    if survey.opens_at is not None:
        return timezone.localdate(survey.opens_at)
    return timezone.localdate()


def years_before(day: date, years: int) -> date:
    """The same calendar date ``years`` earlier; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 2, 28)


def _base(survey: Survey, today: date) -> QuerySet[Person]:
    return Person.objects.filter(
        household__building__grid__path__startswith=survey.node.path,
        anonymised_at__isnull=True,
    ).filter(Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=today))


def audience_persons(survey: Survey, *, today: date | None = None) -> QuerySet[Person]:
    today = today or timezone.localdate()
    persons = _base(survey, today)
    day = reference_day(survey)
    if survey.min_age is not None:
        # age ≥ n  ⟺  born on or before the same date n years earlier
        persons = persons.filter(birth_date__lte=years_before(day, survey.min_age))
    if survey.max_age is not None:
        # age ≤ n  ⟺  not yet n + 1  ⟺  born after the same date n + 1 years earlier
        persons = persons.filter(birth_date__gt=years_before(day, survey.max_age + 1))
    tags = list(survey.audience_tags.all())
    if tags:
        ids: set[int] = set()
        for tag in tags:
            ids.update(persons_with_tag(persons, tag).values_list("pk", flat=True))
        persons = persons.filter(pk__in=ids)
    return persons


def ineligibility(survey: Survey, person: Person, *, today: date | None = None) -> str | None:
    """Why ``person`` is not in the audience (a code of ``Ineligible``), or None."""
    today = today or timezone.localdate()
    if not _base(survey, today).filter(pk=person.pk).exists():
        outside = not Person.objects.filter(
            pk=person.pk, household__building__grid__path__startswith=survey.node.path
        ).exists()
        return Ineligible.OUTSIDE if outside else Ineligible.MOVED_OUT
    age = age_on(person.birth_date, reference_day(survey))
    if survey.min_age is not None and age < survey.min_age:
        return Ineligible.AGE
    if survey.max_age is not None and age > survey.max_age:
        return Ineligible.AGE
    wanted = {tag.pk for tag in survey.audience_tags.all()}
    if wanted:
        held = {tag.pk for tag in tags_by_person([person.pk]).get(person.pk, [])}
        if not wanted & held:
            return Ineligible.TAGS
    return None
