"""Machine interfaces: REST API v1 and its OpenAPI schema with self-hosted docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from api.catalog import catalog
from api.views import RedocView, SwaggerView, health

urlpatterns = [
    path("v1/", include("api.v1.urls")),
    path("workspace/", include("api.workspace.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerView.as_view(), name="api-docs"),
    path("redoc/", RedocView.as_view(), name="api-redoc"),
    path("health/", health, name="api-health"),
    # The public data sets in DCAT-AP.de (JSON-LD), for open data portals.
    path("catalog/", catalog, name="api-catalog"),
]
