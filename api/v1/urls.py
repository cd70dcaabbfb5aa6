"""URLs of API v1: a router's root lists the collections."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from api.v1 import results, surveys, tiles, views

app_name = "api-v1"

router = DefaultRouter()
# `.json` suffixes would double every path in the schema and add nothing.
router.include_format_suffixes = False
router.register("projects", views.ProjectViewSet, basename="projects")
router.register("sites", views.SiteViewSet, basename="sites")
router.register("proposals", views.ProposalViewSet, basename="proposals")
router.register("comments", views.CommentViewSet, basename="comments")
router.register("votes", views.VoteViewSet, basename="votes")

urlpatterns = [
    *router.urls,
    *surveys.urlpatterns,
    path("projects/<slug:slug>/results/", results.ResultsView.as_view(), name="results"),
    re_path(
        r"^projects/(?P<slug>[-\w]+)/results\.(?P<fmt>csv|geojson)$",
        results.ResultsDownloadView.as_view(),
        name="results-download",
    ),
    path("projects/<slug:slug>/tallies/", results.TalliesView.as_view(), name="tallies"),
    path(
        "tiles/proposals/<int:z>/<int:x>/<int:y>.mvt",
        tiles.ProposalTileView.as_view(),
        name="proposal-tiles",
    ),
]
