"""URLs of the workspace API under /api/workspace/ (planners only)."""

from django.urls import path

from api.workspace import views

app_name = "api-workspace"
urlpatterns = [
    path("proposals/", views.proposals, name="proposals"),
    path("tiles/<int:z>/<int:x>/<int:y>.mvt", views.tiles, name="tiles"),
    path("districts/", views.districts, name="districts"),
    path("heat/", views.heat, name="heat"),
    path("duplicates/", views.duplicates, name="duplicates"),
]
