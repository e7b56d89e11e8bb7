from django.urls import URLPattern, path

from zhili.cases import views, views_public

app_name = "cases"
urlpatterns: list[URLPattern] = [
    path("", views.case_list, name="list"),
    path("new/", views_public.report, name="new"),
    path("track/", views_public.track, name="track"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/act/<slug:name>/", views.case_act, name="act"),
]
