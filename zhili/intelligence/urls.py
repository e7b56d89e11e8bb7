from django.urls import URLPattern, path

from zhili.intelligence import views

app_name = "intelligence"
urlpatterns: list[URLPattern] = [
    path("warnings/", views.warning_list, name="warnings"),
    path("warnings/<int:warning_id>/", views.warning_detail, name="warning"),
    path("warnings/<int:warning_id>/evidence.xlsx", views.warning_xlsx, name="warning_xlsx"),
    path("warnings/<int:warning_id>/<slug:transition>/", views.warning_decide, name="warning_decide"),
    path("hotspots/", views.hotspot_list, name="hotspots"),
    path("classifier/", views.classifier_versions, name="classifier"),
]
