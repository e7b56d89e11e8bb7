"""Settings of the server that ``zhili bench intake`` starts: production's, plus the bench URLs."""

from __future__ import annotations

from zhili.settings.base import *  # noqa: F403

# The baseline endpoint exists only here: production's URLconf never mounts it.
ROOT_URLCONF = "zhili.cases.bench.urls"
