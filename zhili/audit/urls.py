from django.urls import path

from zhili.core import views

app_name = "audit"
urlpatterns = [path("events/", views.home, name="events")]
