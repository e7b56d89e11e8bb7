from django.urls import path

from zhili.core import views

app_name = "territory"
urlpatterns = [path("map/", views.home, name="map")]
