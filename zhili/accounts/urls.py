from django.urls import path

from zhili.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/grant/", views.staff_grant, name="staff_grant"),
    path("staff/<int:pk>/email/", views.staff_set_email, name="staff_set_email"),
    path("memberships/<int:pk>/revoke/", views.membership_revoke, name="membership_revoke"),
]
