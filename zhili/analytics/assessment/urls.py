from django.urls import path

from zhili.analytics.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("sets/new/", views.set_edit, name="set_new"),
    path("sets/<int:set_id>/", views.set_edit, name="set_edit"),
    path("sets/<int:set_id>/trend/", views.trend, name="trend"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/export.xlsx", views.run_export, name="run_export"),
    path("runs/<int:run_id>/<str:verb>/", views.run_action, name="run_action"),
    path("runs/<int:run_id>/subjects/<int:result_id>/", views.subject_detail, name="subject"),
    path("runs/<int:run_id>/scores/<int:score_id>/", views.explain, name="explain"),
]
