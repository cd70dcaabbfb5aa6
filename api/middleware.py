"""Guards in front of the machine interfaces: JSON refusals where Django would answer HTML.

- A body too large for the API (or one without a length) is refused before anything reads it:
  Django itself refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with an HTML 400, and a chunked
  body reaches the app with no length and would be read as empty.
- While the database is unreachable the API answers 503 with Retry-After, so clients and load
  balancers retry instead of reporting an HTML server error.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from api.exceptions import PayloadTooLarge
from api.parsers import MAX_BODY_BYTES

# The machine interfaces; pages keep Django's own error pages.
API_PREFIXES = ("/api/", "/ogc/")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Seconds a client should wait: a database restart takes a few.
RETRY_AFTER_SECONDS = 5


class ApiGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path.startswith(API_PREFIXES) and request.method in _BODY_METHODS:
            refusal = _body_refusal(request)
            if refusal is not None:
                return refusal
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith(API_PREFIXES)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            # A path no URL pattern matches (`/api/v1/projects/<not a slug>/results/`): the
            # API's clients read JSON, not Django's error page.
            return _json(request, lambda: _("Not found."), status=404, ogc_code="NotFound")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIXES):
            return None
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        response = _json(
            request,
            lambda: _("The database is not reachable at the moment. Please try again shortly."),
            status=503,
            ogc_code="ServiceUnavailable",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def _body_refusal(request: HttpRequest) -> HttpResponse | None:
    length = request.META.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not length:
        return _json(
            request,
            lambda: _("Send the body with a Content-Length header; chunked bodies are not read."),
            status=411,
        )
    limit = MAX_BODY_BYTES
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
        # Photos (the only multipart bodies the API parses) may be up to IMAGE_MAX_BYTES.
        limit += settings.IMAGE_MAX_BYTES
    if length.isdigit() and int(length) > limit:
        return _json(request, lambda: str(PayloadTooLarge.default_detail), status=413)
    return None


def _json(
    request: HttpRequest, message: Callable[[], str], *, status: int, ogc_code: str = ""
) -> JsonResponse:
    # The API answers in the language the client asks for (it has no language prefix).
    language = translation.get_language_from_request(request)
    with translation.override(language):
        if ogc_code and request.path.startswith("/ogc/"):
            # OGC API - Features' exception document, as the OGC views' own refusals.
            response = JsonResponse({"code": ogc_code, "description": message()}, status=status)
        else:
            response = JsonResponse({"detail": message()}, status=status)
    response.headers["Content-Language"] = language
    return response
