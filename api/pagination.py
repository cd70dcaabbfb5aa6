"""Pages of GeoJSON FeatureCollections: limit/offset, counts and links as OGC API Features."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from geo.geojson import FeatureSpec, collection_chunks, features

GEOJSON = "application/geo+json"
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
# PostgreSQL's OFFSET is a bigint; a cap far above any real data set keeps absurd values a 400.
MAX_OFFSET = 10**9
# Ids are bigints: a larger number names no row.
MAX_ID = 2**63 - 1


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """DRF's limit/offset paging, but a bad or absurd number is a 400 naming the parameter.

    DRF ignores a malformed limit and passes any size on to SQL, where a value beyond a
    bigint is a server error.
    """

    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int | None:
        return self._number(request, "limit", self.default_limit, minimum=1, maximum=MAX_LIMIT)

    def get_offset(self, request: Request) -> int:
        return self._number(request, "offset", 0, minimum=0, maximum=MAX_OFFSET) or 0

    def _number(
        self, request: Request, name: str, default: int | None, *, minimum: int, maximum: int
    ) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            # Given empty is left out, as for every optional query parameter DRF reads.
            return default
        field = serializers.IntegerField(min_value=minimum, max_value=maximum)
        try:
            return field.run_validation(raw)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({name: exc.detail}) from None

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "limit",
                "required": False,
                "in": "query",
                "description": str(_("Results per page.")),
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
            {
                "name": "offset",
                "required": False,
                "in": "query",
                "description": str(_("Results to skip.")),
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
            },
        ]


def page_of(queryset: QuerySet, offset: int, limit: int) -> QuerySet:
    """One page of `queryset`, ids first: the rows a deep offset skips are found by their keys
    alone, so computed columns (vote counts, links) are built for the page's rows only.

    The same rows in the same order as `queryset[offset : offset + limit]`.
    """
    if offset == 0:
        return queryset[:limit]
    return queryset.filter(pk__in=queryset.values("pk")[offset : offset + limit])


def feature_collection_response(
    request: Request, queryset: QuerySet, spec: FeatureSpec, *, limit: int, offset: int
) -> HttpResponse:
    """One page of `queryset` as a FeatureCollection, built by PostGIS."""
    texts = features(page_of(queryset, offset, limit), spec)
    returned = len(texts)
    if returned < limit and (returned > 0 or offset == 0):
        # The last page: the total is known without counting, so the whole map is one query.
        matched = offset + returned
    else:
        matched = queryset.count()
    url = request.build_absolute_uri()
    links = [_link("self", url)]
    if offset + returned < matched:
        links.append(_link("next", _page_url(url, limit, offset + limit)))
    if offset > 0:
        links.append(_link("prev", _page_url(url, limit, max(0, offset - limit))))
    members = {"numberMatched": matched, "numberReturned": returned, "links": links}
    return HttpResponse("".join(collection_chunks(texts, members)), content_type=GEOJSON)


def _page_url(url: str, limit: int, offset: int) -> str:
    return replace_query_param(replace_query_param(url, "limit", limit), "offset", offset)


def _link(rel: str, href: str) -> dict[str, str]:
    return {"rel": rel, "href": href, "type": GEOJSON}
