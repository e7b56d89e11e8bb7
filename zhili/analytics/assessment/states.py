"""States of an assessment run and the one path between them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunState(models.TextChoices):
    DRAFT = "draft", _("Draft")  # computed, may be recomputed
    PUBLISHED = "published", _("Published")  # frozen
    SUPERSEDED = "superseded", _("Superseded")  # frozen, replaced by a published correction


class RunTransition(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    SUPERSEDE = "supersede", _("Supersede")


TRANSITIONS: dict[RunTransition, tuple[frozenset[str], str]] = {
    RunTransition.PUBLISH: (frozenset({RunState.DRAFT}), RunState.PUBLISHED),
    RunTransition.SUPERSEDE: (frozenset({RunState.PUBLISHED}), RunState.SUPERSEDED),
}

# Compute writes scores: only while the run is a draft.
COMPUTABLE_STATES = frozenset({RunState.DRAFT})
# A correction starts from the published version.
CORRECTABLE_STATES = frozenset({RunState.PUBLISHED})
