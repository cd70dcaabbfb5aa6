"""How a service refuses: one field error with a code (services.py and review.py raise it)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def refusal(field: str, message: str, code: str) -> ValidationError:
    """A field error that keeps its code, so API clients and tests can tell refusals apart.

    Forms show it on the field (proposals/forms.py `add_service_errors`), the API as
    `{field: [message]}`.
    """
    return ValidationError({field: ValidationError(message, code=code)})
