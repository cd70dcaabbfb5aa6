"""What a site is as a GeoJSON Feature; a proposal's feature is proposals/features.py's."""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    ExpressionWrapper,
    Q,
    QuerySet,
    Value,
    When,
)

from geo.geojson import FeatureSpec
from locations.models import Site

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


def site_rows(sites: QuerySet[Site]) -> QuerySet[Site]:
    """The columns of SITE_SPEC; the kind's label in the language of the request."""
    labels = [When(kind=value, then=Value(str(label))) for value, label in Site.Kind.choices]
    return sites.annotate(
        api_kind_label=Case(*labels, default=Value(""), output_field=CharField()),
        api_has_outline=ExpressionWrapper(Q(outline__isnull=False), output_field=BooleanField()),
    )
