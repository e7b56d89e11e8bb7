"""Who may do what with the resident registry, scoped by the territory tree.

The territory policies (zhili.authz.policies) let administrators see buildings and households;
the registry must not: an administrator configures, and has no access to personal data by default.
So the registry has its own role table here, and reuses the territory's path scoping.
Which fields each role then sees is zhili.residents.fields.
"""

from __future__ import annotations

import enum
from typing import Any, Generic, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from zhili.accounts.roles import Role
from zhili.authz.policies import path_q, role_paths, roles_scope
from zhili.core.errors import Forbidden, NotFound
from zhili.residents.fields import PERSON_ROLES, Level, levels_for_roles


class Perm(enum.StrEnum):
    VIEW = "view"  # open persons and households of the subtree (fields per zhili.residents.fields)
    EDIT = "edit"  # register and edit persons, tags, house information, record visits
    IMPORT = "import"  # import a workbook into the subtree
    EXPORT = "export"  # export the subtree to a workbook
    CORRECTIONS = "corrections"  # decide residents' correction requests
    STATISTICS = "statistics"  # counts by grid, status and tag, no persons
    MANAGE_TAGS = "manage_tags"  # define tags and who sees them (no personal data)


PERM_ROLES: dict[Perm, frozenset[str]] = {
    Perm.VIEW: PERSON_ROLES,
    Perm.EDIT: frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF}),
    Perm.IMPORT: frozenset({Role.COMMUNITY_STAFF}),
    Perm.EXPORT: frozenset({Role.COMMUNITY_STAFF, Role.DISPATCHER}),
    Perm.CORRECTIONS: frozenset({Role.COMMUNITY_STAFF}),
    Perm.STATISTICS: frozenset(
        {Role.COMMUNITY_STAFF, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.PARTY_SECRETARY}
    ),
    Perm.MANAGE_TAGS: frozenset({Role.ADMIN}),
}

PERSON_PATH = "household__building__grid__path"
HOUSEHOLD_PATH = "building__grid__path"


def scope(user: Any, perm: Perm) -> list[str]:
    """Node paths under which ``user`` holds ``perm``."""
    return roles_scope(user, PERM_ROLES[perm])


def allowed_at(user: Any, perm: Perm, path: str) -> bool:
    return any(path.startswith(root) for root in scope(user, perm))


def has_perm_anywhere(user: Any, perm: Perm) -> bool:
    return bool(scope(user, perm))


def roles_at(user: Any, path: str) -> set[str]:
    """The user's roles whose territory covers ``path``."""
    return {role for role in Role.values if any(path.startswith(p) for p in role_paths(user, role))}


def field_levels(user: Any, path: str) -> dict[str, Level]:
    """How ``user`` sees each field of a person who lives under ``path``."""
    return levels_for_roles(roles_at(user, path))


M = TypeVar("M", bound=models.Model)


class RegistryPolicy(Generic[M]):
    """Like zhili.authz.policies.TerritoryPolicy, with the registry's own role table."""

    def __init__(self, model: type[M], path_field: str) -> None:
        self.model = model
        self.path_field = path_field

    def visible(self, user: Any, perm: Perm = Perm.VIEW) -> models.QuerySet[M]:
        return self.model._default_manager.filter(path_q(scope(user, perm), self.path_field))

    def path_of(self, obj: M) -> str:
        value: Any = obj
        for part in self.path_field.split("__"):
            value = getattr(value, part)
        return str(value)

    def can(self, user: Any, perm: Perm, obj: M) -> bool:
        return allowed_at(user, perm, self.path_of(obj))

    def get_for_user(self, user: Any, pk: Any, perm: Perm = Perm.VIEW, *, related: tuple[str, ...] = ()) -> M:
        """Same 404 for missing and invisible; 403 when visible but ``perm`` is not held there."""
        try:
            obj = self.visible(user).select_related(*related).get(pk=pk)
        except (ObjectDoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        if perm is not Perm.VIEW and not self.can(user, perm, obj):
            raise Forbidden()
        return obj


def person_policy() -> RegistryPolicy[Any]:
    from zhili.residents.models import Person

    return RegistryPolicy(Person, PERSON_PATH)


def household_policy() -> RegistryPolicy[Any]:
    from zhili.territory.models import Household

    return RegistryPolicy(Household, HOUSEHOLD_PATH)
