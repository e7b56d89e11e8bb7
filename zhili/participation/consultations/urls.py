from django.urls import path

from zhili.participation.consultations import views

app_name = "consultations"
urlpatterns = [
    # residents (phone first); staff may read them too
    path("", views.topics, name="topics"),
    path("board/", views.board, name="board"),
    path("board.xlsx", views.board_xlsx, name="board_xlsx"),
    path("<int:pk>/", views.topic_page, name="topic"),
    path("<int:pk>/outcome/", views.outcome, name="outcome"),
    path("<int:pk>/documents/<int:document_id>/", views.document, name="document"),
    path("<int:pk>/propose/", views.propose, name="propose"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("<int:pk>/follow/", views.follow, name="follow"),
    path("<int:pk>/proposals/<int:proposal_id>/support/", views.support, name="support"),
    # staff
    path("manage/", views.staff_list, name="staff_list"),
    path("manage/new/", views.topic_new, name="topic_new"),
    path("manage/<int:pk>/", views.staff_topic, name="staff_topic"),
    path("manage/<int:pk>/edit/", views.topic_edit, name="topic_edit"),
    path("manage/<int:pk>/documents/", views.document_add, name="document_add"),
    path(
        "manage/<int:pk>/documents/<int:document_id>/remove/",
        views.document_remove,
        name="document_remove",
    ),
    path("manage/<int:pk>/steps/<slug:step>/", views.transition, name="transition"),
    path("manage/<int:pk>/moderate/<slug:kind>/<int:item_id>/", views.moderate, name="moderate"),
    path("manage/<int:pk>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("manage/<int:pk>/decisions/new/", views.decision_form, name="decision_new"),
    path("manage/<int:pk>/decisions/<int:decision_id>/", views.decision_form, name="decision_edit"),
    path(
        "manage/<int:pk>/decisions/<int:decision_id>/milestones/",
        views.milestone_new,
        name="milestone_new",
    ),
    path("manage/<int:pk>/milestones/<int:milestone_id>/", views.milestone_edit, name="milestone_edit"),
]
