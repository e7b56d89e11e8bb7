from django.urls import path

from zhili.services import views

app_name = "services"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("new/", views.service_new, name="service_new"),
    path("<int:service_id>/edit/", views.service_edit, name="service_edit"),
    path("generate/", views.generate, name="generate"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("overview/", views.overview, name="overview"),
    path("overview/open-tasks.xlsx", views.overview_xlsx, name="overview_xlsx"),
]
