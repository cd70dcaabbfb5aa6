"""Security headers: the Content-Security-Policy (django-csp) and the Permissions-Policy."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase


def tile_origin(tile_url: str) -> str:
    """The origin a tile URL template loads from, as a CSP source: `https://*.example.org`
    when the host starts with a subdomain placeholder such as `{s}`."""
    parts = urlsplit(tile_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    first, _, rest = host.partition(".")
    if "{" in rest or ("{" in first and not rest):
        raise ImproperlyConfigured(
            "MAP_TILE_URL may have a placeholder only in the host's first label ({s}.example.org)."
        )
    if "{" in first:
        host = f"*.{rest}"
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_url: str) -> dict[str, Any]:
    """django-csp's setting: our own origin for everything, the tile server for images.

    Inline scripts (the folium map code) carry the request's nonce. Style *attributes* stay
    allowed: pages colour swatches with them and they cannot run code; `<style>` elements
    need the nonce like scripts.
    """
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF, NONCE],
            "style-src": [SELF, NONCE],
            "style-src-attr": [UNSAFE_INLINE],
            "img-src": [SELF, "data:", tile_origin(tile_url)],
            "font-src": [SELF],
            "connect-src": [SELF],
            "object-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
            "frame-ancestors": [NONE],
        }
    }


class SecurityHeadersMiddleware(CSPMiddleware):
    """django-csp's middleware, plus the Permissions-Policy header, and the admin's exception.

    Django's admin (and its OpenLayers widget, which gets no request to take a nonce from)
    writes inline `<script>` and `<style>`; only staff see those pages, so there inline code
    is allowed while every other source stays as strict as on the public pages.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return super().process_response(request, response)

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.app_name == "admin" and not report_only:
            # A nonce in a directive makes browsers ignore 'unsafe-inline': leave it out here.
            parts.replace = {
                **(parts.replace or {}),
                "script-src": [SELF, UNSAFE_INLINE],
                "style-src": [SELF, UNSAFE_INLINE],
            }
            parts.nonce = None
        return parts
