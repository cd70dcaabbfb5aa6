"""A URLconf mounting the pages and the API under other prefixes (tests of URL templates)."""

from django.urls import include, path

urlpatterns = [
    path("daten/", include("api.urls")),
    path("beteiligung/", include("proposals.urls")),
]
