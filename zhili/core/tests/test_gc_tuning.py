"""The served application leaves what it loaded out of the collector's passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from zhili.core.gc_tuning import YOUNG_THRESHOLD

PROBE = (
    "import gc, json, sys, {module}; "
    "print(json.dumps({{'threshold': gc.get_threshold(), 'frozen': gc.get_freeze_count(), "
    "'views': sorted(m for m in ('zhili.cases.api', 'zhili.cases.views') if m in sys.modules)}}))"
)


@pytest.mark.parametrize(
    ("module", "settings"),
    [("zhili.wsgi", "zhili.settings.test"), ("zhili.cases.bench.wsgi", "zhili.cases.bench.settings")],
)
def test_loading_the_application_loads_its_views_freezes_them_and_raises_the_young_threshold(
    module, settings
):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings, "ZHILI_DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    state = json.loads(done.stdout.strip().splitlines()[-1])
    assert state["threshold"][0] == YOUNG_THRESHOLD
    # Django, the apps and their modules: tens of thousands of objects no pass will scan again.
    assert state["frozen"] > 10_000
    # The views are loaded with the application, not by a worker's first request.
    assert state["views"] == ["zhili.cases.api", "zhili.cases.views"]
