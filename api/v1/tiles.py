"""Vector tiles (Mapbox Vector Tile) of the proposals, built by PostGIS in one query per tile."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.fields import GeometryField
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.types import Person
from api.v1.filters import filterset_parameters, valid_filters
from api.v1.views import BAD_REQUEST, GeoJSONNegotiation, RequestLanguage
from geo.crs import STORAGE_SRID
from geo.models import Area
from infra import pagecache
from locations.models import Site
from proposals import rules
from proposals.features import (
    CLUSTER,
    PROPERTIES,
    TILE,
    columns,
    public_proposal_rows,
    public_rows_key,
)
from proposals.filters import ProposalFilter
from proposals.models import Proposal
from proposals.selectors import project_head

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
    rows: QuerySet,
    z: int,
    x: int,
    y: int,
    properties: dict[str, str] = TILE_PROPERTIES,
    *,
    geometry: str = "location",
    layer: str = LAYER,
) -> tuple[str, tuple]:
    """One statement: the rows' SQL wrapped in ST_AsMVTGeom per row and ST_AsMVT over them.

    Null properties are left out of a feature by ST_AsMVT, so a secret vote total is absent,
    not zero. `layer` names the MVT layer (one of TILE_LAYERS' names or the workspace's).
    """
    if not layer.replace("_", "").isalnum():
        raise ValueError(f"Layer names are identifiers, not {layer!r}")
    columns = ["geom_4326", *properties]
    inner_sql, inner_params = (
        rows.order_by().values_list(geometry, *properties.values()).query.sql_with_params()
    )
    names = ", ".join(columns)
    selected = ", ".join(f"t.{name}" for name in properties)
    # Constants, integers and Django's compiled SQL (with its own parameters) only.
    sql = (
        f"SELECT ST_AsMVT(tile, '{layer}', {EXTENT}, 'geom', 'id') FROM ("  # noqa: S608
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
    rows: QuerySet,
    z: int,
    x: int,
    y: int,
    properties: dict[str, str] = TILE_PROPERTIES,
    *,
    geometry: str = "location",
    layer: str = LAYER,
) -> bytes:
    """The tile's bytes; empty when no feature lies in or near it."""
    try:
        sql, params = tile_sql(rows, z, x, y, properties, geometry=geometry, layer=layer)
    except EmptyResultSet:
        return b""
    with connections[rows.db].cursor() as cursor:  # a read replica if the router says so
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


# --- the proposals' own tiles: pins, or clusters where a tile holds too many -----------------

CLUSTER_LAYER = "clusters"
# A cluster cell's side in tile units: a quarter of the tile (64 of its 256 pixels), about the
# size of a drawn cluster, so neighbouring clusters do not overlap.
CLUSTER_CELL = EXTENT // 4
# The sphere of Web Mercator (EPSG:3857), and half the side of its square, in metres.
_RADIUS = 6378137.0
_HALF_WORLD = 20037508.342789244


class _Arg(Enum):
    """A tile's number in a compiled statement, filled in for each request."""

    Z = "z"
    X = "x"
    Y = "y"
    MARGIN = "margin"
    XMIN = "xmin"
    YMAX = "ymax"
    XMAX = "xmax"
    YMIN = "ymin"
    CELL = "cell"


def _tile_args(z: int, x: int, y: int) -> dict[_Arg, Any]:
    side = 2 * _HALF_WORLD / 2**z
    xmin, ymax = -_HALF_WORLD + x * side, _HALF_WORLD - y * side
    return {
        _Arg.Z: z,
        _Arg.X: x,
        _Arg.Y: y,
        _Arg.MARGIN: BUFFER / EXTENT,
        _Arg.XMIN: xmin,
        _Arg.YMAX: ymax,
        _Arg.XMAX: xmin + side,
        _Arg.YMIN: ymax - side,
        _Arg.CELL: side * CLUSTER_CELL / EXTENT,
    }


_ENVELOPE = "ST_TileEnvelope(%s::integer, %s::integer, %s::integer)"
_ZXY = (_Arg.Z, _Arg.X, _Arg.Y)


def _pins_sql(rows: QuerySet) -> tuple[str, tuple]:
    """The pins of a tile: one feature per proposal (as `tile_sql`), the tile's numbers open."""
    names = ["geom_4326", *TILE_PROPERTIES]
    inner, inner_params = (
        rows.order_by().values_list("location", *TILE_PROPERTIES.values()).query.sql_with_params()
    )
    selected = ", ".join(f"t.{name}" for name in TILE_PROPERTIES)
    sql = (
        f"SELECT ST_AsMVT(tile, '{LAYER}', {EXTENT}, 'geom', 'id') FROM ("  # noqa: S608
        f"SELECT ST_AsMVTGeom(ST_Transform(t.geom_4326, {WEB_MERCATOR}), {_ENVELOPE}, "
        f"{EXTENT}, {BUFFER}, true) AS geom, t.id, {selected} "
        f"FROM ({inner}) AS t({', '.join(names)}) "
        f"WHERE t.geom_4326 && ST_Transform(ST_TileEnvelope(%s::integer, %s::integer, "
        f"%s::integer, margin => %s::float8), {STORAGE_SRID})"
        ") AS tile WHERE tile.geom IS NOT NULL"
    )
    return sql, (*_ZXY, *inner_params, *_ZXY, _Arg.MARGIN)


def _clusters_sql(rows: QuerySet) -> tuple[str, tuple]:
    """The clusters of a tile: its proposals grouped by cells of its grid (CLUSTER_CELL units).

    Each proposal falls in exactly one tile (half-open bounds) and one cell; a cluster lies at
    the mean of its proposals and carries the summaries of proposals/features.py (CLUSTER).
    """
    read = {name: summary.column for name, summary in CLUSTER.items() if summary.column}
    inner, inner_params = (
        rows.order_by().values_list("location", *read.values()).query.sql_with_params()
    )
    names = ", ".join(["geom_4326", *read])
    carried = "".join(f", t.{name}" for name in read)
    summaries = ", ".join(
        f"{summary.aggregate.format(f'p.{name}')} AS {name}" for name, summary in CLUSTER.items()
    )
    # Web Mercator's own (spherical) formulas: what ST_Transform computes to the nanometre, at
    # a third of its cost on a busy low-zoom tile, where every point is grouped.
    sql = (
        f"SELECT ST_AsMVT(cell, '{CLUSTER_LAYER}', {EXTENT}, 'geom') FROM ("  # noqa: S608
        f"SELECT ST_AsMVTGeom(ST_Point(avg(p.mx), avg(p.my), {WEB_MERCATOR}), {_ENVELOPE}, "
        f"{EXTENT}, 0, false) AS geom, {summaries} "
        f"FROM (SELECT ST_X(t.geom_4326) * {_RADIUS} * pi() / 180 AS mx, "
        f"{_RADIUS} * ln(tan(pi() / 4 + radians(ST_Y(t.geom_4326)) / 2)) AS my{carried} "
        f"FROM ({inner}) AS t({names}) "
        # OFFSET 0 keeps the bounds test below from being pushed into the scan, where its
        # guessed selectivity made the planner join and sort far worse.
        f"WHERE t.geom_4326 && ST_Transform({_ENVELOPE}, {STORAGE_SRID}) OFFSET 0) AS p "
        "WHERE p.mx >= %s AND p.mx < %s AND p.my > %s AND p.my <= %s "
        "GROUP BY floor((p.mx - %s) / %s)::integer, floor((%s - p.my) / %s)::integer"
        ") AS cell"
    )
    params = (
        *_ZXY,
        *inner_params,
        *_ZXY,
        _Arg.XMIN,
        _Arg.XMAX,
        _Arg.YMIN,
        _Arg.YMAX,
        _Arg.XMIN,
        _Arg.CELL,
        _Arg.YMAX,
        _Arg.CELL,
    )
    return sql, params


def _pins_or_clusters_sql(rows: QuerySet, most: int) -> tuple[str, tuple]:
    """Pins when the tile holds at most `most` proposals, else clusters: one statement.

    Counting stops after `most` + 1 rows of the index, and PostgreSQL evaluates only the
    branch the count chooses.
    """
    inner, inner_params = rows.order_by().values_list("location").query.sql_with_params()
    pins, pins_params = _pins_sql(rows)
    clusters, clusters_params = _clusters_sql(rows)
    sql = (
        "SELECT CASE WHEN (SELECT count(*) FROM (SELECT 1 "  # noqa: S608
        f"FROM ({inner}) AS t(geom_4326) "
        f"WHERE t.geom_4326 && ST_Transform({_ENVELOPE}, {STORAGE_SRID}) "
        f"LIMIT {int(most) + 1}) AS n) > {int(most)} "
        f"THEN ({clusters}) ELSE ({pins}) END"
    )
    return sql, (*inner_params, *_ZXY, *clusters_params, *pins_params)


_STORES_LOCK = threading.Lock()
# Valid filters by query string: a map asks for dozens of tiles with the same one, and a
# FilterSet's form costs as much as a small tile's query. Bounded; invalid ones are not kept.
_FILTERS: dict[tuple[Any, ...], ProposalFilter] = {}
_FILTERS_MAX = 512


def tile_filters(request: Request) -> ProposalFilter:
    """The request's list filters, validated (a 400 naming each bad parameter) once per query."""
    key = tuple(sorted((name, tuple(values)) for name, values in request.query_params.lists()))
    found = _FILTERS.get(key)
    if found is None:
        found = valid_filters(ProposalFilter, request).filterset
        _remember(_FILTERS, key, found, _FILTERS_MAX)
    return found


def _remember(store: dict, key: Any, value: Any, most: int) -> None:
    """Keeps `value` in a bounded store, dropping the oldest entry when it is full."""
    with _STORES_LOCK:
        if len(store) >= most:
            store.pop(next(iter(store)), None)
        store[key] = value


# Compiled statements by what they depend on: the ORM builds the same SQL for every tile of a
# person's map, and building it costs more than a small tile's query. Bounded; any process.
_STATEMENTS: dict[tuple[Any, ...], tuple[str, tuple]] = {}
_STATEMENTS_MAX = 512


def proposal_tile(user: Person, filters: ProposalFilter | None, z: int, x: int, y: int) -> bytes:
    """The tile z/x/y of the proposals `user` sees, filtered as the list is.

    Up to `MAP_TILE_CLUSTER_MAX_ZOOM`, a tile holding more than `MAP_TILE_CLUSTER_ABOVE` of
    them carries clusters (layer `clusters`: count and colour per cell) instead of pins (layer
    `proposals`); deeper, always pins. Both count what `public_proposal_rows` gives `user`.

    A visitor's tile of one project is the same for every visitor until the project's data
    changes: it is kept (infra/pagecache.py) by the project's data version, phase and whether
    its totals are public, read before the tile, so a kept tile is never older than its key.
    """
    clustering = z <= settings.MAP_TILE_CLUSTER_MAX_ZOOM
    most = int(settings.MAP_TILE_CLUSTER_ABOVE)
    key = (public_rows_key(user, filters=filters), clustering and most)
    shared = _visitors_key(user, filters, (key, z, x, y))
    if shared is not None and (kept := pagecache.lookup(shared)) is not None:
        return kept.content
    body = _tile(user, filters, key, clustering, most, z, x, y)
    if shared is not None:
        pagecache.keep(shared, pagecache.SharedPage(body, MVT))
    return body


def _visitors_key(
    user: Person, filters: ProposalFilter | None, tile: tuple[Any, ...]
) -> tuple[Any, ...] | None:
    """The key a visitor's tile of one project is kept by; None when it is not kept (signed
    in, no single project, the cache off, or a project without a data version)."""
    if user.is_authenticated or filters is None or settings.PAGE_CACHE_BYTES <= 0:
        return None
    slug = filters.form.cleaned_data.get("project")
    found = project_head(slug) if slug else None
    if found is None or found[1] is None:
        return None
    head, version = found
    now = timezone.now()
    return (
        "tile",
        head.pk,
        version,
        head.phase_at(now),
        rules.may_view_results(user, head, now),
        *tile,
    )


def _tile(
    user: Person,
    filters: ProposalFilter | None,
    key: tuple[Any, ...],
    clustering: bool,
    most: int,
    z: int,
    x: int,
    y: int,
) -> bytes:
    """The tile from the database: its statement compiled once per key, run with z/x/y."""
    statement = _STATEMENTS.get(key)
    if statement is None:
        rows = public_proposal_rows(user, filters=filters)
        try:
            statement = _pins_or_clusters_sql(rows, most) if clustering else _pins_sql(rows)
        except EmptyResultSet:
            return b""
        _remember(_STATEMENTS, key, statement, _STATEMENTS_MAX)
    sql, params = statement
    args = _tile_args(z, x, y)
    values = tuple(args[p] if isinstance(p, _Arg) else p for p in params)
    # A read replica if the router says so, as the queryset would have chosen.
    with connections[router.db_for_read(Proposal)].cursor() as cursor:
        cursor.execute(sql, values)
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
                    "(only where the project's results are public). Up to zoom level "
                    "MAP_TILE_CLUSTER_MAX_ZOOM (16 by default), a tile holding more than "
                    "MAP_TILE_CLUSTER_ABOVE proposals (200 by default) has the layer `clusters` "
                    "instead: one point per cell of a 4-by-4 grid of the tile, at the mean of "
                    "its proposals, with the property count."
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
        body = proposal_tile(request.user, tile_filters(request), z, x, y)
        return tile_response(request, body, private=request.user.is_authenticated)


def tile_response(request: Any, body: bytes, *, private: bool) -> HttpResponse:
    """The tile with its ETag (304 when the client has it), or 204 when it is empty."""
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
    response["Cache-Control"] = PRIVATE_CACHE if private else PUBLIC_CACHE
    # Who is signed in changes a proposal tile: a shared cache must key it by the cookie.
    patch_vary_headers(response, ["Cookie"])
    return response


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}


# --- the tile layers as a standard: TileJSON, and the layers of sites and districts ---------


@dataclass(frozen=True)
class TileLayer:
    """A layer of vector tiles: its rows, geometry and properties (`id` is the feature id)."""

    name: str
    title: str | Promise
    description: str | Promise
    geometry: str
    properties: Mapping[str, str]  # property name -> column
    schemas: Mapping[str, Mapping[str, Any]]  # property name -> JSON Schema
    geometry_dimension: int  # 0: points, 2: polygons
    # The rows a user sees; True: the same for everyone, so tiles may be cached publicly.
    rows: Callable[[Any], QuerySet]
    same_for_everyone: bool = True

    def url_template(self, request: Any) -> str:
        """The tiles' absolute URL with {z}/{x}/{y}, as map libraries want it."""
        name = "proposal-tiles" if self.name == "proposals" else "layer-tiles"
        kwargs = {
            "z": 0,
            "x": 1,
            "y": 2,
            **({"layer": self.name} if self.name != "proposals" else {}),
        }
        path = reverse(f"api-v1:{name}", kwargs=kwargs)
        return request.build_absolute_uri(path).replace("/0/1/2.mvt", "/{z}/{x}/{y}.mvt")


def _district_rows(user: Any) -> QuerySet:
    return Area.objects.filter(kind=Area.Kind.DISTRICT)


def _site_rows(user: Any) -> QuerySet:
    return Site.objects.all()


_TEXT = {"type": "string"}
TILE_LAYERS: dict[str, TileLayer] = {
    layer.name: layer
    for layer in (
        TileLayer(
            name="proposals",
            title=_("Proposals"),
            description=_("Public proposals; vote totals where the project's results are public."),
            geometry="location",
            properties=TILE_PROPERTIES,
            schemas={name: PROPERTIES[name].schema for name in TILE},
            geometry_dimension=0,
            rows=lambda user: public_proposal_rows(user),
            same_for_everyone=False,
        ),
        TileLayer(
            name="sites",
            title=_("Sites"),
            description=_("Places the city names: squares, lots, candidate locations."),
            geometry="location",
            properties={"id": "pk", "name": "name", "slug": "slug", "kind": "kind"},
            schemas={"id": {"type": "integer"}, "name": _TEXT, "slug": _TEXT, "kind": _TEXT},
            geometry_dimension=0,
            rows=_site_rows,
        ),
        TileLayer(
            name="districts",
            title=_("Districts"),
            description=_("The city's districts."),
            geometry="geometry",
            properties={"id": "pk", "name": "name", "slug": "slug", "population": "population"},
            schemas={
                "id": {"type": "integer"},
                "name": _TEXT,
                "slug": _TEXT,
                "population": {"type": "integer", "nullable": True},
            },
            geometry_dimension=2,
            rows=_district_rows,
        ),
    )
}
# TileJSON's names of the JSON types.
_TILEJSON_TYPES = {"integer": "Number", "number": "Number", "boolean": "Boolean"}


def layer_tile(layer: TileLayer, user: Any, z: int, x: int, y: int) -> bytes:
    rows = layer.rows(user).filter(**{f"{layer.geometry}__bboverlaps": tile_box(z, x, y)})
    return render_tile(
        rows, z, x, y, dict(layer.properties), geometry=layer.geometry, layer=layer.name
    )


def tilejson(layer: TileLayer, request: Any) -> dict[str, Any]:
    """TileJSON 3.0.0 of a layer: where its tiles are, its zooms, extent and fields."""
    extent = layer.rows(request.user).aggregate(box=Extent(layer.geometry))["box"]
    bounds = list(extent) if extent else [-180.0, -85.0511, 180.0, 85.0511]
    center = [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 12]
    return {
        "tilejson": "3.0.0",
        "name": str(layer.title),
        "description": str(layer.description),
        "scheme": "xyz",
        "tiles": [layer.url_template(request)],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": center,
        "vector_layers": [
            {
                "id": layer.name,
                "description": str(layer.description),
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "fields": {
                    name: _TILEJSON_TYPES.get(str(schema.get("type")), "String")
                    for name, schema in layer.schemas.items()
                    if name != "id"
                },
            },
            *(_cluster_layer() if layer.name == LAYER else []),
        ],
    }


def _cluster_layer() -> list[dict[str, Any]]:
    """The proposals' tiles carry clusters instead of pins where a tile holds too many."""
    return [
        {
            "id": CLUSTER_LAYER,
            "description": str(
                _(
                    "Where a tile holds more proposals than the map draws one by one: how many "
                    "lie in each cell of a 4-by-4 grid of the tile, at their mean position."
                )
            ),
            "minzoom": 0,
            "maxzoom": max(0, int(settings.MAP_TILE_CLUSTER_MAX_ZOOM)),
            "fields": {
                name: _TILEJSON_TYPES.get(str(summary.schema.get("type")), "String")
                for name, summary in CLUSTER.items()
            },
        }
    ]


LAYER_PARAMETER = OpenApiParameter(
    "layer",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=["sites", "districts"],
    description=_("The layer: sites or districts (proposals have their own path)."),
)


class LayerTileView(RequestLanguage, APIView):
    """Sites or districts as a Mapbox Vector Tile, the same for everyone."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = GeoJSONNegotiation

    @extend_schema(
        parameters=[LAYER_PARAMETER, *TILE_PATH_PARAMETERS],
        responses={
            (200, MVT): OpenApiResponse(
                OpenApiTypes.BINARY,
                description=_(
                    "A Mapbox Vector Tile (EPSG:3857 grid) with one layer named like the path: "
                    "sites (points: id, name, slug, kind) or districts (polygons: id, name, "
                    "slug, population)."
                ),
            ),
            204: OpenApiResponse(description=_("Nothing lies in this tile.")),
            304: OpenApiResponse(description=_("The tile has not changed (If-None-Match).")),
            400: BAD_REQUEST,
            404: OpenApiResponse(description=_("No such layer.")),
        },
        description=_("Sites or districts in tile z/x/y of the Web Mercator grid."),
    )
    def get(self, request: Request, layer: str, z: int, x: int, y: int) -> HttpResponse:
        found = TILE_LAYERS.get(layer)
        if found is None or layer == "proposals":
            raise NotFound(_("There is no tile layer %(layer)r.") % {"layer": layer})
        check_tile(z, x, y)
        return tile_response(request, layer_tile(found, request.user, z, x, y), private=False)


class TileJSONView(RequestLanguage, APIView):
    """TileJSON 3.0.0 of a tile layer, for MapLibre, OpenLayers, QGIS and others."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "layer",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(TILE_LAYERS),
                description=_("The layer: proposals, sites or districts."),
            )
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description=_("The TileJSON document.")),
            404: OpenApiResponse(description=_("No such layer.")),
        },
        description=_("Where a layer's vector tiles are, its zoom levels, extent and fields."),
    )
    def get(self, request: Request, layer: str) -> Response:
        found = TILE_LAYERS.get(layer)
        if found is None:
            raise NotFound(_("There is no tile layer %(layer)r.") % {"layer": layer})
        return Response(tilejson(found, request))
