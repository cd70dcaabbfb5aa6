"""The workspace's machine interface: GeoJSON and JSON for its maps, for planners only."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Concat
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from rest_framework.exceptions import ValidationError as DRFValidationError

from api.authentication import accepts_token
from api.v1.tiles import MVT, check_tile, render_tile, tile_box
from geo import analysis
from geo.geojson import collection_chunks, features
from proposals import rules
from proposals.features import (
    WORKSPACE,
    WORKSPACE_TILE,
    columns,
    feature_spec,
    with_feature_columns,
)
from proposals.links import url_template, url_template_sql
from proposals.models import Proposal
from proposals.selectors import with_counts
from proposals.workspace.forms import DuplicateForm, WorkspaceFilterForm
from proposals.workspace.selectors import MAP_FEATURE_CAP, workspace_proposals

GEOJSON = "application/geo+json"

# The workspace's proposals are the public feature (proposals/features.py) with the planners'
# columns on top: visibility and the review page's path.
WORKSPACE_TILE_PROPERTIES = columns(WORKSPACE_TILE)
PROPOSAL_SPEC = feature_spec(WORKSPACE, review_url="ws_review_url")

View = Callable[..., HttpResponse]


def planners_only(view: View) -> View:
    """403 with a JSON reason for anyone but planners (the API never redirects to a login).

    A planner's personal access token signs in as well as the session (a GIS reading the
    workspace's GeoJSON).
    """

    @accepts_token
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not rules.may_view_workspace(request.user):
            reason = rules.may_view_workspace.reason(request.user)
            return JsonResponse({"detail": reason}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _filtered(request: HttpRequest) -> tuple[QuerySet[Proposal] | None, HttpResponse | None]:
    form = WorkspaceFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return None, JsonResponse(form.errors.get_json_data(), status=400)
    return workspace_proposals(request.user, form.cleaned_data if form.is_bound else {}), None


def _feature_rows(request: HttpRequest, queryset: QuerySet[Proposal]) -> QuerySet[Proposal]:
    """The feature columns; vote totals as the results rule shows them to this planner."""
    return with_feature_columns(queryset, user=request.user)


def _review_url() -> Concat:
    """Each row's review page path, built by the database from the reversed URL."""
    return url_template_sql(url_template("proposals:workspace:review", pk="{pk}"), pk="pk")


@require_safe
@planners_only
def proposals(request: HttpRequest) -> HttpResponse:
    """The filtered proposals as a GeoJSON FeatureCollection (two queries, any number of rows)."""
    queryset, error = _filtered(request)
    if error is not None:
        return error
    assert queryset is not None  # noqa: S101 - no error means a queryset
    rows = (
        _feature_rows(request, queryset)
        .annotate(ws_review_url=_review_url())
        .order_by("-created_at", "-pk")
    )
    matched = queryset.count()
    texts = features(rows[:MAP_FEATURE_CAP], PROPOSAL_SPEC)
    members = {"numberMatched": matched, "numberReturned": len(texts)}
    return HttpResponse("".join(collection_chunks(texts, members)), content_type=GEOJSON)


@require_safe
@planners_only
def tiles(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    """The filtered proposals as a vector tile, for workspaces with more than the map's cap.

    The same filters as the GeoJSON above (and the same queryset), so map and table agree.
    """
    try:
        check_tile(z, x, y)
    except DRFValidationError as exc:
        return JsonResponse(exc.detail, status=400)
    queryset, error = _filtered(request)
    if error is not None:
        return error
    assert queryset is not None  # noqa: S101 - no error means a queryset
    rows = _feature_rows(request, queryset.filter(location__bboverlaps=tile_box(z, x, y)))
    body = render_tile(rows, z, x, y, WORKSPACE_TILE_PROPERTIES)
    response = HttpResponse(body, content_type=MVT) if body else HttpResponse(status=204)
    # Planners' view of pending and hidden proposals: never in a shared cache.
    response["Cache-Control"] = "private, max-age=60"
    return response


@require_safe
@planners_only
def districts(request: HttpRequest) -> HttpResponse:
    """Districts with proposals, votes and proposals per 1,000 residents (choropleth data)."""
    queryset, error = _filtered(request)
    if error is not None:
        return error
    assert queryset is not None  # noqa: S101
    table = analysis.district_counts(with_counts(queryset), weight="vote_count", with_geometry=True)
    texts = [
        '{{"type":"Feature","id":{},"geometry":{},"properties":{}}}'.format(
            row.area_id,
            row.geometry,
            _json(
                {
                    "name": row.name,
                    "slug": row.slug,
                    "population": row.population,
                    "proposals": row.count,
                    "votes": row.weight,
                    "per_1000": row.per_1000,
                }
            ),
        )
        for row in table.rows
    ]
    members = {"total": table.total, "outside_districts": table.outside}
    return HttpResponse("".join(collection_chunks(texts, members)), content_type=GEOJSON)


@require_safe
@planners_only
def heat(request: HttpRequest) -> HttpResponse:
    """Density cells `[lat, lon, weight]` of proposals, or of votes with `weight=votes`."""
    queryset, error = _filtered(request)
    if error is not None:
        return error
    assert queryset is not None  # noqa: S101
    of = request.GET.get("weight", "proposals")
    if of not in ("proposals", "votes"):
        return JsonResponse({"weight": [_("Choose “proposals” or “votes”.")]}, status=400)
    try:
        cell = int(request.GET.get("cell", "50"))
    except ValueError:
        cell = 0
    if not 5 <= cell <= 5000:
        return JsonResponse({"cell": [_("The cell size is 5 to 5000 metres.")]}, status=400)
    cells = analysis.heat_cells(
        with_counts(queryset), weight="vote_count" if of == "votes" else None, cell_m=cell
    )
    return JsonResponse(
        {"weight": of, "cell_m": cell, "cells": [[c.lat, c.lon, c.weight] for c in cells]}
    )


@require_safe
@planners_only
def duplicates(request: HttpRequest) -> HttpResponse:
    """Pairs of nearby proposals with similar titles, most similar first."""
    form = DuplicateForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return JsonResponse(form.errors.get_json_data(), status=400)
    data = form.cleaned_data if form.is_bound else {}
    candidates = workspace_proposals(
        request.user, {"project": data["project"]} if data.get("project") else {}
    ).filter(merged_into__isnull=True)
    pairs = analysis.duplicate_candidates(
        candidates,
        max_distance_m=data.get("distance") or 50,
        min_similarity=data.get("similarity") or 0.4,
    )
    return JsonResponse(
        {
            "pairs": [
                {
                    "first": {"id": p.first_id, "title": p.first_title},
                    "second": {"id": p.second_id, "title": p.second_title},
                    "distance_m": round(p.distance_m, 2),
                    "similarity": round(p.similarity, 3),
                }
                for p in pairs
            ]
        }
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
