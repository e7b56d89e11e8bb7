"""Who needs a service: the residents of the service's subtree that its rule matches.

Sensitive tags (低保, 残疾人 …) are sealed in the registry; matching decrypts them here, on the
server, and what leaves this module is person ids only: never which tag matched.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from zhili.residents.models import Person, Tag
from zhili.residents.tags import persons_with_tag
from zhili.services.models import Service


def born_on_or_before(today: date, years: int) -> date:
    """The latest date of birth of someone who is at least ``years`` old on ``today``."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # today is 29 February and that year has none: born on the 28th or before
        return date(today.year - years, 2, 28)


def living_persons(service: Service) -> QuerySet[Person]:
    return Person.objects.filter(
        household__building__grid__path__startswith=service.node.path,
        anonymised_at__isnull=True,
        moved_out_on__isnull=True,
    )


def matched_persons(
    service: Service, *, today: date, tags: dict[str, Tag] | None = None
) -> dict[int, tuple[int, int]]:
    """{person id: (household id, grid id)} of everyone the rule matches (nobody when inactive)."""
    if not service.active or (not service.tag_codes and service.min_age is None):
        return {}
    persons = living_persons(service)
    if service.min_age is not None:
        persons = persons.filter(birth_date__lte=born_on_or_before(today, service.min_age))
    found = {
        pk: (household, grid)
        for pk, household, grid in persons.values_list("pk", "household_id", "household__building__grid_id")
    }
    if service.tag_codes:
        tags = tags if tags is not None else {t.code: t for t in Tag.objects.all()}
        ids: set[int] = set()
        for code in service.tag_codes:
            tag = tags.get(code)
            if tag is not None:
                ids.update(persons_with_tag(persons, tag).values_list("pk", flat=True))
        found = {pk: where for pk, where in found.items() if pk in ids}
    return found
