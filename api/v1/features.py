"""What a proposal or a site is as a GeoJSON Feature: the columns PostGIS turns into properties."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)

from api.pages import proposal_path_sql
from geo.geojson import FeatureSpec
from locations.models import Site
from proposals import rules
from proposals.models import Proposal
from proposals.selectors import with_counts

# Property name -> column; the order is the order of the properties in every feature.
PROPOSAL_PROPERTIES = {
    "title": "title",
    "project": "project__slug",
    "category": "category__name",
    "category_color": "category__color",
    "status": "status",
    "is_option": "api_is_option",
    "site": "site__slug",
    "vote_count": "api_vote_count",
    "comment_count": "comment_count",
    "created_at": "created_at",
    "url": "api_url",
}
PROPOSAL_SPEC = FeatureSpec(geometry="location", properties=PROPOSAL_PROPERTIES)
PROPOSAL_DETAIL_SPEC = FeatureSpec(
    geometry="location",
    properties={
        **PROPOSAL_PROPERTIES,
        "description": "description",
        "visibility": "visibility",
        "has_voted": "has_voted",
    },
)

SITE_SPEC = FeatureSpec(
    geometry="location",
    properties={
        "name": "name",
        "slug": "slug",
        "kind": "kind",
        "kind_label": "api_kind_label",
        "district": "district__name",
        "description": "description",
        "has_outline": "api_has_outline",
    },
)


def proposal_rows(
    proposals: QuerySet[Proposal], *, user: Any, results_for: Collection[int]
) -> QuerySet[Proposal]:
    """The columns of PROPOSAL_SPEC and PROPOSAL_DETAIL_SPEC, totals aggregated in SQL.

    `vote_count` is null in projects not in `results_for`: while voting runs, totals may stay
    secret until the end, so that they do not sway the vote.
    """
    rows = with_counts(proposals, user=user).annotate(
        api_vote_count=rules.public_votes(F("vote_count"), results_for),
        api_is_option=ExpressionWrapper(Q(site__isnull=False), output_field=BooleanField()),
        api_url=proposal_path_sql(),
    )
    if not user.is_authenticated:
        rows = rows.annotate(has_voted=Value(False, output_field=BooleanField()))
    return rows


def site_rows(sites: QuerySet[Site]) -> QuerySet[Site]:
    """The columns of SITE_SPEC; the kind's label in the language of the request."""
    labels = [When(kind=value, then=Value(str(label))) for value, label in Site.Kind.choices]
    return sites.annotate(
        api_kind_label=Case(*labels, default=Value(""), output_field=CharField()),
        api_has_outline=ExpressionWrapper(Q(outline__isnull=False), output_field=BooleanField()),
    )
