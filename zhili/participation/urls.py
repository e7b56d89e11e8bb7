from django.urls import URLPattern

from zhili.participation.elections.urls import urlpatterns as election_urls

app_name = "participation"
urlpatterns: list[URLPattern] = [*election_urls]
