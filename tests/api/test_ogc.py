"""OGC API - Features: documents, links, paging, bbox and CRS handling, errors, HTML."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from drf_spectacular.validation import validate_schema

from geo.models import Area
from locations.models import Site
from proposals.models import Project, Proposal
from tests.factories import (
    INSIDE,
    AreaFactory,
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    VoteFactory,
)

pytestmark = pytest.mark.django_db

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
ITEMS = "/ogc/collections/proposals/items"

# Hand-placed points in the centre box (7.74..7.79, 49.43..49.45).
WEST = Point(7.745, 49.435, srid=4326)
EAST = Point(7.785, 49.445, srid=4326)


@pytest.fixture
def project() -> Project:
    return ProjectFactory(slug="stadtraum", voting=True, results_visibility="live")  # type: ignore[return-value]


@pytest.fixture
def west(project: Project) -> Proposal:
    return ProposalFactory(project=project, title="West", location=WEST)  # type: ignore[return-value]


@pytest.fixture
def east(project: Project) -> Proposal:
    return ProposalFactory(project=project, title="Ost", location=EAST)  # type: ignore[return-value]


@pytest.fixture
def hidden_ones(project: Project) -> list[ProposalFactory]:
    """Proposals no anonymous client may see: pending, hidden, of an unpublished project."""
    draft = ProjectFactory(is_published=False)
    return [
        ProposalFactory(project=project, visibility=Proposal.Visibility.PENDING, location=WEST),
        ProposalFactory(project=project, visibility=Proposal.Visibility.HIDDEN, location=WEST),
        ProposalFactory(project=draft, location=WEST),
    ]


def links_by(document: dict, rel: str) -> list[dict]:
    return [link for link in document["links"] if link["rel"] == rel]


def one_link(document: dict, rel: str, media_type: str) -> str:
    [link] = [link for link in links_by(document, rel) if link["type"] == media_type]
    return link["href"]


def assert_error(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "description"}
    assert body["description"]
    return body


# --- landing page, conformance, API definition -------------------------------------------


def test_landing_page_links_and_types(client):  # type: ignore[no-untyped-def]
    response = client.get("/ogc/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document = response.json()
    assert one_link(document, "self", "application/json").startswith("http://testserver/ogc/")
    assert one_link(document, "alternate", "text/html").endswith("/ogc/?f=html")
    assert one_link(document, "service-desc", OPENAPI).startswith("http://testserver/ogc/api")
    assert one_link(document, "service-doc", "text/html")
    assert one_link(document, "conformance", "application/json")
    assert one_link(document, "data", "application/json").startswith(
        "http://testserver/ogc/collections"
    )


def test_conformance_lists_what_is_implemented(client):  # type: ignore[no-untyped-def]
    document = client.get("/ogc/conformance").json()
    assert set(document["conformsTo"]) == {
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
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
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
        "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
    }


def test_service_desc_is_a_valid_openapi_3_document(client):  # type: ignore[no-untyped-def]
    href = one_link(client.get("/ogc/").json(), "service-desc", OPENAPI)
    response = client.get(href)
    assert response.status_code == 200
    assert response["Content-Type"] == OPENAPI
    document = response.json()
    validate_schema(document)
    assert document["openapi"].startswith("3.0")
    assert document["servers"] == [{"url": "http://testserver/ogc"}]
    limit = document["components"]["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["minimum"], limit["maximum"]) == (100, 1, 10000)
    for collection_id in ("sites", "site-outlines", "proposals", "districts"):
        for path in ("", "/items", "/items/{featureId}", "/queryables", "/schema"):
            assert f"/collections/{collection_id}{path}" in document["paths"]
    names = {
        p["$ref"].rsplit("/", 1)[1]
        for p in document["paths"]["/collections/proposals/items"]["get"]["parameters"]
    }
    assert {
        "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "project", "f",
        "filter", "filter-lang", "filter-crs", "sortby", "properties", "skipGeometry",
    } == names  # fmt: skip
    # GDAL 3.6 decides from this enum whether it may send `-where` conditions as CQL text.
    filter_lang = document["components"]["parameters"]["filter-lang"]["schema"]["enum"]
    assert {"cql2-text", "cql2-json", "cql-text"} == set(filter_lang)
    assert {"/", "/conformance", "/api", "/collections"} <= set(document["paths"])


# --- collections ------------------------------------------------------------------------


def test_collections_describe_extent_crs_and_items(client, west, east, hidden_ones):  # type: ignore[no-untyped-def]
    outline = MultiPolygon(Polygon.from_bbox((7.76, 49.44, 7.77, 49.45)), srid=4326)
    SiteFactory(slug="stiftsplatz", outline=outline)
    AreaFactory(slug="innenstadt")
    AreaFactory(slug="stadt", kind=Area.Kind.CITY)
    response = client.get("/ogc/collections")
    assert response["Content-Type"] == "application/json"
    document = response.json()
    assert one_link(document, "self", "application/json")
    by_id = {c["id"]: c for c in document["collections"]}
    assert set(by_id) == {"sites", "site-outlines", "proposals", "districts", "survey-cells"}
    for collection in by_id.values():
        assert collection["itemType"] == "feature"
        assert collection["crs"][0] == CRS84
        assert set(collection["crs"]) == {CRS84, EPSG_4326, EPSG_25832}
        assert collection["storageCrs"] == CRS84
        if collection["id"] == "survey-cells":
            assert "extent" not in collection  # no survey here, so no cells and no extent
        else:
            assert collection["extent"]["spatial"]["crs"] == CRS84
        items = one_link(collection, "items", "application/geo+json")
        assert items.startswith(f"http://testserver/ogc/collections/{collection['id']}/items")
        assert one_link(collection, "items", "text/html")
    # The extent covers the public proposals only (the hidden ones lie on WEST anyway).
    [bbox] = by_id["proposals"]["extent"]["spatial"]["bbox"]
    assert bbox == pytest.approx([WEST.x, WEST.y, EAST.x, EAST.y])
    [box] = by_id["sites"]["extent"]["spatial"]["bbox"]
    assert box == pytest.approx([INSIDE.x, INSIDE.y] * 2)  # the factory's default location
    [interval] = by_id["proposals"]["extent"]["temporal"]["interval"]
    assert interval[0] <= interval[1]
    assert "temporal" not in by_id["districts"]["extent"]
    [box] = by_id["site-outlines"]["extent"]["spatial"]["bbox"]
    assert box == pytest.approx([7.76, 49.44, 7.77, 49.45])
    # The city boundary is not a district.
    assert by_id["districts"]["extent"]["spatial"]["bbox"] == [
        pytest.approx([7.74, 49.43, 7.79, 49.45])
    ]


def test_one_collection_and_unknown_collection(client):  # type: ignore[no-untyped-def]
    document = client.get("/ogc/collections/districts").json()
    assert document["id"] == "districts"
    assert "extent" not in document  # nothing to measure yet
    assert one_link(document, "self", "application/json").endswith(
        "/ogc/collections/districts?f=json"
    )
    assert_error(client.get("/ogc/collections/nope"), 404)
    assert_error(client.get("/ogc/collections/nope/items"), 404)
    assert_error(client.get("/ogc/collections/nope/items/1"), 404)


# --- items ------------------------------------------------------------------------------


def test_items_are_geojson_with_counts_links_and_content_crs(client, west, east, hidden_ones):  # type: ignore[no-untyped-def]
    category = CategoryFactory(project=west.project, name="Kultur")
    Proposal.objects.filter(pk=west.pk).update(category=category)
    VoteFactory(proposal=west, weight=2)
    VoteFactory(proposal=west)
    CommentFactory(proposal=west)
    CommentFactory(proposal=west, is_hidden=True)
    response = client.get(ITEMS)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Crs"] == f"<{CRS84}>"
    document = response.json()
    assert document["type"] == "FeatureCollection"
    assert document["numberMatched"] == document["numberReturned"] == 2
    assert datetime.fromisoformat(document["timeStamp"]).tzinfo is not None
    assert one_link(document, "self", "application/geo+json").startswith("http://testserver/")
    assert one_link(document, "alternate", "text/html")
    assert one_link(document, "collection", "application/json")
    assert not links_by(document, "next") and not links_by(document, "prev")
    features = {f["id"]: f for f in document["features"]}
    assert list(features) == [west.pk, east.pk]  # ordered by id
    feature = features[west.pk]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [WEST.x, WEST.y]}
    assert feature["properties"] == {
        "title": "West",
        "project": "stadtraum",
        "category": "Kultur",
        "status": "submitted",
        "is_option": False,
        "vote_count": 3,
        "comment_count": 1,
        "created_at": feature["properties"]["created_at"],
    }
    assert datetime.fromisoformat(feature["properties"]["created_at"]).tzinfo is not None
    assert "author" not in feature["properties"]


def test_vote_count_is_hidden_until_the_results_are_public(client):  # type: ignore[no-untyped-def]
    project = ProjectFactory(voting=True, results_visibility="after_close")
    proposal = ProposalFactory(project=project)
    VoteFactory(proposal=proposal)
    [feature] = client.get(ITEMS).json()["features"]
    assert feature["properties"]["vote_count"] is None


def test_option_at_a_site(client, project):  # type: ignore[no-untyped-def]
    site = SiteFactory()
    ProposalFactory(project=project, site=site, location=site.location)
    [feature] = client.get(ITEMS).json()["features"]
    assert feature["properties"]["is_option"] is True


def test_non_public_proposals_never_appear(client, west, hidden_ones):  # type: ignore[no-untyped-def]
    document = client.get(ITEMS, {"limit": 10000}).json()
    assert [f["id"] for f in document["features"]] == [west.pk]
    assert document["numberMatched"] == 1
    for proposal in hidden_ones:
        assert_error(client.get(f"{ITEMS}/{proposal.pk}"), 404)
    response = client.get(f"{ITEMS}/{west.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Crs"] == f"<{CRS84}>"
    feature = response.json()
    assert feature["id"] == west.pk
    assert one_link(feature, "self", "application/geo+json").endswith(f"/items/{west.pk}?f=json")
    assert one_link(feature, "collection", "application/json")


def test_paging_follows_next_and_prev_links(client, project):  # type: ignore[no-untyped-def]
    proposals = ProposalFactory.create_batch(7, project=project)
    expected = sorted(p.pk for p in proposals)
    seen: list[int] = []
    url: str | None = f"{ITEMS}?limit=3"
    pages = []
    while url:
        document = client.get(url).json()
        assert document["numberMatched"] == 7
        pages.append(document)
        seen += [f["id"] for f in document["features"]]
        nexts = [
            link for link in links_by(document, "next") if link["type"] == "application/geo+json"
        ]
        url = nexts[0]["href"] if nexts else None
    assert [p["numberReturned"] for p in pages] == [3, 3, 1]
    assert seen == expected
    assert not links_by(pages[0], "prev")
    prev = one_link(pages[2], "prev", "application/geo+json")
    assert parse_qs(urlsplit(prev).query)["offset"] == ["3"]
    assert [f["id"] for f in client.get(prev).json()["features"]] == expected[3:6]
    # Beyond the end: an empty page that still links back.
    document = client.get(ITEMS, {"limit": 3, "offset": 30}).json()
    assert document["numberReturned"] == 0 and links_by(document, "prev")


def test_links_keep_the_filters(client, west, east):  # type: ignore[no-untyped-def]
    document = client.get(
        ITEMS, {"limit": 1, "project": "stadtraum", "bbox": "7.7,49.4,7.8,49.5", "crs": EPSG_25832}
    ).json()
    query = parse_qs(urlsplit(one_link(document, "next", "application/geo+json")).query)
    assert query["project"] == ["stadtraum"]
    assert query["bbox"] == ["7.7,49.4,7.8,49.5"]
    assert query["crs"] == [EPSG_25832]
    assert query["offset"] == ["1"] and query["limit"] == ["1"] and query["f"] == ["json"]


def test_limit_above_the_maximum_is_clamped(client, west):  # type: ignore[no-untyped-def]
    document = client.get(ITEMS, {"limit": 20000}).json()
    assert document["numberReturned"] == 1
    self_link = one_link(document, "self", "application/geo+json")
    assert parse_qs(urlsplit(self_link).query)["limit"] == ["10000"]


def test_default_limit_is_100(client, project):  # type: ignore[no-untyped-def]
    Proposal.objects.bulk_create(
        [Proposal(project=project, title=f"P{i}", location=WEST) for i in range(101)]
    )
    document = client.get(ITEMS).json()
    assert (document["numberReturned"], document["numberMatched"]) == (100, 101)
    assert links_by(document, "next")


def test_project_filter(client, west):  # type: ignore[no-untyped-def]
    other = ProposalFactory(project=ProjectFactory(slug="logistik"))
    ids = [f["id"] for f in client.get(ITEMS, {"project": "logistik"}).json()["features"]]
    assert ids == [other.pk]  # type: ignore[attr-defined]
    assert client.get(ITEMS, {"project": "unbekannt"}).json()["numberMatched"] == 0
    # Only proposals have projects.
    assert_error(client.get("/ogc/collections/sites/items", {"project": "logistik"}), 400)


# --- bbox and CRS -------------------------------------------------------------------------


def test_bbox_in_crs84_includes_and_excludes(client, west, east, hidden_ones):  # type: ignore[no-untyped-def]
    def ids(bbox: str, **extra: str) -> list[int]:
        return [f["id"] for f in client.get(ITEMS, {"bbox": bbox, **extra}).json()["features"]]

    assert ids("7.74,49.43,7.76,49.44") == [west.pk]
    assert ids("7.77,49.44,7.79,49.45") == [east.pk]
    assert ids("7.74,49.43,7.79,49.45") == [west.pk, east.pk]
    assert ids("7.0,49.0,7.1,49.1") == []
    # Six numbers: heights are ignored.
    assert ids("7.74,49.43,-10,7.76,49.44,10") == [west.pk]
    # EPSG:4326 in its official axis order: latitude first.
    assert ids("49.43,7.74,49.44,7.76", **{"bbox-crs": EPSG_4326}) == [west.pk]
    assert ids("7.74,49.43,7.76,49.44", **{"bbox-crs": "[OGC:CRS84]"}) == [west.pk]


def test_bbox_in_epsg_25832(client, west, east):  # type: ignore[no-untyped-def]
    utm = west.location.transform(25832, clone=True)
    # Hand-checked: ETRS89 / UTM 32N puts Kaiserslautern near 410 km east, 5477 km north.
    assert 409_000 < utm.x < 412_000 and 5_476_000 < utm.y < 5_479_000

    def ids(bbox: tuple[float, float, float, float]) -> list[int]:
        params = {"bbox": ",".join(map(str, bbox)), "bbox-crs": EPSG_25832}
        response = client.get(ITEMS, params)
        assert response.status_code == 200, response.content
        return [f["id"] for f in response.json()["features"]]

    assert ids((utm.x - 50, utm.y - 50, utm.x + 50, utm.y + 50)) == [west.pk]
    # A box just east of the point (10 m) leaves it out.
    assert ids((utm.x + 10, utm.y - 50, utm.x + 100, utm.y + 50)) == []
    assert ids((400_000, 5_470_000, 420_000, 5_490_000)) == [west.pk, east.pk]


def test_crs_25832_output_matches_a_geos_transform(client, west):  # type: ignore[no-untyped-def]
    response = client.get(ITEMS, {"crs": EPSG_25832})
    assert response.status_code == 200
    assert response["Content-Crs"] == f"<{EPSG_25832}>"
    [feature] = response.json()["features"]
    expected = west.location.transform(25832, clone=True)
    x, y = feature["geometry"]["coordinates"]
    assert abs(x - expected.x) < 0.01 and abs(y - expected.y) < 0.01
    # The single feature too, with the CURIE spelling.
    response = client.get(f"{ITEMS}/{west.pk}", {"crs": "EPSG:25832"})
    assert response["Content-Crs"] == f"<{EPSG_25832}>"
    x, y = response.json()["geometry"]["coordinates"]
    assert abs(x - expected.x) < 0.01 and abs(y - expected.y) < 0.01


def test_crs_4326_output_is_lat_lon(client, west):  # type: ignore[no-untyped-def]
    response = client.get(ITEMS, {"crs": EPSG_4326})
    assert response["Content-Crs"] == f"<{EPSG_4326}>"
    [feature] = response.json()["features"]
    assert feature["geometry"]["coordinates"] == [WEST.y, WEST.x]


def test_districts_and_sites_items(client):  # type: ignore[no-untyped-def]
    district = AreaFactory(name="Innenstadt", slug="innenstadt", population=12000)
    AreaFactory(kind=Area.Kind.CITY, slug="stadt")
    SiteFactory(name="Stiftsplatz", slug="stiftsplatz", description="Ein Platz.")
    Site.objects.update(district=district)
    [feature] = client.get("/ogc/collections/districts/items").json()["features"]
    assert feature["properties"] == {
        "name": "Innenstadt",
        "slug": "innenstadt",
        "population": 12000,
    }
    assert feature["geometry"]["type"] == "MultiPolygon"
    [feature] = client.get("/ogc/collections/sites/items").json()["features"]
    assert feature["properties"] == {
        "name": "Stiftsplatz",
        "slug": "stiftsplatz",
        "kind": "square",
        "district": "Innenstadt",
        "description": "Ein Platz.",
    }
    response = client.get("/ogc/collections/districts/items", {"crs": EPSG_25832})
    ring = response.json()["features"][0]["geometry"]["coordinates"][0][0]
    assert all(400_000 < x < 420_000 and 5_470_000 < y < 5_490_000 for x, y in ring)


def test_datetime_filter(client, west, east):  # type: ignore[no-untyped-def]
    Proposal.objects.filter(pk=west.pk).update(created_at=datetime(2024, 5, 1, 12, tzinfo=UTC))
    Proposal.objects.filter(pk=east.pk).update(created_at=datetime(2024, 6, 1, 12, tzinfo=UTC))

    def ids(value: str) -> list[int]:
        response = client.get(ITEMS, {"datetime": value})
        assert response.status_code == 200, response.content
        return [f["id"] for f in response.json()["features"]]

    assert ids("2024-05-01") == [west.pk]
    assert ids("2024-05-01T12:00:00Z") == [west.pk]
    assert ids("2024-05-15T00:00:00Z/..") == [east.pk]
    assert ids("../2024-05-15") == [west.pk]
    assert ids("2024-04-01/2024-07-01") == [west.pk, east.pk]


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"bbox": "7.7,49.4,7.8"}, 400),
        ({"bbox": "7.7,49.5,7.8,49.4"}, 400),
        ({"bbox": "a,b,c,d"}, 400),
        ({"bbox": "nan,49.4,7.8,49.5"}, 400),
        ({"bbox": "-200,49.4,7.8,49.5"}, 400),
        ({"bbox": "1e300,1e300,2e300,2e300", "bbox-crs": EPSG_25832}, 400),
        ({"bbox": "7.7,49.4,7.8,49.5", "bbox-crs": "EPSG:3857"}, 400),
        ({"bbox-crs": EPSG_25832}, 400),
        ({"limit": "abc"}, 400),
        ({"limit": "0"}, 400),
        ({"limit": "-5"}, 400),
        ({"limit": "1.5"}, 400),
        ({"offset": "-1"}, 400),
        ({"offset": "x"}, 400),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"}, 400),
        ({"crs": "foo"}, 400),
        ({"f": "xml"}, 400),
        ({"datetime": "gestern"}, 400),
        ({"datetime": "../.."}, 400),
        ({"datetime": "2024-06-01/2024-05-01"}, 400),
        ({"project": " "}, 400),
        ({"unbekannt": "1"}, 400),
    ],
)
def test_bad_parameters_are_refused_with_json(client, params, status):  # type: ignore[no-untyped-def]
    body = assert_error(client.get(ITEMS, params), status)
    assert body["code"] == "InvalidParameterValue"


def test_unknown_crs_message_names_the_supported_ones(client):  # type: ignore[no-untyped-def]
    body = assert_error(client.get(ITEMS, {"crs": "EPSG:3857"}), 400)
    assert EPSG_25832 in body["description"] and CRS84 in body["description"]


@pytest.mark.parametrize("feature_id", ["abc", "1.5", "-1", "99999999999999999999999", "0"])
def test_bad_feature_ids_are_not_found(client, feature_id):  # type: ignore[no-untyped-def]
    body = assert_error(client.get(f"{ITEMS}/{feature_id}"), 404)
    assert body["code"] == "NotFound"


def test_datetime_on_a_collection_without_time_is_checked_and_ignored(client):  # type: ignore[no-untyped-def]
    AreaFactory(slug="innenstadt")
    response = client.get("/ogc/collections/districts/items", {"datetime": "2024-01-01"})
    assert response.status_code == 200
    assert response.json()["numberMatched"] == 1
    assert_error(client.get("/ogc/collections/districts/items", {"datetime": "gestern"}), 400)


def test_item_refuses_bad_crs_and_unknown_parameters(client, west):  # type: ignore[no-untyped-def]
    assert_error(client.get(f"{ITEMS}/{west.pk}", {"crs": "EPSG:3857"}), 400)
    assert_error(client.get(f"{ITEMS}/{west.pk}", {"limit": "5"}), 400)
    assert_error(client.get("/ogc/collections", {"bbox": "1,2,3,4"}), 400)


def test_only_safe_methods(client):  # type: ignore[no-untyped-def]
    assert client.post(ITEMS).status_code == 405
    assert client.head(ITEMS).status_code == 200


# --- query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_items_query_count_is_constant(client, project, count, django_assert_num_queries):  # type: ignore[no-untyped-def]
    category = CategoryFactory(project=project)
    proposals = ProposalFactory.create_batch(count, project=project, category=category)
    for proposal in proposals:
        VoteFactory(proposal=proposal)
        CommentFactory(proposal=proposal)
    # The count, the page (whose results are public is part of its statement).
    with django_assert_num_queries(2):
        response = client.get(ITEMS, {"crs": EPSG_25832, "bbox": "7.7,49.4,7.8,49.5"})
    assert response.json()["numberReturned"] == count
    with django_assert_num_queries(2):
        client.get("/ogc/collections/sites/items")
    with django_assert_num_queries(1):  # the feature, its total's rule included
        client.get(f"{ITEMS}/{proposals[0].pk}")
    # sites, site outlines, districts, proposals: one aggregate each; survey-cells: the
    # surveys (no aggregate when no survey's results are public).
    with django_assert_num_queries(5):
        client.get("/ogc/collections")


# --- HTML -------------------------------------------------------------------------------

HOSTS = re.compile(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//([^/"'\s>]+)""", re.I)


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/",
        "/ogc/conformance",
        "/ogc/api",
        "/ogc/collections",
        "/ogc/collections/proposals",
        ITEMS,
        "ITEM",
    ],
)
def test_html_renderings_are_self_contained(client, west, east, path):  # type: ignore[no-untyped-def]
    path = f"{ITEMS}/{west.pk}" if path == "ITEM" else path
    for response in (
        client.get(path, {"f": "html"}),
        client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),
    ):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        html = response.content.decode()
        assert set(HOSTS.findall(html)) <= {"testserver"}
        # Only the map's self-hosted files and its data (JSON): no inline code.
        scripts = re.findall(r"<script[^>]*>", html, re.I)
        assert all(
            re.fullmatch(r'<script src="/static/[^"]+"></script>', tag + "</script>")
            or 'type="application/json"' in tag
            for tag in scripts
        ), scripts
        links = re.findall(r"<link[^>]*>", html, re.I)
        assert all('href="/static/' in tag for tag in links), links


def test_html_escapes_properties(client, project):  # type: ignore[no-untyped-def]
    proposal = ProposalFactory(project=project, title='<script>alert("x")</script>')
    for path in (ITEMS, f"{ITEMS}/{proposal.pk}"):  # type: ignore[attr-defined]
        html = client.get(path, {"f": "html"}).content.decode()
        assert "<script>" not in html
        assert "&lt;script&gt;" in html


def test_html_items_page_links_to_next_page(client, project):  # type: ignore[no-untyped-def]
    ProposalFactory.create_batch(3, project=project)
    html = client.get(ITEMS, {"f": "html", "limit": 2}).content.decode()
    assert 'rel="next"' in html and "offset=2" in html


def test_accept_header_negotiates_json(client):  # type: ignore[no-untyped-def]
    response = client.get("/ogc/collections", headers={"Accept": "application/json"})
    assert response["Content-Type"] == "application/json"
    assert "Accept" in response["Vary"]
    response = client.get(ITEMS, headers={"Accept": "application/geo+json"})
    assert response["Content-Type"] == "application/geo+json"
    response = client.get("/ogc/api", headers={"Accept": OPENAPI})
    assert response["Content-Type"] == OPENAPI
