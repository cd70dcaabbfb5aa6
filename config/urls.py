"""Root URLs: pages, admin, the REST API and its schema."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config import health

urlpatterns: list[URLPattern | URLResolver] = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("api/exports/", include("api.exports.urls")),
    path("api/", include("api.urls")),
    path("ogc/", include("api.ogc.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    # Sign-up, login, e-mail and password (allauth), then our profile, export and deletion.
    path("konto/", include("allauth.urls")),
    path("konto/", include("accounts.urls")),
    path("", include("surveys.urls")),
    path("", include("proposals.urls")),
    prefix_default_language=False,
)
