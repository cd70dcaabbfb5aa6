"""JSON request bodies with a size cap: writes are small, so big bodies are refused unread."""

from __future__ import annotations

import codecs
import json
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from api.exceptions import PayloadTooLarge

# A proposal is at most 120 + 5000 characters and a point: 64 KiB leaves ample room for any
# legitimate write and keeps anyone from making the server parse megabytes.
MAX_BODY_BYTES = 64 * 1024


class CappedJSONParser(JSONParser):
    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        parser_context = parser_context or {}
        request = parser_context.get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise PayloadTooLarge()
        raw = stream.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise PayloadTooLarge()
        encoding = parser_context.get("encoding") or "utf-8"
        try:
            text = codecs.decode(raw, encoding)
            data = json.loads(text, parse_constant=_refuse_constant)
            # A lone surrogate ("\ud800") is valid JSON but cannot be stored as text.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (ValueError, LookupError) as exc:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": exc}) from None
        except RecursionError:
            raise ParseError(_("The body is nested too deeply.")) from None
        return data


class CappedGeoJSONParser(CappedJSONParser):
    """The same for bodies sent as GeoJSON (a Feature), which GIS clients label so."""

    media_type = "application/geo+json"


def _refuse_constant(name: str) -> None:
    raise ValueError(_("%(name)s is not a number JSON allows.") % {"name": name})
