from django.urls import path

from zhili.disclosure import views

app_name = "disclosure"
urlpatterns = [
    path("", views.staff_list, name="list"),
    path("export.xlsx", views.staff_export, name="export"),
    path("new/", views.item_new, name="new"),
    path("board/", views.my_board, name="my_board"),
    path("boards/", views.boards, name="boards"),
    path("board/<int:node_id>/", views.board, name="board"),
    path("items/<int:pk>/", views.item, name="item"),
    path("items/<int:pk>/edit/", views.item_edit, name="edit"),
    path("items/<int:pk>/correct/", views.item_correct, name="correct"),
    path("items/<int:pk>/publish/", views.item_publish, name="publish"),
    path("items/<int:pk>/withdraw/", views.item_withdraw, name="withdraw"),
    path("items/<int:pk>/ask/", views.item_ask, name="ask"),
    path("questions/<int:pk>/answer/", views.question_answer, name="answer"),
]
