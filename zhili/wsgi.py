"""The application gunicorn serves (``zhili serve``)."""

import os

from django.core.wsgi import get_wsgi_application

from zhili.core.gc_tuning import tune_for_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhili.settings.base")
application = get_wsgi_application()
tune_for_serving()
