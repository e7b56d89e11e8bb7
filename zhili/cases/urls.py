from django.urls import URLPattern, path

from zhili.cases import views, views_field, views_hotline, views_public

app_name = "cases"
urlpatterns: list[URLPattern] = [
    path("", views.case_list, name="list"),
    path("bulk-dispatch/", views.bulk_dispatch, name="bulk_dispatch"),
    path("export.xlsx", views.export_cases, name="export"),
    path("field/", views_field.field, name="field"),
    path("field/report/", views_field.patrol_report, name="patrol"),
    path("hotline/", views_hotline.hotline, name="hotline"),
    path("hotline/caller/", views_hotline.caller, name="hotline_caller"),
    path("new/", views_public.report, name="new"),
    path("submitted/", views_public.submitted, name="submitted"),
    path("new/similar/", views_public.similar, name="similar"),
    path("new/support/", views_public.support, name="support"),
    path("new/grids.geojson", views_public.grids_geojson, name="grids_geojson"),
    path("track/", views_public.track, name="track"),
    path("track/rate/", views_public.rate, name="track_rate"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/act/<slug:name>/", views.case_act, name="act"),
    path("<int:case_id>/contact/", views.reveal_contact, name="reveal_contact"),
    path("<int:case_id>/contacted/", views.record_contact, name="record_contact"),
    path("<int:case_id>/photos/<str:token>/", views.case_photo, name="photo"),
    path("<int:case_id>/merge/<int:other_id>/", views.merge_duplicate, name="merge_here"),
]
