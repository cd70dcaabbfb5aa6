"""OGC API - Features views: parse the request, ask the registry, render JSON or HTML."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from api.ogc.collections import COLLECTIONS, CRS84, SUPPORTED_CRS, Collection, Crs
from api.ogc.openapi import (
    GEOJSON,
    HTML,
    JSON,
    OPENAPI_MEDIA_TYPE,
    OPENAPI_SCHEMA_DIALECT,
    SCHEMA_JSON,
    openapi_document,
)
from api.ogc.params import (
    COMMON_PARAMS,
    ITEM_PARAMS,
    OgcError,
    check_known,
    not_found,
    parse_crs,
    parse_format,
    parse_items_query,
)
from api.pagination import page_of
from api.v1.tiles import TILE_LAYERS
from geo.geojson import FeatureSpec, collection_chunks, features
from proposals import features as features_module

CONFORMANCE_CLASSES = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    # Part 3: queryables, the filter parameters, and the CQL2 we translate (api/ogc/cql.py):
    # comparisons, LIKE/BETWEEN/IN, every S_ function on any geometry literal, both encodings.
    # Temporal functions are supported for instants only, so that class is not claimed.
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    # OGC API - Tiles: vector tilesets of the collections in WebMercatorQuad (api/ogc/tiles.py).
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Feature ids are bigint primary keys: anything else names no feature.
_MAX_ID = 2**63 - 1


def ogc_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET/HEAD only; refusals become OGC exception documents; responses vary with Accept.

    Texts follow Accept-Language (German by default): these URLs have no language prefix.
    The views change nothing, so CSRF has nothing to protect: without the exemption a POST
    would meet the CSRF check's 403 instead of the 405 it deserves.
    """

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = translation.get_language_from_request(request)
        with translation.override(language):
            try:
                if request.method not in ("GET", "HEAD"):
                    raise OgcError(
                        405,
                        "MethodNotAllowed",
                        _("This API only reads: use GET (or HEAD), not %(method)s.")
                        % {"method": request.method},
                    )
                response = view(request, *args, **kwargs)
            except OgcError as error:
                response = _json(
                    {"code": error.code, "description": error.description}, status=error.status
                )
                if error.status == 405:
                    response["Allow"] = "GET, HEAD"
        response["Content-Language"] = language
        patch_vary_headers(response, ["Accept", "Accept-Language"])
        return response

    return wrapper


@ogc_view
def unknown(request: HttpRequest, path: str) -> HttpResponse:
    """Any other path under /ogc/: an OGC exception document, not Django's HTML page."""
    raise not_found(
        _("There is no resource /ogc/%(path)s; start at the landing page /ogc/.") % {"path": path}
    )


def _json(data: Any, *, status: int = 200, content_type: str = JSON) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, default=str), content_type=content_type, status=status
    )


def _wants_html(request: HttpRequest) -> bool:
    """`f` decides; else the Accept header, JSON when it does not prefer HTML."""
    fmt = parse_format(request.GET)
    if fmt is not None:
        return fmt == "html"
    preferred = request.get_preferred_type([JSON, GEOJSON, OPENAPI_MEDIA_TYPE, HTML])
    return preferred == HTML


def _url(
    request: HttpRequest, name: str, *, query: dict[str, str] | None = None, **kwargs: Any
) -> str:
    url = request.build_absolute_uri(reverse(f"ogc:{name}", kwargs=kwargs or None))
    if query:
        url += "?" + urlencode(query, safe=",:/")
    return url


def _link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def _self_links(
    request: HttpRequest, name: str, html: bool, json_type: str = JSON, **kwargs: Any
) -> list[dict[str, str]]:
    """`self` in the format served, `alternate` in the other one."""
    as_json = _link(
        _url(request, name, query={"f": "json"}, **kwargs), "self", json_type, _("This document")
    )
    as_html = _link(
        _url(request, name, query={"f": "html"}, **kwargs), "self", HTML, _("This page as HTML")
    )
    if html:
        as_json.update(rel="alternate", title=_("This document as JSON"))
        return [as_html, as_json]
    as_html["rel"] = "alternate"
    return [as_json, as_html]


def _collection_or_404(collection_id: str) -> Collection:
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        raise not_found(
            _("There is no collection %(id)r; the collections are: %(ids)s.")
            % {"id": collection_id, "ids": ", ".join(COLLECTIONS)}
        )
    return collection


def _content_crs(response: HttpResponse, crs: Crs) -> HttpResponse:
    response["Content-Crs"] = f"<{crs.uri}>"
    return response


@ogc_view
def landing(request: HttpRequest) -> HttpResponse:
    check_known(request.GET, COMMON_PARAMS)
    html = _wants_html(request)
    document = {
        "title": _("Mitmachkarte - OGC API Features"),
        "description": _(
            "Sites, public proposals and districts of the participation map, for GIS clients."
        ),
        "links": [
            *_self_links(request, "landing", html),
            _link(
                _url(request, "api", query={"f": "json"}),
                "service-desc",
                OPENAPI_MEDIA_TYPE,
                _("The API definition (OpenAPI 3.0)"),
            ),
            _link(
                _url(request, "api", query={"f": "html"}),
                "service-doc",
                HTML,
                _("The API documentation"),
            ),
            _link(
                _url(request, "conformance", query={"f": "json"}),
                "conformance",
                JSON,
                _("Conformance classes this API implements"),
            ),
            _link(
                _url(request, "collections", query={"f": "json"}),
                "data",
                JSON,
                _("The feature collections"),
            ),
            _link(
                _url(request, "tile-matrix-sets"),
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                JSON,
                _("The tile matrix sets of the vector tiles"),
            ),
        ],
    }
    if html:
        return render(request, "ogc/landing.html", {"doc": document})
    return _json(document)


@ogc_view
def conformance(request: HttpRequest) -> HttpResponse:
    check_known(request.GET, COMMON_PARAMS)
    html = _wants_html(request)
    document = {
        "conformsTo": CONFORMANCE_CLASSES,
        "links": _self_links(request, "conformance", html),
    }
    if html:
        return render(request, "ogc/conformance.html", {"doc": document})
    return _json(document)


@ogc_view
def api(request: HttpRequest) -> HttpResponse:
    check_known(request.GET, COMMON_PARAMS)
    html = _wants_html(request)
    document = openapi_document(_url(request, "landing"))
    if html:
        operations = [
            {
                "path": path,
                "summary": item["get"].get("summary", ""),
                "parameters": [_resolve(document, p) for p in item["get"].get("parameters", [])],
            }
            for path, item in document["paths"].items()
        ]
        return render(
            request,
            "ogc/api.html",
            {
                "doc": document,
                "operations": operations,
                "json_url": _url(request, "api", query={"f": "json"}),
            },
        )
    return _json(document, content_type=OPENAPI_MEDIA_TYPE)


def _resolve(document: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    ref = obj.get("$ref")
    if not ref:
        return obj
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _collection_document(
    request: HttpRequest, collection: Collection, html: bool
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": collection.id,
        "title": str(collection.title),
        "description": str(collection.description),
        "links": [
            *_self_links(request, "collection", html, collection_id=collection.id),
            _link(
                _url(request, "items", query={"f": "json"}, collection_id=collection.id),
                "items",
                GEOJSON,
                _("The features as GeoJSON"),
            ),
            _link(
                _url(request, "items", query={"f": "html"}, collection_id=collection.id),
                "items",
                HTML,
                _("The features as HTML"),
            ),
            _link(
                _url(request, "queryables", collection_id=collection.id),
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA_JSON,
                _("The properties a filter may use"),
            ),
            # The name GDAL 3.6 looks for; the same document.
            _link(
                _url(request, "queryables", collection_id=collection.id),
                "queryables",
                JSON,
                _("The properties a filter may use"),
            ),
            # GDAL types its fields from this schema (`describedBy`, exactly so spelled), not
            # from the first features, where a secret vote total is null.
            _link(
                _url(request, "schema", collection_id=collection.id),
                "describedBy",
                SCHEMA_JSON,
                _("The schema of the features"),
            ),
        ],
        "itemType": "feature",
        "crs": [crs.uri for crs in SUPPORTED_CRS],
        # PostGIS stores EPSG:4326 with longitude first, which is CRS84.
        "storageCrs": CRS84.uri,
    }
    if collection.id in TILE_LAYERS:
        document["links"].append(
            _link(
                _url(request, "tilesets", collection_id=collection.id),
                "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                JSON,
                _("Vector tiles of the collection"),
            )
        )
    extent = collection.extent()
    if extent:
        document["extent"] = extent
    return document


@ogc_view
def collections(request: HttpRequest) -> HttpResponse:
    check_known(request.GET, COMMON_PARAMS)
    html = _wants_html(request)
    document = {
        "links": _self_links(request, "collections", html),
        "collections": [
            _collection_document(request, collection, html=False)
            for collection in COLLECTIONS.values()
        ],
    }
    if html:
        return render(request, "ogc/collections.html", {"doc": document})
    return _json(document)


@ogc_view
def collection(request: HttpRequest, collection_id: str) -> HttpResponse:
    found = _collection_or_404(collection_id)
    check_known(request.GET, COMMON_PARAMS)
    html = _wants_html(request)
    document = _collection_document(request, found, html)
    if html:
        return render(request, "ogc/collection.html", {"doc": document})
    return _json(document)


@ogc_view
def items(request: HttpRequest, collection_id: str) -> HttpResponse:
    found = _collection_or_404(collection_id)
    query = parse_items_query(request.GET, found)
    html = _wants_html(request)
    rows = found.items().filter(**query.filters)
    if query.condition is not None:
        rows = rows.filter(query.condition)
    if query.order:
        rows = rows.order_by(*query.order, "pk")
    if query.bbox is not None:
        rows = rows.filter(**{f"{found.spec.geometry}__intersects": query.bbox})
    if query.interval is not None:
        start, end = query.interval
        if start is not None:
            rows = rows.filter(**{f"{found.temporal_field}__gte": start})
        if end is not None:
            rows = rows.filter(**{f"{found.temporal_field}__lt": end})
    matched = rows.count()
    spec = found.spec
    if query.properties is not None:
        spec = FeatureSpec(
            geometry=spec.geometry,
            properties={name: spec.properties[name] for name in query.properties},
            id_field=spec.id_field,
        )
    page = features(
        page_of(rows, query.offset, query.limit),
        spec,
        srid=query.crs.srid,
        flip_axes=query.crs.lat_first,
        skip_geometry=query.skip_geometry,
    )
    links = _items_links(request, found, html, query.offset, query.limit, matched, len(page))
    members = {
        "numberMatched": matched,
        "numberReturned": len(page),
        "timeStamp": timezone.now().isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }
    if html:
        shown = [json.loads(text) for text in page]
        context = {
            **_map_preview(request, found, shown, query.crs, query.skip_geometry),
            "collection": found,
            "columns": list(spec.properties),
            "features": shown,
            "crs": query.crs,
            "offset": query.offset,
            **members,
            "link": {link["rel"]: link for link in links if link["type"] == HTML},
            "json_url": next(link["href"] for link in links if link["rel"] == "alternate"),
        }
        return _content_crs(render(request, "ogc/items.html", context), query.crs)
    body = "".join(collection_chunks(page, members))
    return _content_crs(HttpResponse(body, content_type=GEOJSON), query.crs)


def _map_preview(
    request: HttpRequest,
    collection: Collection,
    shown: list[dict[str, Any]],
    crs: Crs,
    skip_geometry: bool,
) -> dict[str, Any]:
    """What the HTML pages' map needs: the features (CRS84 only) and the base map's settings."""
    if skip_geometry:
        return {}
    if crs != CRS84:
        return {"map_note": _("The map shows features in CRS84 only (without crs).")}
    item_url = reverse("ogc:item", kwargs={"collection_id": collection.id, "feature_id": 0})
    return {
        "map_data": {
            "features": {"type": "FeatureCollection", "features": shown},
            "tileUrl": settings.MAP_TILE_URL,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
            "maxZoom": settings.MAP_TILE_MAX_ZOOM,
            "itemUrl": item_url.removesuffix("0") + "{id}?f=html",
        }
    }


def _items_links(
    request: HttpRequest,
    collection: Collection,
    html: bool,
    offset: int,
    limit: int,
    matched: int,
    returned: int,
) -> list[dict[str, str]]:
    """self/alternate, collection, and next/prev pages, keeping every filter of the request."""

    def page(fmt: str, at: int) -> str:
        params = {
            key: str(value) for key, value in request.GET.items() if key not in ("f", "offset")
        }
        params.update(f=fmt, limit=str(limit))
        if at:
            params["offset"] = str(at)
        return _url(request, "items", query=params, collection_id=collection.id)

    as_json = _link(page("json", offset), "self", GEOJSON, _("This page as GeoJSON"))
    as_html = _link(page("html", offset), "alternate", HTML, _("This page as HTML"))
    if html:
        as_json.update(rel="alternate")
        as_html.update(rel="self")
    links = [
        as_json,
        as_html,
        _link(
            _url(request, "collection", query={"f": "json"}, collection_id=collection.id),
            "collection",
            JSON,
            str(collection.title),
        ),
    ]
    if offset + returned < matched:
        links.append(_link(page("json", offset + limit), "next", GEOJSON, _("Next page")))
        links.append(_link(page("html", offset + limit), "next", HTML, _("Next page")))
    if offset > 0:
        previous = max(offset - limit, 0)
        links.append(_link(page("json", previous), "prev", GEOJSON, _("Previous page")))
        links.append(_link(page("html", previous), "prev", HTML, _("Previous page")))
    return links


@ogc_view
def item(request: HttpRequest, collection_id: str, feature_id: str) -> HttpResponse:
    found = _collection_or_404(collection_id)
    check_known(request.GET, ITEM_PARAMS)
    crs = parse_crs(request.GET)
    html = _wants_html(request)
    missing = not_found(
        _("There is no public feature %(fid)r in the collection %(id)s.")
        % {"fid": feature_id, "id": found.id}
    )
    if not (feature_id.isascii() and feature_id.isdigit()) or int(feature_id) > _MAX_ID:
        raise missing
    texts = features(
        found.items().filter(pk=int(feature_id)),
        found.spec,
        srid=crs.srid,
        flip_axes=crs.lat_first,
    )
    if not texts:
        raise missing
    feature = json.loads(texts[0])
    kwargs = {"collection_id": found.id, "feature_id": feature_id}
    params = {"crs": request.GET.get("crs", "")} if "crs" in request.GET else {}
    as_json = _link(
        _url(request, "item", query={**params, "f": "json"}, **kwargs),
        "self",
        GEOJSON,
        _("This feature as GeoJSON"),
    )
    as_html = _link(
        _url(request, "item", query={**params, "f": "html"}, **kwargs),
        "alternate",
        HTML,
        _("This feature as HTML"),
    )
    if html:
        as_json["rel"], as_html["rel"] = "alternate", "self"
    feature["links"] = [
        as_json,
        as_html,
        _link(
            _url(request, "collection", query={"f": "json"}, collection_id=found.id),
            "collection",
            JSON,
            str(found.title),
        ),
    ]
    if html:
        context = {
            **_map_preview(request, found, [feature], crs, skip_geometry=False),
            "collection": found,
            "feature": feature,
            "crs": crs,
        }
        return _content_crs(render(request, "ogc/item.html", context), crs)
    return _content_crs(_json(feature, content_type=GEOJSON), crs)


def _schema_response(request: HttpRequest, document: dict[str, Any]) -> HttpResponse:
    """JSON Schema as application/schema+json, or application/json to clients that ask so."""
    preferred = request.get_preferred_type([SCHEMA_JSON, JSON])
    return _json(document, content_type=JSON if preferred == JSON else SCHEMA_JSON)


def _json_schema_type(schema: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.0 property schema (`nullable`) as JSON Schema 2020-12 (`type` may be null)."""
    converted = {key: value for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable"):
        converted["type"] = [schema["type"], "null"]
    return converted


@ogc_view
def queryables(request: HttpRequest, collection_id: str) -> HttpResponse:
    """The properties a CQL2 filter may name (OGC API - Features Part 3), as JSON Schema."""
    found = _collection_or_404(collection_id)
    check_known(request.GET, COMMON_PARAMS)
    parse_format(request.GET)
    names = found.queryables()
    properties: dict[str, Any] = {}
    for name, queryable in names.items():
        schema = dict(queryable.schema)
        if queryable.kind != "geometry":
            schema = _json_schema_type(schema)
        properties[name] = {"title": name, **schema}
    help_texts = _property_help(found)
    for name, text in help_texts.items():
        properties[name]["description"] = text
    document: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": _url(request, "queryables", collection_id=found.id),
        "type": "object",
        "title": str(found.title),
        "properties": properties,
        "additionalProperties": False,
        # The list of an earlier draft of Part 3, which GDAL 3.6 reads to decide which
        # conditions of `-where` it sends to the server; unknown keywords are annotations.
        "queryables": [{"id": name, **properties[name]} for name in names],
    }
    return _schema_response(request, document)


@ogc_view
def schema(request: HttpRequest, collection_id: str) -> HttpResponse:
    """A GeoJSON feature of the collection, as a schema: every property with its type.

    The OpenAPI 3.0 schema dialect of /ogc/api (`nullable`), because GDAL 3.6 reads a single
    `type` per property: this way `vote_count` is an integer even when the first features
    hold no total.
    """
    found = _collection_or_404(collection_id)
    check_known(request.GET, COMMON_PARAMS)
    parse_format(request.GET)
    help_texts = _property_help(found)
    properties = {
        name: {
            "title": name,
            **dict(found.property_types.get(name, {"type": "string"})),
            **({"description": help_texts[name]} if name in help_texts else {}),
        }
        for name in found.spec.properties
    }
    document = {
        "$schema": OPENAPI_SCHEMA_DIALECT,
        "$id": _url(request, "schema", collection_id=found.id),
        "title": str(found.title),
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": {"type": "object", "format": found.geometry_format},
            "properties": {"type": "object", "properties": properties},
        },
    }
    return _schema_response(request, document)


def _property_help(collection: Collection) -> dict[str, str]:
    """The help texts of the proposal feature's properties (proposals/features.py)."""
    if collection.spec is not features_module.OGC_SPEC:
        return {}
    return {
        name: str(features_module.PROPERTIES[name].help)
        for name in collection.spec.properties
        if features_module.PROPERTIES[name].help
    }
