"""GeoJSON built by PostGIS: structure, order, CRS and the empty case."""

import json

import pytest
from django.contrib.gis.geos import Point

from geo.geojson import FeatureSpec, collection_chunks, features, iter_features
from proposals.models import Proposal
from tests.factories import ProposalFactory

pytestmark = pytest.mark.django_db
SPEC = FeatureSpec(geometry="location", properties={"title": "title", "project": "project__slug"})


def test_features_keep_the_querysets_order_and_properties():
    a = ProposalFactory(title="A", location=Point(7.76, 49.44, srid=4326))
    b = ProposalFactory(title="B", project=a.project)
    rows = [json.loads(f) for f in features(Proposal.objects.order_by("-title"), SPEC)]
    assert [r["id"] for r in rows] == [b.pk, a.pk]
    assert rows[1]["geometry"] == {"type": "Point", "coordinates": [7.76, 49.44]}
    assert rows[1]["properties"] == {"title": "A", "project": a.project.slug}


def test_features_in_etrs89_utm_are_in_metres():
    ProposalFactory(location=Point(7.76, 49.44, srid=4326))
    (row,) = [json.loads(f) for f in iter_features(Proposal.objects.all(), SPEC, srid=25832)]
    expected = Point(7.76, 49.44, srid=4326).transform(25832, clone=True)
    x, y = row["geometry"]["coordinates"]
    assert abs(x - expected.x) < 0.01
    assert abs(y - expected.y) < 0.01


def test_a_queryset_django_knows_is_empty_gives_no_features():
    ProposalFactory()
    assert features(Proposal.objects.filter(pk__in=[]), SPEC) == []
    assert list(iter_features(Proposal.objects.none(), SPEC)) == []


def test_collection_chunks_make_a_valid_feature_collection():
    ProposalFactory()
    text = "".join(
        collection_chunks(iter_features(Proposal.objects.all(), SPEC), {"numberMatched": 1})
    )
    doc = json.loads(text)
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == 1
    assert doc["numberMatched"] == 1
