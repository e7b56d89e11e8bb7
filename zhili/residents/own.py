"""A resident's own record (个人信息保护法 art. 44-46: access, copy, correction)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from zhili.residents.models import Person, Visit
from zhili.residents.tags import person_tags


def own_person(user: Any) -> Person | None:
    """The registry record linked to this login (participation's ResidentAccount), if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    from zhili.participation.elections.models import ResidentAccount

    link = (
        ResidentAccount.objects.filter(user=user)
        .select_related("person__household__building__grid__parent")
        .first()
    )
    return link.person if link is not None else None


def own_data(person: Person) -> dict[str, Any]:
    """Everything the registry holds about the person, in full (it is their own), as plain JSON."""
    building = person.household.building
    grid = building.grid
    visits = Visit.objects.filter(person=person).order_by("-visited_at")
    return {
        "exported_at": timezone.localtime().isoformat(timespec="seconds"),
        "person": {
            "name": person.name,
            "gender": person.get_gender_display(),
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "id_type": person.get_id_type_display(),
            "id_number": person.id_number,
            "mobile": person.mobile,
            "relation_to_head": person.get_relation_to_head_display(),
            "residence_status": person.get_residence_status_display(),
            "moved_in_on": person.moved_in_on.isoformat() if person.moved_in_on else None,
            "moved_out_on": person.moved_out_on.isoformat() if person.moved_out_on else None,
            "tags": [tag.name for tag in person_tags(person)],
        },
        "household": {
            "address": building.address,
            "number": person.household.number,
            "grid": grid.name,
            "community": grid.parent.name if grid.parent else "",
        },
        "visits": [
            {
                "visited_at": timezone.localtime(v.visited_at).isoformat(timespec="minutes"),
                "kind": v.get_kind_display(),
                "note": v.note,
            }
            for v in visits
        ],
    }
