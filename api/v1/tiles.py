"""Vector tiles (Mapbox Vector Tile) of the proposals, built by PostGIS in one query per tile."""

from __future__ import annotations

import hashlib

from django.contrib.gis.db.models.fields import GeometryField
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.types import Person
from api.v1.filters import filterset_parameters, valid_filters
from api.v1.views import BAD_REQUEST, GeoJSONNegotiation, RequestLanguage
from geo.crs import STORAGE_SRID
from proposals.features import TILE, columns, public_proposal_rows
from proposals.filters import ProposalFilter
from proposals.models import Proposal

MVT = "application/vnd.mapbox-vector-tile"
LAYER = "proposals"
MAX_ZOOM = 22
# Tile coordinates per side (the MVT default) and the margin around the tile, in those units:
# a pin just beyond the edge still has its part of the circle drawn in this tile.
EXTENT = 4096
BUFFER = 64
WEB_MERCATOR = 3857
# Anonymous tiles are the same for everyone: shared caches may keep them for a minute. A
# signed-in person's tile also holds their own pending pins, so only their browser may keep it.
PUBLIC_CACHE = "public, max-age=60"
PRIVATE_CACHE = "private, max-age=60"

# Property name -> column of the rows (proposals/features.py); `id` is also the MVT feature id.
TILE_PROPERTIES = columns(TILE)


def tile_box(z: int, x: int, y: int) -> RawSQL:
    """The tile's square with the buffer as margin, in the storage CRS, for a `&&` test."""
    # Only placeholders and a constant go into the SQL text; the numbers are parameters.
    return RawSQL(  # noqa: S611
        f"ST_Transform(ST_TileEnvelope(%s::integer, %s::integer, %s::integer, "
        f"margin => %s::float8), {STORAGE_SRID})",
        (z, x, y, BUFFER / EXTENT),
        output_field=GeometryField(srid=STORAGE_SRID),
    )


def check_tile(z: int, x: int, y: int) -> None:
    """A tile of the Web Mercator grid (WebMercatorQuad), or a 400 naming what is out of range."""
    errors: dict[str, list[str]] = {}
    if not 0 <= z <= MAX_ZOOM:
        errors["z"] = [_("The zoom level must be between 0 and %(max)d.") % {"max": MAX_ZOOM}]
    else:
        side = 2**z
        message = _("At zoom level %(z)d, tile numbers run from 0 to %(last)d.")
        for name, value in (("x", x), ("y", y)):
            if not 0 <= value < side:
                errors[name] = [message % {"z": z, "last": side - 1}]
    if errors:
        raise ValidationError(errors)


def tile_rows(
    user: Person, filters: ProposalFilter | None, z: int, x: int, y: int
) -> QuerySet[Proposal]:
    """The proposals `user` sees on the map, filtered as the list is, near tile z/x/y.

    The box test (`&&` against the tile's square, with the buffer as margin) is what lets
    PostgreSQL use the GiST index on `location`; the exact clipping is ST_AsMVTGeom's.
    """
    rows = public_proposal_rows(user, filters=filters)
    return rows.filter(location__bboverlaps=tile_box(z, x, y))


def tile_sql(
    rows: QuerySet[Proposal],
    z: int,
    x: int,
    y: int,
    properties: dict[str, str] = TILE_PROPERTIES,
) -> tuple[str, tuple]:
    """One statement: the rows' SQL wrapped in ST_AsMVTGeom per row and ST_AsMVT over them.

    Null properties are left out of a feature by ST_AsMVT, so a secret vote total is absent,
    not zero.
    """
    columns = ["geom_4326", *properties]
    inner_sql, inner_params = (
        rows.order_by().values_list("location", *properties.values()).query.sql_with_params()
    )
    names = ", ".join(columns)
    selected = ", ".join(f"t.{name}" for name in properties)
    # Constants, integers and Django's compiled SQL (with its own parameters) only.
    sql = (
        f"SELECT ST_AsMVT(tile, '{LAYER}', {EXTENT}, 'geom', 'id') FROM ("  # noqa: S608
        f"SELECT ST_AsMVTGeom(ST_Transform(t.geom_4326, {WEB_MERCATOR}), "
        f"ST_TileEnvelope({int(z)}, {int(x)}, {int(y)}), {EXTENT}, {BUFFER}, true) AS geom, "
        # ST_AsMVT takes the first `id` column as the feature id and a later one of that name
        # as a property: browsers' tile readers keep only the properties.
        f"t.id, {selected} "
        f"FROM ({inner_sql}) AS t({names})"
        ") AS tile WHERE tile.geom IS NOT NULL"
    )
    return sql, tuple(inner_params)


def render_tile(
    rows: QuerySet[Proposal],
    z: int,
    x: int,
    y: int,
    properties: dict[str, str] = TILE_PROPERTIES,
) -> bytes:
    """The tile's bytes; empty when no proposal lies in or near it."""
    try:
        sql, params = tile_sql(rows, z, x, y, properties)
    except EmptyResultSet:
        return b""
    with connections[rows.db].cursor() as cursor:  # a read replica if the router says so
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


TILE_PATH_PARAMETERS = [
    OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=text)
    for name, text in (
        ("z", _("Zoom level, 0 to 22.")),
        ("x", _("Tile column, 0 to 2^z - 1, from the west.")),
        ("y", _("Tile row, 0 to 2^z - 1, from the north.")),
    )
]


class ProposalTileView(RequestLanguage, APIView):
    """Proposals as a Mapbox Vector Tile, for maps with more pins than GeoJSON carries well."""

    renderer_classes = [JSONRenderer]  # for errors; tiles are bytes from PostGIS
    content_negotiation_class = GeoJSONNegotiation

    @extend_schema(
        parameters=[*TILE_PATH_PARAMETERS, *filterset_parameters(ProposalFilter)],
        responses={
            (200, MVT): OpenApiResponse(
                OpenApiTypes.BINARY,
                description=_(
                    "A Mapbox Vector Tile (EPSG:3857 grid) with one layer `proposals`: points "
                    "with the properties id, title, category_color, status and vote_count "
                    "(only where the project's results are public)."
                ),
            ),
            204: OpenApiResponse(description=_("No proposal lies in this tile.")),
            304: OpenApiResponse(description=_("The tile has not changed (If-None-Match).")),
            400: BAD_REQUEST,
        },
        description=_(
            "The proposals you may see in tile z/x/y of the Web Mercator grid, filtered as "
            "the GeoJSON list is. Tiles are cacheable for a minute: publicly when you are not "
            "signed in, in your browser only when you are."
        ),
    )
    def get(self, request: Request, z: int, x: int, y: int) -> HttpResponse:
        check_tile(z, x, y)
        filters = valid_filters(ProposalFilter, request).filterset
        body = render_tile(tile_rows(request.user, filters, z, x, y), z, x, y)
        if body:
            etag = f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
            known = _etags(request.headers.get("If-None-Match", ""))
            if etag in known or "*" in known:
                response = HttpResponse(status=304)
            else:
                response = HttpResponse(body, content_type=MVT)
            response["ETag"] = etag
        else:
            # No features: no body at all (an empty tile is a valid MVT, and readers accept 204).
            response = HttpResponse(status=204)
        response["Cache-Control"] = PRIVATE_CACHE if request.user.is_authenticated else PUBLIC_CACHE
        # Who is signed in changes the tile: a shared cache must key it by the session cookie.
        patch_vary_headers(response, ["Cookie"])
        return response


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}
