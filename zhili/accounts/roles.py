from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    DISPATCHER = "dispatcher", _("Dispatcher")
    HANDLER = "handler", _("Department handler")
    SUPERVISOR = "supervisor", _("Supervisor")
    LEADER = "leader", _("Leader")
    PARTY_SECRETARY = "party_secretary", _("Party secretary")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


# Roles that only read what their scope shows.
READ_ONLY_ROLES = frozenset({Role.LEADER, Role.AUDITOR})
