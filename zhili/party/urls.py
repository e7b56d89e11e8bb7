from django.urls import path

from zhili.party import views

app_name = "party"
urlpatterns = [
    path("", views.org_list, name="orgs"),
    path("orgs/new/", views.org_new, name="org_new"),
    path("orgs/<int:org_id>/", views.org_detail, name="org"),
    path("orgs/<int:org_id>/edit/", views.org_edit, name="org_edit"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/<int:node_id>/create-groups/", views.create_groups, name="create_groups"),
    path("members/", views.member_list, name="members"),
    path("members.xlsx", views.members_xlsx, name="members_xlsx"),
    path("members/new/", views.member_new, name="member_new"),
    path("members/<int:member_id>/", views.member_detail, name="member"),
    path("members/<int:member_id>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:member_id>/transfer/", views.member_transfer, name="member_transfer"),
    path("members/<int:member_id>/move-out/", views.member_move_out, name="member_move_out"),
    path("grids/<int:grid_id>/contacts/", views.contacts, name="contacts"),
    path("activities/", views.activity_list, name="activities"),
    path("activities.xlsx", views.activities_xlsx, name="activities_xlsx"),
    path("activities/new/", views.activity_new, name="activity_new"),
    path("activities/<int:activity_id>/", views.activity_detail, name="activity"),
    path("activities/<int:activity_id>/act/<str:name>/", views.activity_act, name="activity_act"),
    path("activities/<int:activity_id>/attendance/", views.activity_attendance, name="activity_attendance"),
    path("hours/", views.hours, name="hours"),
    path("volunteer/", views.volunteer, name="volunteer"),
    path("volunteer/<int:activity_id>/sign-up/", views.volunteer_sign_up, name="volunteer_sign_up"),
    path("volunteer/<int:activity_id>/cancel/", views.volunteer_cancel, name="volunteer_cancel"),
]
