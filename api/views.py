"""The API's documentation pages, self-hosted: a citizen's browser asks no third party."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response

# The bundles are ours, but not every request they make is: ReDoc's sidebar shows a logo from
# cdn.redoc.ly, unconditionally. The policy keeps the browser from making any such request.
# Inline scripts and styles: the pages' own set-up code and the UIs' styling; blob workers:
# ReDoc's search.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ]
)


class SwaggerView(SpectacularSwaggerView):
    url_name = "api-schema"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        # Swagger UI would otherwise send the schema to validator.swagger.io.
        swagger_settings = {**spectacular_settings.SWAGGER_UI_SETTINGS, "validatorUrl": None}
        response.data["settings"] = json.dumps(swagger_settings)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class RedocView(SpectacularRedocView):
    url_name = "api-schema"
    # drf-spectacular's template loads Google Fonts; ours does not.
    template_name = "api/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: answers without touching the database.

    It is also the no-op baseline the vote benchmark measures against.
    """
    return JsonResponse({"status": "ok"})
