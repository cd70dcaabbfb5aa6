"""The DCAT-AP.de catalogue: valid JSON-LD whose RDF holds what DCAT-AP.de requires."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from proposals.models import Proposal
from tests.factories import AreaFactory, ProjectFactory, ProposalFactory, SiteFactory

pytestmark = [
    pytest.mark.django_db,
    # rdflib 7's JSON-LD parser uses its own deprecated ConjunctiveGraph internally.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib"),
]

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
LICENCE = URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")


@pytest.fixture
def graph(client) -> Graph:  # type: ignore[no-untyped-def]
    ProposalFactory(project=ProjectFactory())
    Proposal.objects.update(created_at=datetime(2024, 5, 1, 12, tzinfo=UTC))
    SiteFactory(
        slug="stiftsplatz",
        outline=MultiPolygon(Polygon.from_bbox((7.76, 49.44, 7.77, 49.45)), srid=4326),
    )
    AreaFactory(slug="innenstadt")
    response = client.get("/api/catalog/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    # Open data: any portal may read it from anywhere.
    assert (
        client.get("/api/catalog/", HTTP_ORIGIN="https://www.govdata.de")[
            "Access-Control-Allow-Origin"
        ]
        == "*"
    )
    parsed = Graph()
    parsed.parse(data=response.content.decode(), format="json-ld")
    return parsed


def one(graph: Graph, subject, predicate):  # type: ignore[no-untyped-def]
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


def test_catalog_has_the_mandatory_properties(graph: Graph) -> None:
    [catalog] = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert str(catalog) == "http://testserver/api/catalog/"
    title = one(graph, catalog, DCTERMS.title)
    assert isinstance(title, Literal) and title.language == "de"
    assert one(graph, catalog, DCTERMS.description).language == "de"
    # German, whatever the request asked for.
    assert "Orte" in str(one(graph, catalog, DCTERMS.description))
    publisher = one(graph, catalog, DCTERMS.publisher)
    assert one(graph, publisher, FOAF.name)
    datasets = set(graph.objects(catalog, DCAT.dataset))
    assert len(datasets) == 5  # every OGC collection, the surveys' public cells too
    assert (catalog, DCTERMS.conformsTo, URIRef("http://dcat-ap.de/def/dcatde/2.0")) in graph


def test_each_dataset_has_what_dcat_ap_de_requires(graph: Graph) -> None:
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    ids = {str(d).rsplit("/", 1)[1] for d in datasets}
    assert ids == {"sites", "site-outlines", "proposals", "districts", "survey-cells"}
    for dataset in datasets:
        assert one(graph, dataset, DCTERMS.title).language == "de"
        assert one(graph, dataset, DCTERMS.description)
        assert one(graph, one(graph, dataset, DCTERMS.publisher), FOAF.name)
        contact = one(graph, dataset, DCAT.contactPoint)
        assert str(one(graph, contact, VCARD.hasEmail)).startswith("mailto:")
        assert str(one(graph, dataset, DCATDE.contributorID)).startswith("http")
        assert list(graph.objects(dataset, DCAT.theme))
        if str(dataset).endswith("/survey-cells"):
            # No survey of this fixture has public results: an empty data set has no extent.
            assert list(graph.objects(dataset, DCTERMS.spatial)) == []
        else:
            spatial = one(graph, dataset, DCTERMS.spatial)
            assert str(one(graph, spatial, DCAT.bbox)).startswith("POLYGON((")
        for distribution in graph.objects(dataset, DCAT.distribution):
            assert (distribution, RDF.type, DCAT.Distribution) in graph
            assert one(graph, distribution, DCTERMS.license) == LICENCE
            assert str(one(graph, distribution, DCAT.accessURL)).startswith(
                "http://testserver/ogc/collections/"
            )
            assert str(one(graph, distribution, DCTERMS.format)).endswith("/file-type/GEOJSON")
    proposals = URIRef("http://testserver/ogc/collections/proposals")
    temporal = one(graph, proposals, DCTERMS.temporal)
    assert str(one(graph, temporal, DCAT.startDate)).startswith("2024-05-01T12:00")


def test_the_service_is_described(graph: Graph) -> None:
    [service] = list(graph.subjects(RDF.type, DCAT.DataService))
    assert str(one(graph, service, DCAT.endpointURL)) == "http://testserver/ogc/"
    assert one(graph, service, DCTERMS.license) == LICENCE


def test_catalog_urls_in_the_distributions_answer(client, graph: Graph) -> None:  # type: ignore[no-untyped-def]
    for url in graph.objects(None, DCAT.accessURL):
        response = client.get(str(url).replace("http://testserver", ""))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/geo+json"


def test_bad_catalogue_settings_stop_the_start() -> None:
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CATALOG_LICENSE": "dl-by-de",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "CATALOG_LICENSE" in result.stderr
