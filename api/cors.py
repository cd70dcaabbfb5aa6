"""CORS for the public read-only resources: OGC API, vector tiles, public REST reads, catalogue.

A web GIS on another origin may read what anyone may read, and nothing else:

- only GET and HEAD get CORS headers, and a preflight is answered only for them: a write from
  another origin stays unreadable and, needing a preflight for JSON, is never sent;
- never `Access-Control-Allow-Credentials`: a browser then sends no cookie it may expose, so
  another origin sees exactly what an anonymous client sees (a session's own pins, the
  planners' tallies, downloads and the workspace stay out of reach);
- only the paths below; downloads (/api/exports/) and the workspace need a session or a token
  and get no CORS at all.

A small middleware rather than django-cors-headers: that package decides by URL and origin,
not by method, so writes on the same URLs would get the headers too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers

# What anyone may read. The tallies are for planners: excluded although under /api/v1/.
PUBLIC_READ_PATHS = re.compile(
    r"^/(?:ogc/|api/v1/(?!projects/[^/]+/tallies/)|api/schema/|api/catalog)"
)
READ_METHODS = ("GET", "HEAD")
# Request headers a reader may send beyond the CORS-safelisted ones.
ALLOWED_HEADERS = ("accept", "accept-language", "if-none-match", "if-modified-since", "range")
# Response headers a reader may see beyond the safelisted ones.
EXPOSED_HEADERS = "Content-Crs, Content-Language, Content-Length, ETag, Link"
PREFLIGHT_MAX_AGE = 86400


def allowed_origin(origin: str) -> str | None:
    """The value of Access-Control-Allow-Origin for `origin`, or None when it may not read."""
    origins: tuple[str, ...] = settings.CORS_ALLOWED_ORIGINS
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


class PublicReadCorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        origin = request.headers.get("Origin")
        if origin is None or not PUBLIC_READ_PATHS.match(request.path):
            return self.get_response(request)
        allow = allowed_origin(origin)
        requested = request.headers.get("Access-Control-Request-Method")
        if request.method == "OPTIONS" and requested is not None:
            return self._preflight(request, allow, requested)
        response = self.get_response(request)
        if allow is not None and request.method in READ_METHODS:
            response["Access-Control-Allow-Origin"] = allow
            response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if allow != "*":
            # The answer depends on the origin: caches must keep them apart.
            patch_vary_headers(response, ["Origin"])
        return response

    def _preflight(self, request: HttpRequest, allow: str | None, requested: str) -> HttpResponse:
        response = HttpResponse(status=204)
        headers = [
            name.strip().lower()
            for name in request.headers.get("Access-Control-Request-Headers", "").split(",")
            if name.strip()
        ]
        # Anything but a read, an origin not allowed, or an unexpected header: an answer
        # without permission, which the browser takes as a refusal.
        if (
            allow is not None
            and requested.upper() in READ_METHODS
            and all(name in ALLOWED_HEADERS for name in headers)
        ):
            response["Access-Control-Allow-Origin"] = allow
            response["Access-Control-Allow-Methods"] = ", ".join((*READ_METHODS, "OPTIONS"))
            if headers:
                response["Access-Control-Allow-Headers"] = ", ".join(headers)
            response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        if allow != "*":
            patch_vary_headers(response, ["Origin"])
        return response
