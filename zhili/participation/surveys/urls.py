from django.urls import path

from zhili.participation.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_new, name="new"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/settings/", views.survey_settings, name="settings"),
    path("<int:pk>/sections/", views.section_add, name="section_add"),
    path("<int:pk>/questions/", views.question_add, name="question_add"),
    path("<int:pk>/questions/<int:question_id>/", views.question_edit, name="question_edit"),
    path("<int:pk>/questions/<int:question_id>/delete/", views.question_delete, name="question_delete"),
    path("<int:pk>/questions/<int:question_id>/move/", views.question_move, name="question_move"),
    path("<int:pk>/steps/<slug:step>/", views.survey_step, name="step"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results.xlsx", views.results_xlsx, name="results_xlsx"),
    path("<int:pk>/results/publish/", views.publish_results, name="publish_results"),
    path("<int:pk>/published/", views.public_results, name="public_results"),
    path("<int:pk>/answer/", views.answer, name="answer"),
]
