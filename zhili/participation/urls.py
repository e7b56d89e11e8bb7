from django.urls import URLPattern, path

app_name = "participation"
urlpatterns: list[URLPattern] = []
