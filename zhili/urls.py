from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from zhili.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("zhili.core.urls")),
    path("accounts/", include("zhili.accounts.urls")),
    path("territory/", include("zhili.territory.urls")),
    path("residents/", include("zhili.residents.urls")),
    path("audit/", include("zhili.audit.urls")),
    path("cases/", include("zhili.cases.urls")),
    path("intelligence/", include("zhili.intelligence.urls")),
    path("participation/", include("zhili.participation.urls")),
    path("surveys/", include("zhili.participation.surveys.urls")),
    path("consultations/", include("zhili.participation.consultations.urls")),
    path("analytics/", include("zhili.analytics.urls")),
    path("assessment/", include("zhili.analytics.assessment.urls")),
    path("emergency/", include("zhili.emergency.urls")),
    path("disclosure/", include("zhili.disclosure.urls")),
    path("party/", include("zhili.party.urls")),
    path("services/", include("zhili.services.urls")),
    path("notifications/", include("zhili.notify.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
