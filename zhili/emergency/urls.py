from django.urls import path

from zhili.emergency import views

app_name = "emergency"
urlpatterns = [
    path("", views.alert_list, name="alerts"),
    path("alerts/new/", views.alert_new, name="alert_new"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/edit/", views.alert_edit, name="alert_edit"),
    path("alerts/<int:alert_id>/act/<str:name>/", views.alert_act, name="alert_act"),
    path("alerts/<int:alert_id>/ack/", views.alert_ack, name="alert_ack"),
    path("alerts/<int:alert_id>/mobilise/", views.alert_mobilise, name="alert_mobilise"),
    path("alerts/<int:alert_id>/cap.xml", views.alert_cap, name="alert_cap"),
    path("alerts/<int:alert_id>/board/", views.board, name="board"),
    path("alerts/<int:alert_id>/board.xlsx", views.board_xlsx, name="board_xlsx"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("ack/<str:token>/", views.ack, name="ack"),
    path("mode/", views.mode, name="mode"),
]
