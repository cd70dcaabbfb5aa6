"""The public data sets described in DCAT-AP.de (JSON-LD) at /api/catalog/, for open data
portals such as GovData to harvest: what each data set holds, where it can be fetched (the
OGC API - Features collection, as GeoJSON), under which licence, whom to ask, and where and
when it lies.

Only what anyone may read is described: the OGC API's collections (the exports need an
account). The extents are the collections' own (one query each).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from api.ogc.collections import COLLECTIONS, Collection

JSON_LD = "application/ld+json"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "locn": "http://www.w3.org/ns/locn#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
}
EU = "http://publications.europa.eu/resource/authority"
DCAT_AP_DE = "http://dcat-ap.de/def/dcatde/2.0"
OGC_API_FEATURES = "http://www.opengis.net/spec/ogcapi-features-1/1.0"


def _id(value: str) -> dict[str, str]:
    return {"@id": value}


def _text(value: str, language: str = "de") -> dict[str, str]:
    return {"@value": value, "@language": language}


def _typed(value: str, datatype: str) -> dict[str, str]:
    return {"@value": value, "@type": datatype}


def _publisher() -> dict[str, Any]:
    return {"@type": "foaf:Agent", "foaf:name": settings.CATALOG_PUBLISHER}


def _contact() -> dict[str, Any]:
    return {
        "@type": "vcard:Organization",
        "vcard:fn": settings.CATALOG_PUBLISHER,
        "vcard:hasEmail": _id(f"mailto:{settings.CATALOG_CONTACT_EMAIL}"),
    }


def _texts(collection: Collection) -> tuple[str, str]:
    with translation.override("de"):
        return str(collection.title), str(collection.description)


def _dataset(request: HttpRequest, collection: Collection, service: str) -> dict[str, Any]:
    title, description = _texts(collection)
    page = request.build_absolute_uri(
        reverse("ogc:collection", kwargs={"collection_id": collection.id})
    )
    items = request.build_absolute_uri(
        reverse("ogc:items", kwargs={"collection_id": collection.id})
    )
    dataset: dict[str, Any] = {
        "@id": page,
        "@type": "dcat:Dataset",
        "dct:title": _text(title),
        "dct:description": _text(description),
        "dct:identifier": page,
        "dct:publisher": _publisher(),
        "dcat:contactPoint": _contact(),
        "dcatde:contributorID": _id(settings.CATALOG_CONTRIBUTOR_ID),
        "dcatde:maintainer": _publisher(),
        "dct:accessRights": _id(f"{EU}/access-right/PUBLIC"),
        "dcat:theme": [_id(f"{EU}/data-theme/REGI"), _id(f"{EU}/data-theme/GOVE")],
        "dct:language": _id(f"{EU}/language/DEU"),
        "dcat:landingPage": _id(page),
        "dcat:distribution": [
            {
                "@id": f"{items}#geojson",
                "@type": "dcat:Distribution",
                "dct:title": _text(f"{title} (GeoJSON, OGC API - Features)"),
                "dcat:accessURL": _id(items),
                "dcat:accessService": _id(service),
                "dct:format": _id(f"{EU}/file-type/GEOJSON"),
                "dcat:mediaType": _id(
                    "https://www.iana.org/assignments/media-types/application/geo+json"
                ),
                "dct:license": _id(settings.CATALOG_LICENSE),
                "dcatde:licenseAttributionByText": settings.CATALOG_ATTRIBUTION,
                "dct:conformsTo": _id(OGC_API_FEATURES),
            }
        ],
    }
    extent = collection.extent() or {}
    boxes = extent.get("spatial", {}).get("bbox") or []
    if boxes:
        west, south, east, north = boxes[0][:4]
        polygon = (
            f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, "
            f"{west} {south}))"
        )
        dataset["dct:spatial"] = {
            "@type": "dct:Location",
            "dcat:bbox": _typed(polygon, "gsp:wktLiteral"),
        }
    intervals = extent.get("temporal", {}).get("interval") or []
    if intervals:
        start, end = intervals[0]
        dataset["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": _typed(start, "xsd:dateTime"),
            "dcat:endDate": _typed(end, "xsd:dateTime"),
        }
    return dataset


def catalog_document(request: HttpRequest) -> dict[str, Any]:
    home = request.build_absolute_uri("/")
    catalog = request.build_absolute_uri(reverse("api-catalog"))
    service = request.build_absolute_uri(reverse("ogc:landing"))
    # The catalogue speaks German (dct:language), whatever the request's language.
    with translation.override("de"):
        description = _(
            "Open data of the participation map: sites, their outlines, published proposals "
            "and districts."
        )
    return {
        "@context": CONTEXT,
        "@graph": [
            {
                "@id": catalog,
                "@type": "dcat:Catalog",
                "dct:title": _text(f"Mitmachkarte - {settings.CATALOG_PUBLISHER}"),
                "dct:description": _text(description),
                "dct:publisher": _publisher(),
                "dct:language": _id(f"{EU}/language/DEU"),
                "dct:conformsTo": _id(DCAT_AP_DE),
                "dct:modified": _typed(
                    timezone.now().isoformat(timespec="seconds"), "xsd:dateTime"
                ),
                "foaf:homepage": _id(home),
                "dcat:service": _id(service),
                "dcat:dataset": [
                    _dataset(request, collection, service) for collection in COLLECTIONS.values()
                ],
            },
            {
                "@id": service,
                "@type": "dcat:DataService",
                "dct:title": _text("OGC API - Features"),
                "dcat:endpointURL": _id(service),
                "dcat:endpointDescription": _id(
                    request.build_absolute_uri(reverse("ogc:api")) + "?f=json"
                ),
                "dct:conformsTo": _id(OGC_API_FEATURES),
                "dct:license": _id(settings.CATALOG_LICENSE),
                "dct:accessRights": _id(f"{EU}/access-right/PUBLIC"),
            },
        ],
    }


@require_safe
def catalog(request: HttpRequest) -> HttpResponse:
    """`/api/catalog/`: the DCAT-AP.de catalogue of the public data sets, as JSON-LD."""
    response = JsonResponse(
        catalog_document(request), content_type=JSON_LD, json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response
