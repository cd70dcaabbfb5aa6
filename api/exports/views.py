"""Download views: a data set in a GIS format, for GIS staff and planners."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.utils import translation
from django.views.decorators.http import require_GET

from geo.exports import (
    EXTENSIONS,
    ExportError,
    datasets,
    export_options,
    geojson_chunks,
    log_export,
    open_export,
)
from proposals import rules

# The URL's extension names the format: `.shp.zip` for a zipped Shapefile.
FORMAT_BY_EXTENSION = {extension: fmt for fmt, extension in EXTENSIONS.items()}


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


@require_GET
@_request_language
def download(request: HttpRequest, dataset: str, extension: str) -> HttpResponseBase:
    """`/api/exports/<dataset>.<ext>?srid=4326|25832&project=<slug>&csv_geometry=wkt|xy`."""
    if dataset not in datasets() or extension not in FORMAT_BY_EXTENSION:
        raise Http404
    try:
        rules.may_export.enforce(request.user)
    except PermissionDenied as refusal:
        return JsonResponse({"detail": str(refusal)}, status=403)
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
        )
    except ValidationError as error:
        return JsonResponse(error.message_dict, status=400)
    disposition = f'attachment; filename="{options.filename}"'
    if options.format == "geojson":
        # Streamed from a server-side cursor: the response never holds the whole collection.
        response: HttpResponseBase = StreamingHttpResponse(
            geojson_chunks(options), content_type=options.content_type
        )
        response["Content-Disposition"] = disposition
        log_export(options, actor=request.user, destination="download")
    else:
        try:
            produced = open_export(options)
        except ExportError as error:
            return JsonResponse({"detail": str(error)}, status=500)
        log_export(options, actor=request.user, destination="download")
        response = FileResponse(
            produced, as_attachment=True, filename=options.filename,
            content_type=options.content_type,
        )  # fmt: skip
    response["Cache-Control"] = "private, no-store"
    return response
