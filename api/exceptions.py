"""Errors of the API as JSON: Django's validation and permission errors become 400 and 403."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, after translating the errors services raise (they know no HTTP)."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=field_messages(exc))
    elif isinstance(exc, PermissionDenied):
        # The rules give the reason as the exception's message: citizens should read why.
        reason = str(exc)
        exc = (
            exceptions.PermissionDenied(detail=reason) if reason else exceptions.PermissionDenied()
        )
    return drf_exception_handler(exc, context)


def field_messages(exc: DjangoValidationError) -> dict[str, list[str]]:
    """`{field: [messages]}`, with Django's `__all__` under DRF's key for errors of no field."""
    if hasattr(exc, "error_dict"):
        return {
            api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
