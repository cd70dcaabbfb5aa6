"""OGC API - Tiles: the vector tiles of sites, proposals and districts as tilesets of the
collections, in the WebMercatorQuad tile matrix set (the tiles themselves are /api/v1/'s)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from api.ogc.openapi import JSON
from api.ogc.params import COMMON_PARAMS, OgcError, check_known, not_found, parse_format
from api.ogc.views import _collection_or_404, _json, _link, _url, ogc_view
from api.v1.tiles import MAX_ZOOM, MVT, TILE_LAYERS, TileLayer, layer_tile, tile_response

WEB_MERCATOR_QUAD = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
# Half the side of the Web Mercator square, in metres.
_ORIGIN = 20037508.3427892
# Metres per pixel at zoom 0 (256-pixel tiles), and OGC's standardised pixel size (0.28 mm).
_CELL_SIZE_0 = 156543.03392804097
_PIXEL_SIZE = 0.00028
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
REL_TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"


def tile_layer_of(collection_id: str) -> TileLayer:
    _collection_or_404(collection_id)
    layer = TILE_LAYERS.get(collection_id)
    if layer is None:
        raise not_found(
            _("The collection %(id)s has no tiles; tiles exist for: %(ids)s.")
            % {"id": collection_id, "ids": ", ".join(TILE_LAYERS)}
        )
    return layer


def _check_tms(tile_matrix_set_id: str) -> None:
    if tile_matrix_set_id != WEB_MERCATOR_QUAD:
        raise not_found(
            _("There is no tile matrix set %(id)r; the one offered is %(only)s.")
            % {"id": tile_matrix_set_id, "only": WEB_MERCATOR_QUAD}
        )


def tile_matrix_set_document() -> dict[str, Any]:
    """WebMercatorQuad as OGC 2D Tile Matrix Set 2.0 JSON, zoom 0 to MAX_ZOOM."""
    matrices = []
    for level in range(MAX_ZOOM + 1):
        cell = _CELL_SIZE_0 / 2**level
        matrices.append(
            {
                "id": str(level),
                "scaleDenominator": cell / _PIXEL_SIZE,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-_ORIGIN, _ORIGIN],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": 2**level,
                "matrixHeight": 2**level,
            }
        )
    return {
        "id": WEB_MERCATOR_QUAD,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": EPSG_3857,
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }


@ogc_view
def tile_matrix_sets(request: HttpRequest) -> HttpResponse:
    check_known(request.GET, COMMON_PARAMS)
    parse_format(request.GET)
    return _json(
        {
            "tileMatrixSets": [
                {
                    "id": WEB_MERCATOR_QUAD,
                    "title": "Google Maps Compatible for the World",
                    "uri": TMS_URI,
                    "links": [
                        _link(
                            _url(request, "tile-matrix-set", tile_matrix_set_id=WEB_MERCATOR_QUAD),
                            "self",
                            JSON,
                            WEB_MERCATOR_QUAD,
                        )
                    ],
                }
            ],
            "links": [
                _link(_url(request, "tile-matrix-sets"), "self", JSON, _("Tile matrix sets"))
            ],
        }
    )


@ogc_view
def tile_matrix_set(request: HttpRequest, tile_matrix_set_id: str) -> HttpResponse:
    check_known(request.GET, COMMON_PARAMS)
    parse_format(request.GET)
    _check_tms(tile_matrix_set_id)
    return _json(tile_matrix_set_document())


def _tileset_summary(request: HttpRequest, layer: TileLayer) -> dict[str, Any]:
    return {
        "title": str(layer.title),
        "dataType": "vector",
        "crs": EPSG_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            _link(
                _url(
                    request,
                    "tileset",
                    collection_id=layer.name,
                    tile_matrix_set_id=WEB_MERCATOR_QUAD,
                ),
                "self",
                JSON,
                _("The tileset"),
            ),
            _link(
                _url(request, "tile-matrix-set", tile_matrix_set_id=WEB_MERCATOR_QUAD),
                REL_TILING_SCHEME,
                JSON,
                WEB_MERCATOR_QUAD,
            ),
        ],
    }


@ogc_view
def tilesets(request: HttpRequest, collection_id: str) -> HttpResponse:
    layer = tile_layer_of(collection_id)
    check_known(request.GET, COMMON_PARAMS)
    parse_format(request.GET)
    return _json(
        {
            "tilesets": [_tileset_summary(request, layer)],
            "links": [
                _link(
                    _url(request, "tilesets", collection_id=layer.name),
                    "self",
                    JSON,
                    _("Tilesets of the collection"),
                )
            ],
        }
    )


@ogc_view
def tileset(request: HttpRequest, collection_id: str, tile_matrix_set_id: str) -> HttpResponse:
    layer = tile_layer_of(collection_id)
    check_known(request.GET, COMMON_PARAMS)
    parse_format(request.GET)
    _check_tms(tile_matrix_set_id)
    document = _tileset_summary(request, layer)
    template = _url(
        request,
        "tile",
        collection_id=layer.name,
        tile_matrix_set_id=WEB_MERCATOR_QUAD,
        tile_matrix=0,
        tile_row=1,
        tile_col=2,
    ).replace("/0/1/2", "/{tileMatrix}/{tileRow}/{tileCol}")
    document["links"].append(
        {**_link(template, "item", MVT, _("The tiles (Mapbox Vector Tile)")), "templated": True}
    )
    document["layers"] = [
        {
            "id": layer.name,
            "title": str(layer.title),
            "description": str(layer.description),
            "dataType": "vector",
            "geometryDimension": layer.geometry_dimension,
            "minTileMatrix": "0",
            "maxTileMatrix": str(MAX_ZOOM),
            "propertiesSchema": {
                "type": "object",
                "properties": {name: dict(schema) for name, schema in layer.schemas.items()},
            },
        }
    ]
    return _json(document)


@ogc_view
def tile(
    request: HttpRequest,
    collection_id: str,
    tile_matrix_set_id: str,
    tile_matrix: int,
    tile_row: int,
    tile_col: int,
) -> HttpResponse:
    layer = tile_layer_of(collection_id)
    check_known(request.GET, frozenset())
    _check_tms(tile_matrix_set_id)
    if not 0 <= tile_matrix <= MAX_ZOOM:
        raise OgcError(404, "NotFound", _("tileMatrix runs from 0 to %(max)d.") % {"max": MAX_ZOOM})
    side = 2**tile_matrix
    if not (0 <= tile_row < side and 0 <= tile_col < side):
        raise OgcError(
            404,
            "NotFound",
            _("At tileMatrix %(z)d, tileRow and tileCol run from 0 to %(last)d.")
            % {"z": tile_matrix, "last": side - 1},
        )
    # OGC's order is matrix/row/column, i.e. z/y/x. The public's view, as every OGC resource.
    body = layer_tile(layer, AnonymousUser(), tile_matrix, tile_col, tile_row)
    return tile_response(request, body, private=False)
