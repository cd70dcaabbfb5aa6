"""Root URLs: pages, admin, the REST API and its schema."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/exports/", include("api.exports.urls")),
    path("api/", include("api.urls")),
    path("ogc/", include("api.ogc.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("proposals.urls")),
    prefix_default_language=False,
)
