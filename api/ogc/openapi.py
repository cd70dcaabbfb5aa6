"""The OpenAPI 3.0 definition of the OGC API - Features endpoints, built from the registry."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from api.ogc.collections import COLLECTIONS, CRS84, SUPPORTED_CRS, Collection
from api.ogc.cql import FILTER_LANGUAGES, MAX_FILTER_CHARS
from api.ogc.params import DEFAULT_LIMIT, FORMATS, MAX_LIMIT
from api.v1.tiles import MVT, TILE_LAYERS

OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
# The schema dialect of OpenAPI 3.0 (its Schema Object, with `nullable`).
OPENAPI_SCHEMA_DIALECT = "https://spec.openapis.org/oas/3.0/schema/2021-09-28#/definitions/Schema"
SCHEMA_JSON = "application/schema+json"
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _query(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    # style form, explode false: what OGC API - Features declares and QGIS looks for.
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "schema": schema,
        "description": description,
        **extra,
    }


def _content(schema_name: str, media_type: str) -> dict[str, Any]:
    return {
        media_type: {"schema": _ref("schemas", schema_name)},
        HTML: {"schema": {"type": "string"}},
    }


def _parameters() -> dict[str, Any]:
    crs_uris = [crs.uri for crs in SUPPORTED_CRS]
    return {
        "f": _query(
            "f",
            {"type": "string", "enum": list(FORMATS)},
            _("Output format; without it, the Accept header decides (JSON by default)."),
        ),
        "limit": _query(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            _("Features per page. Larger values are served as the maximum."),
        ),
        "offset": _query(
            "offset",
            {"type": "integer", "minimum": 0, "default": 0},
            _("Features to skip; the next/prev links carry it."),
        ),
        "bbox": _query(
            "bbox",
            {
                "type": "array",
                "minItems": 4,
                "maxItems": 6,
                "items": {"type": "number"},
            },
            _(
                "Only features intersecting the box: minimum and maximum on each axis, in the "
                "axis order of bbox-crs (CRS84: lon,lat)."
            ),
        ),
        "bbox-crs": _query(
            "bbox-crs",
            {"type": "string", "format": "uri", "enum": crs_uris, "default": CRS84.uri},
            _("CRS of the bbox numbers."),
        ),
        "crs": _query(
            "crs",
            {"type": "string", "format": "uri", "enum": crs_uris, "default": CRS84.uri},
            _(
                "CRS of the output geometry, in its official axis order (EPSG:4326 is lat/lon); "
                "the Content-Crs header names it."
            ),
        ),
        "datetime": _query(
            "datetime",
            {"type": "string"},
            _(
                "RFC 3339 date, date-time or interval (a/b, ../b, a/..): only features then. "
                "Collections without time (sites, districts) check it and ignore it."
            ),
        ),
        "filter": _query(
            "filter",
            {"type": "string", "maxLength": MAX_FILTER_CHARS},
            _(
                "A CQL2 filter over the collection's queryables (see /queryables), e.g. "
                "status = 'accepted' AND vote_count > 10, or "
                "S_INTERSECTS(geometry, POLYGON((7.74 49.43, 7.79 49.43, 7.79 49.45, "
                "7.74 49.43))). Text or JSON, as filter-lang says."
            ),
        ),
        "filter-lang": _query(
            "filter-lang",
            {"type": "string", "enum": list(FILTER_LANGUAGES), "default": "cql2-text"},
            _(
                "The encoding of the filter: cql2-text or cql2-json; cql-text (the name of "
                "earlier drafts, sent by GDAL 3.6) is read as cql2-text."
            ),
        ),
        "filter-crs": _query(
            "filter-crs",
            {"type": "string", "format": "uri", "enum": crs_uris, "default": CRS84.uri},
            _("CRS of the filter's geometries, in its official axis order."),
        ),
        "sortby": _query(
            "sortby",
            {"type": "array", "minItems": 1, "items": {"type": "string"}},
            _(
                "Properties to sort by, each with - for descending order (+ or nothing: "
                "ascending); the id decides between equal values."
            ),
        ),
        "properties": _query(
            "properties",
            {"type": "array", "items": {"type": "string"}},
            _("Only these properties in each feature (comma-separated)."),
        ),
        "skipGeometry": _query(
            "skipGeometry",
            {"type": "boolean", "default": False},
            _("true: features without geometry (null), for tables."),
        ),
        "project": _query(
            "project",
            {"type": "string"},
            _("Only proposals of the project with this slug."),
        ),
        "tileMatrixSetId": {
            "name": "tileMatrixSetId",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": ["WebMercatorQuad"]},
            "description": _("The tile matrix set: WebMercatorQuad."),
        },
        "tileMatrix": {
            "name": "tileMatrix",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": 22},
            "description": _("Zoom level (the tile matrix), 0 to 22."),
        },
        "tileRow": {
            "name": "tileRow",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
            "description": _("Row of the tile, 0 to 2^tileMatrix - 1, from the north."),
        },
        "tileCol": {
            "name": "tileCol",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
            "description": _("Column of the tile, 0 to 2^tileMatrix - 1, from the west."),
        },
        "featureId": {
            "name": "featureId",
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
            "description": _("The feature's id."),
        },
    }


def _responses() -> dict[str, Any]:
    error = {JSON: {"schema": _ref("schemas", "exception")}}
    return {
        "InvalidParameter": {"description": _("A query parameter is invalid."), "content": error},
        "NotFound": {"description": _("No such resource."), "content": error},
        "NotAllowed": {
            "description": _("Only GET and HEAD are allowed."),
            "content": error,
        },
        "ServiceUnavailable": {
            "description": _("The database is not reachable; Retry-After says when to try again."),
            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 0}}},
            "content": error,
        },
    }


def _link_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    }


def _schemas() -> dict[str, Any]:
    links = {"type": "array", "items": _ref("schemas", "link")}
    geometry = {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {"type": {"type": "string"}, "coordinates": {"type": "array", "items": {}}},
    }
    return {
        "exception": {
            "type": "object",
            "required": ["code"],
            "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
        },
        "link": _link_schema(),
        "landingPage": {
            "type": "object",
            "required": ["links"],
            "properties": {
                "title": {"type": "string"},
                "description": {"type": "string"},
                "links": links,
            },
        },
        "confClasses": {
            "type": "object",
            "required": ["conformsTo"],
            "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
        },
        "extent": {
            "type": "object",
            "properties": {
                "spatial": {
                    "type": "object",
                    "properties": {
                        "bbox": {
                            "type": "array",
                            "items": {
                                "type": "array",
                                "minItems": 4,
                                "maxItems": 6,
                                "items": {"type": "number"},
                            },
                        },
                        "crs": {"type": "string"},
                    },
                },
                "temporal": {
                    "type": "object",
                    "properties": {
                        "interval": {
                            "type": "array",
                            "items": {
                                "type": "array",
                                "minItems": 2,
                                "maxItems": 2,
                                "items": {
                                    "type": "string",
                                    "format": "date-time",
                                    "nullable": True,
                                },
                            },
                        },
                        "trs": {"type": "string"},
                    },
                },
            },
        },
        "collection": {
            "type": "object",
            "required": ["id", "links"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "links": links,
                "extent": _ref("schemas", "extent"),
                "itemType": {"type": "string"},
                "crs": {"type": "array", "items": {"type": "string"}},
                "storageCrs": {"type": "string"},
            },
        },
        "collections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {
                "links": links,
                "collections": {"type": "array", "items": _ref("schemas", "collection")},
            },
        },
        "geometryGeoJSON": geometry,
        "featureGeoJSON": {
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                # Null with skipGeometry=true.
                "geometry": {"allOf": [_ref("schemas", "geometryGeoJSON")], "nullable": True},
                "properties": {"type": "object", "nullable": True},
                "links": links,
            },
        },
        "featureCollectionGeoJSON": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": _ref("schemas", "featureGeoJSON")},
                "links": links,
                "timeStamp": {"type": "string", "format": "date-time"},
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0},
            },
        },
    }


def _collection_paths(collection: Collection) -> dict[str, Any]:
    base = f"/collections/{collection.id}"
    item_params = [_ref("parameters", name) for name in ("limit", "offset", "bbox", "bbox-crs")]
    item_params.append(_ref("parameters", "crs"))
    item_params.append(_ref("parameters", "datetime"))
    item_params.extend(
        _ref("parameters", name)
        for name in ("filter", "filter-lang", "filter-crs", "sortby", "properties", "skipGeometry")
    )
    item_params.extend(_ref("parameters", name) for name in collection.filters)
    item_params.append(_ref("parameters", "f"))
    feature_schema = {
        "allOf": [
            _ref("schemas", "featureGeoJSON"),
            {
                "type": "object",
                "properties": {
                    "properties": {
                        "type": "object",
                        "properties": dict(collection.property_types),
                    }
                },
            },
        ]
    }
    features_content = {
        GEOJSON: {"schema": _ref("schemas", "featureCollectionGeoJSON")},
        HTML: {"schema": {"type": "string"}},
    }
    return {
        base: {
            "get": {
                "tags": ["Collections"],
                "summary": str(collection.title),
                "description": str(collection.description),
                "operationId": f"describeCollection_{collection.id}",
                "parameters": [_ref("parameters", "f")],
                "responses": {
                    "200": {
                        "description": _("The collection."),
                        "content": _content("collection", JSON),
                    },
                    "400": _ref("responses", "InvalidParameter"),
                },
            }
        },
        f"{base}/items": {
            "get": {
                "tags": ["Data"],
                "summary": _("Features of %(title)s") % {"title": collection.title},
                "operationId": f"getFeatures_{collection.id}",
                "parameters": item_params,
                "responses": {
                    "200": {
                        "description": _(
                            "A page of features, with next/prev links; the Content-Crs header "
                            "names the CRS."
                        ),
                        "headers": {"Content-Crs": {"schema": {"type": "string"}}},
                        "content": features_content,
                    },
                    "400": _ref("responses", "InvalidParameter"),
                },
            }
        },
        f"{base}/queryables": _schema_get(
            _("Queryables of %(title)s") % {"title": collection.title},
            f"getQueryables_{collection.id}",
            _("The properties a filter may name, as JSON Schema (OGC API - Features Part 3)."),
        ),
        f"{base}/schema": _schema_get(
            _("Schema of %(title)s") % {"title": collection.title},
            f"getSchema_{collection.id}",
            _("A feature of the collection as a schema: every property with its type."),
        ),
        f"{base}/items/{{featureId}}": {
            "get": {
                "tags": ["Data"],
                "summary": _("One feature of %(title)s") % {"title": collection.title},
                "operationId": f"getFeature_{collection.id}",
                "parameters": [
                    _ref("parameters", "featureId"),
                    _ref("parameters", "crs"),
                    _ref("parameters", "f"),
                ],
                "responses": {
                    "200": {
                        "description": _("The feature."),
                        "headers": {"Content-Crs": {"schema": {"type": "string"}}},
                        "content": {
                            GEOJSON: {"schema": feature_schema},
                            HTML: {"schema": {"type": "string"}},
                        },
                    },
                    "400": _ref("responses", "InvalidParameter"),
                    "404": _ref("responses", "NotFound"),
                },
            }
        },
    }


def _json_get(
    summary: str, operation_id: str, description: str, parameters: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "get": {
            "tags": ["Tiles"],
            "summary": summary,
            "operationId": operation_id,
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": description,
                    "content": {JSON: {"schema": {"type": "object"}}},
                },
                "400": _ref("responses", "InvalidParameter"),
                "404": _ref("responses", "NotFound"),
            },
        }
    }


def _tile_paths(collection_id: str) -> dict[str, Any]:
    base = f"/collections/{collection_id}/tiles"
    tms = _ref("parameters", "tileMatrixSetId")
    return {
        base: _json_get(
            _("Tilesets of %(id)s") % {"id": collection_id},
            f"getTileSetsList_{collection_id}",
            _("The vector tilesets of the collection."),
            [_ref("parameters", "f")],
        ),
        f"{base}/{{tileMatrixSetId}}": _json_get(
            _("Tileset of %(id)s") % {"id": collection_id},
            f"getTileSet_{collection_id}",
            _("The tileset: its tile matrix set, layer and the tiles' URL template."),
            [tms, _ref("parameters", "f")],
        ),
        f"{base}/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}": {
            "get": {
                "tags": ["Tiles"],
                "summary": _("A vector tile of %(id)s") % {"id": collection_id},
                "operationId": f"getTile_{collection_id}",
                "parameters": [
                    tms,
                    _ref("parameters", "tileMatrix"),
                    _ref("parameters", "tileRow"),
                    _ref("parameters", "tileCol"),
                ],
                "responses": {
                    "200": {
                        "description": _("The tile (Mapbox Vector Tile)."),
                        "content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
                    },
                    "204": {"description": _("Nothing lies in this tile.")},
                    "304": {"description": _("The tile has not changed (If-None-Match).")},
                    "400": _ref("responses", "InvalidParameter"),
                    "404": _ref("responses", "NotFound"),
                },
            }
        },
    }


def _schema_get(summary: str, operation_id: str, description: str) -> dict[str, Any]:
    schema = {"schema": {"type": "object"}}
    return {
        "get": {
            "tags": ["Collections"],
            "summary": summary,
            "operationId": operation_id,
            "parameters": [_ref("parameters", "f")],
            "responses": {
                "200": {"description": description, "content": {SCHEMA_JSON: schema, JSON: schema}},
                "400": _ref("responses", "InvalidParameter"),
                "404": _ref("responses", "NotFound"),
            },
        }
    }


def _simple_get(
    summary: str, operation_id: str, schema: str, description: str, tag: str
) -> dict[str, Any]:
    return {
        "get": {
            "tags": [tag],
            "summary": summary,
            "operationId": operation_id,
            "parameters": [_ref("parameters", "f")],
            "responses": {
                "200": {"description": description, "content": _content(schema, JSON)},
                "400": _ref("responses", "InvalidParameter"),
            },
        }
    }


def openapi_document(base_url: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document; `base_url` is the absolute URL of the landing page."""
    paths: dict[str, Any] = {
        "/": _simple_get(
            _("Landing page"),
            "getLandingPage",
            "landingPage",
            _("Links to the API."),
            "Capabilities",
        ),
        "/conformance": _simple_get(
            _("Conformance classes"),
            "getConformanceDeclaration",
            "confClasses",
            _("The conformance classes this API implements."),
            "Capabilities",
        ),
        "/api": {
            "get": {
                "tags": ["Capabilities"],
                "summary": _("This API definition"),
                "operationId": "getApiDefinition",
                "parameters": [_ref("parameters", "f")],
                "responses": {
                    "200": {
                        "description": _("The OpenAPI 3.0 document."),
                        "content": {
                            OPENAPI_MEDIA_TYPE: {"schema": {"type": "object"}},
                            HTML: {"schema": {"type": "string"}},
                        },
                    },
                    "400": _ref("responses", "InvalidParameter"),
                },
            }
        },
        "/collections": _simple_get(
            _("Feature collections"),
            "getCollections",
            "collections",
            _("The feature collections."),
            "Capabilities",
        ),
    }
    for collection in COLLECTIONS.values():
        paths.update(_collection_paths(collection))
        if collection.id in TILE_LAYERS:
            paths.update(_tile_paths(collection.id))
    paths["/tileMatrixSets"] = _json_get(
        _("Tile matrix sets"),
        "getTileMatrixSetsList",
        _("The tile matrix sets of the vector tiles."),
        [_ref("parameters", "f")],
    )
    paths["/tileMatrixSets/{tileMatrixSetId}"] = _json_get(
        _("A tile matrix set"),
        "getTileMatrixSet",
        _("The definition of the tile matrix set."),
        [_ref("parameters", "tileMatrixSetId"), _ref("parameters", "f")],
    )
    for item in paths.values():
        # Any request may meet a database that is away (api/middleware.py answers then).
        item["get"]["responses"]["503"] = _ref("responses", "ServiceUnavailable")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": _("Mitmachkarte - OGC API Features"),
            "description": _(
                "Sites, public proposals and districts of the participation map, for GIS "
                "clients (QGIS, GDAL/OGR)."
            ),
            "version": "1.0.0",
            "license": {"name": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "tags": [
            {"name": "Capabilities", "description": _("What the API offers.")},
            {"name": "Collections", "description": _("Descriptions of the collections.")},
            {"name": "Data", "description": _("The features.")},
            {"name": "Tiles", "description": _("Vector tiles (OGC API - Tiles).")},
        ],
        "paths": paths,
        "components": {
            "parameters": _parameters(),
            "responses": _responses(),
            "schemas": _schemas(),
        },
    }
