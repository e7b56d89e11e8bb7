from django.urls import path

from zhili.residents import views

app_name = "residents"
urlpatterns = [
    path("", views.search, name="search"),
    path("households/<int:household_id>/", views.household_detail, name="household"),
    path("households/<int:household_id>/info/", views.household_info_edit, name="household_info"),
    path("households/<int:household_id>/visits/new/", views.visit_new, name="visit_new"),
    path("households/<int:household_id>/members/new/", views.person_new, name="person_new"),
    path("persons/<int:person_id>/", views.person_detail, name="person"),
    path("persons/<int:person_id>/reveal/", views.person_reveal, name="person_reveal"),
    path("persons/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("statistics/", views.statistics, name="statistics"),
    path("tags/", views.tag_list, name="tags"),
    path("tags/new/", views.tag_edit, name="tag_new"),
    path("tags/<int:tag_id>/", views.tag_edit, name="tag_edit"),
    path("import/", views.import_page, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:job_id>/", views.import_job, name="import_job"),
    path("import/<int:job_id>/errors.xlsx", views.import_errors, name="import_errors"),
    path("export/", views.export_page, name="export"),
    path("corrections/", views.correction_list, name="corrections"),
    path("corrections/<int:correction_id>/", views.correction_detail, name="correction"),
    path("me/", views.me, name="me"),
    path("me/data.json", views.me_json, name="me_json"),
    path("me/print/", views.me_print, name="me_print"),
    path("me/correction/", views.me_correction, name="me_correction"),
]
