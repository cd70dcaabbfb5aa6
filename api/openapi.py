"""The REST API's OpenAPI document, completed where the views cannot say it themselves.

drf-spectacular documents what each view declares. What every view can answer besides —
refusals of the middleware and of DRF itself (403, 411, 413, 415, 429, 503), and the bounds
of path parameters given by URL converters — is added here, in one place, so the document
lists every status the API can return (checked by tests/api/test_fuzz.py).
"""

from __future__ import annotations

from typing import Any

from django.core.validators import slug_re
from django.utils.translation import gettext as _

from api.pagination import MAX_ID
from api.v1.tiles import MAX_ZOOM

_WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# Django's slug converter and the router's slug lookups accept exactly this.
SLUG_PATTERN = slug_re.pattern.replace(r"\Z", "$")


def complete_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS['POSTPROCESSING_HOOKS'])."""
    views = {
        (path, method.lower()): getattr(callback, "cls", None)
        for path, _regex, method, callback in generator.endpoints or []
    }
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _complete(path, method, operation, views.get((path, method)))
    return result


def _complete(path: str, method: str, operation: dict[str, Any], view: Any) -> None:
    responses: dict[str, Any] = operation["responses"]
    parameters = operation.get("parameters", [])
    for parameter in parameters:
        _bound_parameter(path, parameter)
    anonymous = {} in operation.get("security", [{}])

    def add(status: int, description: str) -> None:
        responses.setdefault(
            str(status),
            {
                "description": description,
                "content": {"application/json": {"schema": _ERROR_SCHEMA}},
            },
        )

    if any(p["in"] == "query" for p in parameters) or "requestBody" in operation:
        responses.setdefault("400", {"description": _("Invalid input: messages per field.")})
    if any(p["in"] == "path" for p in parameters):
        add(404, _("Not found, or not visible to you."))
    if not anonymous or method in _WRITE_METHODS:
        # Not signed in, a missing CSRF token, or a rule that refuses (`detail` says why).
        add(403, _("Not allowed: `detail` says why."))
    if "requestBody" in operation:
        add(411, _("The body was sent without a length (chunked)."))
        add(413, _("The request body exceeds 64 KiB."))
        add(415, _("The body is not JSON."))
    if method in _WRITE_METHODS and getattr(view, "throttle_scope", None):
        add(429, _("Too many writes in a short time; Retry-After says when to try again."))
    add(503, _("The database is not reachable; Retry-After says when to try again."))


def _bound_parameter(path: str, parameter: dict[str, Any]) -> None:
    schema = parameter.setdefault("schema", {})
    if parameter["in"] == "query" and not parameter.get("required"):
        # DRF reads an optional query parameter given empty (`?status=`) as one left out.
        parameter["allowEmptyValue"] = True
    if parameter["in"] != "path":
        return
    name = parameter["name"]
    if name == "slug":
        schema["pattern"] = SLUG_PATTERN
    elif name in ("id", "proposal") and schema.get("type") == "integer":
        schema.update(minimum=1, maximum=MAX_ID)
    elif "/tiles/" in path and name in ("z", "x", "y"):
        # Within the zoom's grid (0 to 2^z - 1) is checked by the view: a schema cannot say it.
        schema.update(minimum=0, maximum=MAX_ZOOM if name == "z" else 2**MAX_ZOOM - 1)
