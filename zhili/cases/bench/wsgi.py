"""The bench server's application, loaded once in gunicorn's master (``--preload``).

It is production's ``zhili.wsgi`` under the bench's settings: every URL module is imported there,
before the workers fork, so that no worker pays for it on its first request and the warm-up is not
a race against worker timeouts.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhili.cases.bench.settings")

from zhili.wsgi import application  # after the settings are chosen

__all__ = ["application"]
