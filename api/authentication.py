"""Personal access tokens on the machine interfaces that need an account: downloads and the
workspace API. GIS tools send them as `Authorization: Bearer <token>` or as HTTP Basic with the
token as password (QGIS's and GDAL's built-in authentication), the user name being the
account's user name or e-mail address.

Only these views accept a token (`accepts_token`); pages and writes keep to the session, so a
leaked token reads data and changes nothing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _

from accounts.services import access_token_user

R = TypeVar("R", bound=HttpResponseBase)
REALM = "Mitmachkarte"
CHALLENGE = f'Basic realm="{REALM}", charset="UTF-8", Bearer realm="{REALM}"'


class BadCredentials(Exception):
    pass


def token_from_header(header: str) -> tuple[str, str | None]:
    """(token, user name or None) from an Authorization header, or BadCredentials."""
    scheme, _sep, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value, None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise BadCredentials from None
        name, sep, password = decoded.partition(":")
        if not sep:
            raise BadCredentials
        return password, name
    raise BadCredentials


def unauthorized(message: str) -> JsonResponse:
    response = JsonResponse({"detail": message}, status=401)
    response["WWW-Authenticate"] = CHALLENGE
    return response


def accepts_token(view: Callable[..., R]) -> Callable[..., R | JsonResponse]:
    """With an Authorization header, the request is its token's account's (or a 401)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> R | JsonResponse:
        header = request.headers.get("Authorization")
        if header is None:
            return view(request, *args, **kwargs)
        refused = unauthorized(
            _("The access token is not valid: it is unknown, expired or revoked.")
        )
        try:
            found = token_from_header(header)
        except BadCredentials:
            return refused
        secret, name = found
        user = access_token_user(secret)
        if user is None:
            return refused
        if name and name.casefold() not in (
            user.get_username().casefold(),
            (user.email or "").casefold(),
        ):
            return refused
        # For this request only: a token opens no session.
        request.user = user
        return view(request, *args, **kwargs)

    return wrapper
