"""OGC API - Features views: parse the request, ask the registry, render JSON or HTML."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from api.ogc.collections import COLLECTIONS, CRS84, SUPPORTED_CRS, Collection, Crs
from api.ogc.openapi import GEOJSON, HTML, JSON, OPENAPI_MEDIA_TYPE, openapi_document
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
from geo.geojson import collection_chunks, features

CONFORMANCE_CLASSES = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
# Feature ids are bigint primary keys: anything else names no feature.
_MAX_ID = 2**63 - 1


def ogc_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET/HEAD only; refusals become OGC exception documents; responses vary with Accept."""

    # Read-only, so no CSRF check: any other method is a 405, not a CSRF refusal's 403.
    @csrf_exempt
    @require_safe
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except OgcError as error:
            response = _json(
                {"code": error.code, "description": error.description}, status=error.status
            )
        patch_vary_headers(response, ["Accept"])
        return response

    return wrapper


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
        ],
        "itemType": "feature",
        "crs": [crs.uri for crs in SUPPORTED_CRS],
        # PostGIS stores EPSG:4326 with longitude first, which is CRS84.
        "storageCrs": CRS84.uri,
    }
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
    if query.bbox is not None:
        rows = rows.filter(**{f"{found.spec.geometry}__intersects": query.bbox})
    if query.interval is not None:
        start, end = query.interval
        if start is not None:
            rows = rows.filter(**{f"{found.temporal_field}__gte": start})
        if end is not None:
            rows = rows.filter(**{f"{found.temporal_field}__lt": end})
    matched = rows.count()
    page = features(
        page_of(rows, query.offset, query.limit),
        found.spec,
        srid=query.crs.srid,
        flip_axes=query.crs.lat_first,
    )
    links = _items_links(request, found, html, query.offset, query.limit, matched, len(page))
    members = {
        "numberMatched": matched,
        "numberReturned": len(page),
        "timeStamp": timezone.now().isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }
    if html:
        context = {
            "collection": found,
            "columns": list(found.spec.properties),
            "features": [json.loads(text) for text in page],
            "crs": query.crs,
            "offset": query.offset,
            **members,
            "link": {link["rel"]: link for link in links if link["type"] == HTML},
            "json_url": next(link["href"] for link in links if link["rel"] == "alternate"),
        }
        return _content_crs(render(request, "ogc/items.html", context), query.crs)
    body = "".join(collection_chunks(page, members))
    return _content_crs(HttpResponse(body, content_type=GEOJSON), query.crs)


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
        context = {"collection": found, "feature": feature, "crs": crs}
        return _content_crs(render(request, "ogc/item.html", context), crs)
    return _content_crs(_json(feature, content_type=GEOJSON), crs)
