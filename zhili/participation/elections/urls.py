from django.urls import path

from zhili.participation.elections import views

urlpatterns = [
    path("elections/", views.election_list, name="elections"),
    path("elections/new/", views.election_new, name="election_new"),
    path("elections/public-key/", views.public_key, name="public_key"),
    path("elections/<int:pk>/", views.election_detail, name="election"),
    path("elections/<int:pk>/settings/", views.election_settings, name="election_settings"),
    path("elections/<int:pk>/posts/", views.post_add, name="post_add"),
    path("elections/<int:pk>/candidates/", views.candidates, name="candidates"),
    path(
        "elections/<int:pk>/candidates/<int:candidate_id>/remove/",
        views.candidate_remove,
        name="candidate_remove",
    ),
    path(
        "elections/<int:pk>/candidates/<int:candidate_id>/photo/",
        views.candidate_photo,
        name="candidate_photo",
    ),
    path("elections/<int:pk>/roll/", views.roll, name="roll"),
    path("elections/<int:pk>/roll/link/", views.roll_link, name="roll_link"),
    path("elections/<int:pk>/roll/object/", views.roll_objection, name="roll_objection"),
    path("elections/<int:pk>/objections/", views.objections, name="objections"),
    path(
        "elections/<int:pk>/objections/<int:objection_id>/decide/",
        views.objection_decide,
        name="objection_decide",
    ),
    path("elections/<int:pk>/object/", views.voter_objection, name="voter_objection"),
    path("elections/<int:pk>/steps/<slug:step>/", views.election_step, name="election_step"),
    path("elections/<int:pk>/booths/", views.booths, name="booths"),
    path("elections/<int:pk>/booths/add/", views.booth_add, name="booth_add"),
    path("elections/<int:pk>/booths/<int:booth_id>/checkin/", views.booth_checkin, name="booth_checkin"),
    path("elections/<int:pk>/booths/<int:booth_id>/count/", views.booth_count, name="booth_count"),
    path("elections/<int:pk>/vote/", views.vote, name="vote"),
    path("elections/<int:pk>/results/", views.results, name="results"),
    path("elections/<int:pk>/board/", views.board, name="board"),
    path("elections/<int:pk>/board.json", views.board_json, name="board_json"),
]
