from django.urls import URLPattern, path

from zhili.analytics import views

app_name = "analytics"
urlpatterns: list[URLPattern] = [
    path("", views.cockpit, name="cockpit"),
    path("categories/", views.categories, name="categories"),
    path("export/<str:name>.xlsx", views.export, name="export"),
    path("screen/", views.screen, name="screen"),
]
