from django.urls import path

from zhili.territory import views

app_name = "territory"
urlpatterns = [
    path("map/", views.map_view, name="map"),
    path("grids/<int:grid_id>/card/", views.grid_card, name="grid_card"),
    path("buildings/<int:building_id>/", views.building_detail, name="building"),
    path("buildings/<int:building_id>/households/new/", views.household_new, name="household_new"),
    path("households/<int:household_id>/", views.household_detail, name="household"),
]
