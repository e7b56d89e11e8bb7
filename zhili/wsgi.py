"""The application gunicorn serves (``zhili serve``).

Every URL module (and the views and API schemas it imports) is loaded here, when a worker starts,
so that no worker's first request pays for it (about 1.5 s).
"""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from zhili.core.gc_tuning import tune_for_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhili.settings.base")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018  # imports every URLconf and view module now
tune_for_serving()  # after the imports, so that what they loaded is frozen too
