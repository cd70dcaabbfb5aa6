"""Download views: a data set in a GIS format, for GIS staff and planners.

Signed in by session (a browser) or by a personal access token (QGIS, GDAL: Bearer or HTTP
Basic, see api/authentication.py). A plain GET of GeoJSON is streamed; HEAD and Range requests
get the finished file with its length, so GDAL's /vsicurl/ can open an export in place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import wraps
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from api.authentication import CHALLENGE, accepts_token
from geo.crs import METRIC_SRID, STORAGE_SRID
from geo.exports import (
    EXTENSIONS,
    ExportError,
    ExportOptions,
    dataset,
    datasets,
    export_options,
    geojson_chunks,
    log_export,
    open_export,
)
from proposals import rules

# The URL's extension names the format: `.shp.zip` for a zipped Shapefile.
FORMAT_BY_EXTENSION = {extension: fmt for fmt, extension in EXTENSIONS.items()}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _request_language(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Messages in the language the client asks for, as the rest of the API (no URL prefix)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        return response

    return wrapped


def _export_refusal(request: HttpRequest) -> HttpResponseBase | None:
    """401 (with the challenge GIS tools answer) for nobody, 403 for the wrong person."""
    try:
        rules.may_export.enforce(request.user)
    except PermissionDenied as refusal:
        status = 401 if not request.user.is_authenticated else 403
        response = JsonResponse({"detail": str(refusal)}, status=status)
        if status == 401:
            response["WWW-Authenticate"] = CHALLENGE
        return response
    return None


@require_safe
@_request_language
@accepts_token
def index(request: HttpRequest) -> HttpResponseBase:
    """`/api/exports/`: every data set, format and CRS with its URL."""
    refusal = _export_refusal(request)
    if refusal is not None:
        return refusal
    response = JsonResponse({"datasets": download_catalogue(request)})
    response["Cache-Control"] = "private, no-store"
    return response


def download_catalogue(request: HttpRequest) -> list[dict[str, Any]]:
    """The downloads, as the index and the staff's data page list them."""
    found = []
    for name in datasets():
        entries = []
        for fmt, extension in EXTENSIONS.items():
            if fmt == "csvt":
                continue  # listed with its CSV
            for srid in (STORAGE_SRID, METRIC_SRID):
                path = reverse("exports:download", kwargs={"dataset": name, "extension": extension})
                url = request.build_absolute_uri(path) + (f"?srid={srid}" if srid != 4326 else "")
                entry: dict[str, Any] = {"format": fmt, "crs": f"EPSG:{srid}", "url": url}
                if fmt == "csv":
                    types = reverse(
                        "exports:download", kwargs={"dataset": name, "extension": "csvt"}
                    )
                    entry["types_url"] = request.build_absolute_uri(types)
                    entry["excel_url"] = url + ("&" if "?" in url else "?") + "csv_style=excel"
                entries.append(entry)
        found.append(
            {
                "name": name,
                "points": dataset(name).points,
                "downloads": entries,
            }
        )
    return found


@require_safe
@_request_language
@accepts_token
def download(request: HttpRequest, dataset: str, extension: str) -> HttpResponseBase:
    """`/api/exports/<dataset>.<ext>?srid=4326|25832&project=<slug>&csv_geometry=wkt|xy
    &csv_style=standard|excel`."""
    if dataset not in datasets() or extension not in FORMAT_BY_EXTENSION:
        raise Http404
    refusal = _export_refusal(request)
    if refusal is not None:
        return refusal
    project = request.GET.get("project") or None
    try:
        if project is not None:
            # A slug or nothing: a NUL byte must not even reach the database.
            validate_slug(project)
    except ValidationError as error:
        return JsonResponse({"project": error.messages}, status=400)
    try:
        options = export_options(
            dataset=dataset,
            fmt=FORMAT_BY_EXTENSION[extension],
            srid=request.GET.get("srid", "4326"),
            project=project,
            csv_geometry=request.GET.get("csv_geometry") or None,
            csv_style=request.GET.get("csv_style") or None,
        )
    except ValidationError as error:
        return JsonResponse(error.message_dict, status=400)
    wanted = request.headers.get("Range")
    if options.format == "geojson" and request.method == "GET" and wanted is None:
        # Streamed from a server-side cursor: the response never holds the whole collection.
        response: HttpResponseBase = StreamingHttpResponse(
            geojson_chunks(options), content_type=options.content_type
        )
        response["Content-Disposition"] = f'attachment; filename="{options.filename}"'
        log_export(options, actor=request.user, destination="download")
    else:
        try:
            produced = open_export(options)
        except ExportError as error:
            return JsonResponse({"detail": str(error)}, status=500)
        response = _file_response(request, produced, options, wanted)
    response["Cache-Control"] = "private, no-store"
    response["Accept-Ranges"] = "bytes"
    return response


def _file_response(
    request: HttpRequest, produced: IO[bytes], options: ExportOptions, wanted: str | None
) -> HttpResponseBase:
    """The finished file with its length; one byte range of it when asked (RFC 9110 14.2).

    HEAD and the reads of a range (what /vsicurl/ does, a few KB at a time) are not downloads
    of the data set: only a GET from the first byte is audited.
    """
    size = os.fstat(produced.fileno()).st_size
    start, end = 0, size - 1
    response: HttpResponseBase
    if wanted is not None:
        match = _RANGE.match(wanted.strip())
        if match is None or match.groups() == ("", ""):
            produced.close()
            return _unsatisfiable(size)
        first, last = match.groups()
        if first == "":
            start = max(size - int(last), 0)  # the last N bytes
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            produced.close()
            return _unsatisfiable(size)
    if request.method == "HEAD":
        produced.close()
        response = HttpResponse(content_type=options.content_type)
        response["Content-Length"] = str(size)
        response["Content-Disposition"] = f'attachment; filename="{options.filename}"'
        return response
    if start == 0:
        log_export(options, actor=request.user, destination="download")
    if wanted is None:
        response = FileResponse(
            produced, as_attachment=True, filename=options.filename,
            content_type=options.content_type,
        )  # fmt: skip
        response["Content-Length"] = str(size)
        return response
    produced.seek(start)
    body = produced.read(end - start + 1)
    produced.close()
    response = HttpResponse(body, status=206, content_type=options.content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Disposition"] = f'attachment; filename="{options.filename}"'
    return response


def _unsatisfiable(size: int) -> HttpResponse:
    response = JsonResponse(
        {"detail": _("The requested range is not within the file.")}, status=416
    )
    response["Content-Range"] = f"bytes */{size}"
    return response
