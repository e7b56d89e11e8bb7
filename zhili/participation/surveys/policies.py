"""Who sees and runs which survey.

Staff: a survey belongs to a territory node. Community staff and administrators whose membership
node contains it write and run it (MANAGE); every other staff role over it may read it and its
results (VIEW). Residents see an open survey when their verified account (``ResidentAccount``)
points at a person of its audience.

Missing and invisible surveys give the same 404; visible but not allowed, 403.
"""

from __future__ import annotations

import enum
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhili.accounts.roles import Role
from zhili.authz.policies import STAFF_VIEW_ROLES, path_q, role_paths
from zhili.core.errors import Forbidden, NotFound
from zhili.participation.elections.policies import linked_person_id
from zhili.participation.surveys.audience import ineligibility
from zhili.participation.surveys.models import Survey
from zhili.participation.surveys.states import SurveyStatus
from zhili.residents.models import Person
from zhili.territory.models import Node


class SurveyAction(enum.StrEnum):
    VIEW = "view"
    MANAGE = "manage"


ROLE_ACTIONS: dict[SurveyAction, frozenset[str]] = {
    SurveyAction.VIEW: frozenset(STAFF_VIEW_ROLES | {Role.AUDITOR}),
    SurveyAction.MANAGE: frozenset({Role.COMMUNITY_STAFF, Role.ADMIN}),
}


def _active(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def staff_paths(user: Any, action: SurveyAction) -> list[str]:
    if not _active(user):
        return []
    return sorted({path for role in ROLE_ACTIONS[action] for path in role_paths(user, role)})


def is_survey_staff(user: Any) -> bool:
    return bool(staff_paths(user, SurveyAction.VIEW))


def can(user: Any, action: SurveyAction, survey: Survey) -> bool:
    return any(survey.node.path.startswith(path) for path in staff_paths(user, action))


def manageable_nodes(user: Any) -> QuerySet[Node]:
    """Nodes a user may start a survey for: their own and everything below."""
    return Node.objects.filter(path_q(staff_paths(user, SurveyAction.MANAGE), "path")).order_by("sort_key")


def staff_surveys(user: Any, action: SurveyAction = SurveyAction.VIEW) -> QuerySet[Survey]:
    return Survey.objects.filter(path_q(staff_paths(user, action), "node__path"))


def get_survey_for_staff(user: Any, pk: Any, action: SurveyAction = SurveyAction.VIEW) -> Survey:
    """Same 404 for missing and invisible; 403 when the user may look but not run it."""
    try:
        survey = staff_surveys(user).select_related("node").get(pk=pk)
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if action is not SurveyAction.VIEW and not can(user, action, survey):
        raise Forbidden()
    return survey


def respondent(user: Any) -> Person | None:
    """The registry person behind a verified resident login, or None."""
    person_id = linked_person_id(user)
    if person_id is None:
        return None
    return Person.objects.select_related("household__building__grid").filter(pk=person_id).first()


def _area_paths(person: Person) -> list[str]:
    """The paths of the person's grid and every node above it."""
    grid_path = person.household.building.grid.path
    return [
        f"/{'/'.join(grid_path.strip('/').split('/')[: i + 1])}/" for i in range(grid_path.count("/") - 1)
    ]


def candidate_surveys(person: Person) -> QuerySet[Survey]:
    """Open surveys over the person's grid (before the age and tag filters)."""
    return Survey.objects.filter(status=SurveyStatus.OPEN, node__path__in=_area_paths(person))


def _lives_here(person: Person) -> bool:
    today = timezone.localdate()
    return person.anonymised_at is None and (person.moved_out_on is None or person.moved_out_on > today)


def published_surveys(person: Person | None) -> QuerySet[Survey]:
    """Closed surveys over the area the person lives in whose results were published.

    The area, not the audience: published results are for everyone living there (信息公开),
    whatever the survey's age and tag filters were.
    """
    if person is None or not _lives_here(person):
        return Survey.objects.none()
    return Survey.objects.filter(
        status=SurveyStatus.CLOSED,
        results_published_at__isnull=False,
        node__path__in=_area_paths(person),
    )


def get_published_survey(user: Any, pk: Any) -> Survey:
    """A survey whose published results the user may read: a resident of its area or staff over it.

    Missing, unpublished and other areas' surveys are the same 404.
    """
    published = published_surveys(respondent(user)).values("pk")
    staff = path_q(staff_paths(user, SurveyAction.VIEW), "node__path")
    try:
        return (
            Survey.objects.filter(status=SurveyStatus.CLOSED, results_published_at__isnull=False)
            .filter(Q(pk__in=published) | staff)
            .select_related("node")
            .get(pk=pk)
        )
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def surveys_for_respondent(user: Any) -> tuple[Person | None, list[Survey]]:
    """Open surveys whose audience holds the user's person (open or not yet in their time window)."""
    person = respondent(user)
    if person is None:
        return None, []
    surveys = [
        survey
        for survey in candidate_surveys(person).select_related("node").prefetch_related("audience_tags")
        if ineligibility(survey, person) is None
    ]
    surveys.sort(key=lambda s: (s.closes_at is None, s.closes_at or s.created_at))
    return person, surveys


def get_survey_for_respondent(user: Any, pk: Any) -> tuple[Survey, Person]:
    person = respondent(user)
    if person is None:
        raise NotFound()
    try:
        survey = candidate_surveys(person).select_related("node").get(pk=pk)
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if ineligibility(survey, person) is not None:
        raise NotFound()
    return survey, person
