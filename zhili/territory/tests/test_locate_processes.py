"""The boundary index is per process; a redraw by another process must reach it through the database."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from django.db import connection

from zhili.territory.locate import locate

pytestmark = pytest.mark.django_db(transaction=True)

REDRAW = textwrap.dedent(
    """
    import django
    django.setup()
    from zhili.core.testing import square
    from zhili.territory.actions import do_draw_boundary
    from zhili.territory.models import Node
    do_draw_boundary(Node.objects.get(code="S-C1-A"), square(116.300, 39.900, 116.305, 39.910), actor=None)
    """
)


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_a_redraw_committed_by_another_process_is_seen_by_this_one(region):
    if connection.vendor != "postgresql":
        pytest.skip("an in-memory SQLite database cannot be shared with another process")
    assert locate(39.905, 116.307) == region.grid_a  # this process builds its index
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zhili.settings.test", "DATABASE_URL": database_url()}
    subprocess.run([sys.executable, "-c", REDRAW], env=env, check=True, timeout=120)
    assert locate(39.905, 116.307) is None  # A shrank to 116.300–116.305 in the other process
    assert locate(39.905, 116.303) == region.grid_a
