from django.urls import path

from zhili.audit import views

app_name = "audit"
urlpatterns = [
    path("events/", views.events, name="events"),
    path("events/export.xlsx", views.export_events, name="export"),
    path("verify/", views.verify, name="verify"),
    path("verify/last/", views.verification, name="verification"),
]
