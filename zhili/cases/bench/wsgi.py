"""The bench server's application, loaded once in gunicorn's master (``--preload``).

Every URL module (and what it imports) is imported here, before the workers fork, so that no
worker pays for it on its first request and the warm-up is not a race against worker timeouts.
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from zhili.core.gc_tuning import tune_for_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhili.cases.bench.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018  # imports every URLconf and view module now
tune_for_serving()  # as production's zhili.wsgi does
