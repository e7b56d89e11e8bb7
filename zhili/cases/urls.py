from django.urls import URLPattern, path

app_name = "cases"
urlpatterns: list[URLPattern] = []
