"""OGC API - Features Part 3 and the details: queryables, CQL2 filters, sortby, properties,
skipGeometry, the antimeridian, errors under /ogc/, languages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from proposals.models import Project, Proposal
from tests.factories import (
    CategoryFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    VoteFactory,
)

pytestmark = pytest.mark.django_db

ITEMS = "/ogc/collections/proposals/items"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"
WEST = Point(7.745, 49.435, srid=4326)
EAST = Point(7.785, 49.445, srid=4326)
WEST_BOX = "POLYGON((7.74 49.43, 7.75 49.43, 7.75 49.44, 7.74 49.44, 7.74 49.43))"
EAST_BOX = "POLYGON((7.78 49.44, 7.79 49.44, 7.79 49.45, 7.78 49.45, 7.78 49.44))"
JAN = datetime(2024, 1, 15, 12, tzinfo=UTC)
JUN = datetime(2024, 6, 15, 12, tzinfo=UTC)


@pytest.fixture
def data() -> dict[str, Proposal]:
    """Four public proposals: two in a project with public totals, two where they are secret."""
    live: Project = ProjectFactory(slug="live", voting=True, results_visibility="live")  # type: ignore[assignment]
    secret: Project = ProjectFactory(slug="geheim", voting=True, results_visibility="after_voting")  # type: ignore[assignment]
    kultur = CategoryFactory(project=live, name="Kultur")
    found = {
        "west": ProposalFactory(
            project=live, title="Bühne West", location=WEST, category=kultur,
            status=Proposal.Status.ACCEPTED,
        ),
        "east": ProposalFactory(project=live, title="Markt Ost", location=EAST),
        "o_brien": ProposalFactory(project=secret, title="O'Brien's Idee", location=WEST),
        "percent": ProposalFactory(project=secret, title="100% Grün", location=EAST),
    }  # fmt: skip
    VoteFactory.create_batch(3, proposal=found["west"])
    VoteFactory(proposal=found["east"])
    VoteFactory.create_batch(5, proposal=found["percent"])
    Proposal.objects.filter(pk__in=[found["west"].pk, found["o_brien"].pk]).update(created_at=JAN)
    Proposal.objects.filter(pk__in=[found["east"].pk, found["percent"].pk]).update(created_at=JUN)
    return found  # type: ignore[return-value]


def ids(response) -> set[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return {feature["id"] for feature in response.json()["features"]}


def refusal(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    return str(body["description"])


# --- the CQL2 table: each filter, the proposals it selects --------------------------------

VALID = [
    ("status = 'accepted'", {"west"}),
    ("status <> 'accepted'", {"east", "o_brien", "percent"}),
    ("vote_count > 2", {"west"}),
    ("vote_count >= 1", {"west", "east"}),
    # Secret totals are null to a filter as to the feature: never compared, never leaked.
    ("vote_count <> 3", {"east"}),
    ("vote_count IS NULL", {"o_brien", "percent"}),
    ("vote_count IS NOT NULL", {"west", "east"}),
    ("vote_count BETWEEN 1 AND 3", {"west", "east"}),
    ("vote_count NOT BETWEEN 2 AND 3", {"east"}),
    ("project IN ('geheim')", {"o_brien", "percent"}),
    ("project NOT IN ('geheim', 'nirgends')", {"west", "east"}),
    ("title LIKE 'B%'", {"west"}),
    ("title LIKE '%Idee'", {"o_brien"}),
    ("title LIKE 'Markt _st'", {"east"}),
    ("title NOT LIKE '%e%'", {"east", "percent"}),
    ("title LIKE '100\\% %'", {"percent"}),
    ("category = 'Kultur' AND is_option = false", {"west"}),
    ("(status = 'accepted') OR (project = 'geheim')", {"west", "o_brien", "percent"}),
    ("NOT project = 'live'", {"o_brien", "percent"}),
    ("created_at < TIMESTAMP('2024-03-01T00:00:00Z')", {"west", "o_brien"}),
    # GDAL 3.6 sends times as plain strings.
    ("created_at >= '2024-03-01T00:00:00Z'", {"east", "percent"}),
    ("created_at T_AFTER TIMESTAMP('2024-03-01T00:00:00Z')", {"east", "percent"}),
    (
        "created_at T_DURING INTERVAL('2024-06-01T00:00:00Z','2024-07-01T00:00:00Z')",
        {"east", "percent"},
    ),
    (f"S_INTERSECTS(geometry, {WEST_BOX})", {"west", "o_brien"}),
    (f"S_WITHIN(geometry, {EAST_BOX})", {"east", "percent"}),
    ("S_INTERSECTS(geometry, POINT(7.785 49.445)) AND vote_count IS NULL", {"percent"}),
    ("S_DISJOINT(geometry, POINT(7.785 49.445))", {"west", "o_brien"}),
    ("S_INTERSECTS(geometry, BBOX(7.74, 49.43, 7.75, 49.44))", {"west", "o_brien"}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_cql2_text_selects_what_it_says(client, data, text, expected):  # type: ignore[no-untyped-def]
    response = client.get(ITEMS, {"filter": text})
    assert ids(response) == {data[name].pk for name in expected}
    assert response.json()["numberMatched"] == len(expected)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"op": "=", "args": [{"property": "status"}, "accepted"]}, {"west"}),
        (
            {
                "op": "and",
                "args": [
                    {"op": ">", "args": [{"property": "vote_count"}, 0]},
                    {"op": "like", "args": [{"property": "title"}, "M%"]},
                ],
            },
            {"east"},
        ),
        ({"op": "isNull", "args": [{"property": "vote_count"}]}, {"o_brien", "percent"}),
        (
            {
                "op": "s_intersects",
                "args": [
                    {"property": "geometry"},
                    {"type": "Point", "coordinates": [7.745, 49.435]},
                ],
            },
            {"west", "o_brien"},
        ),
        (
            {
                "op": "t_before",
                "args": [{"property": "created_at"}, {"timestamp": "2024-03-01T00:00:00Z"}],
            },
            {"west", "o_brien"},
        ),
        (
            {"op": "in", "args": [{"property": "project"}, ["live", "x"]]},
            {"west", "east"},
        ),
        (
            {
                "op": "s_intersects",
                "args": [{"property": "geometry"}, {"bbox": [7.74, 49.43, 7.75, 49.44]}],
            },
            {"west", "o_brien"},
        ),
    ],
)
def test_cql2_json_selects_what_it_says(client, data, document, expected):  # type: ignore[no-untyped-def]
    response = client.get(ITEMS, {"filter": json.dumps(document), "filter-lang": "cql2-json"})
    assert ids(response) == {data[name].pk for name in expected}


def test_filter_crs_reads_the_literal_in_that_crs_and_axis_order(client, data):  # type: ignore[no-untyped-def]
    west = WEST.transform(25832, clone=True)
    x, y = west.x, west.y
    ring = [
        (x - 50, y - 50),
        (x + 50, y - 50),
        (x + 50, y + 50),
        (x - 50, y + 50),
        (x - 50, y - 50),
    ]
    box = "POLYGON((" + ", ".join(f"{a} {b}" for a, b in ring) + "))"
    response = client.get(
        ITEMS, {"filter": f"S_INTERSECTS(geometry, {box})", "filter-crs": EPSG_25832}
    )
    assert ids(response) == {data["west"].pk, data["o_brien"].pk}
    # EPSG:4326 is latitude first.
    response = client.get(
        ITEMS, {"filter": "S_INTERSECTS(geometry, POINT(49.445 7.785))", "filter-crs": EPSG_4326}
    )
    assert ids(response) == {data["east"].pk, data["percent"].pk}


MALFORMED = [
    "status = ",
    "status == 'accepted'",
    "status = 'accepted' AND",
    "S_INTERSECTS(geometry, POINT(7.7))",
    "vote_count > 'viele'",
    "title > 3",
    "is_option = 'ja'",
    "created_at > 'gestern'",
    "vote_count BETWEEN 'a' AND 'b'",
    "title LIKE 3",
    "vote_count LIKE '1%'",
    "S_INTERSECTS(title, POINT(7.7 49.4))",
    "geometry = 'x'",
    "vote_count > 99999999999999999999999",
    "S_INTERSECTS(geometry, POINT(1e20 1e20))",
    "S_INTERSECTS(geometry, POINT(200 49))",
    "title = vote_count",
    "vote_count + 1 > 2",
    "upper(title) = 'X'",
    "S_INTERSECTS(geometry, BBOX(7.74, 49.43, 7.75))",
    "",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_filters_are_refused_with_the_reason(client, data, text):  # type: ignore[no-untyped-def]
    assert refusal(client.get(ITEMS, {"filter": text}))


def test_parser_reason_is_passed_on(client, data):  # type: ignore[no-untyped-def]
    description = refusal(client.get(ITEMS, {"filter": "status = 'accepted' AND"}))
    # pygeofilter's parser says where it stopped.
    assert "Unexpected" in description
    assert "CQL2" in description


INJECTIONS = [
    # Through property names: only queryables are looked up; anything else names nothing.
    ('"status; DROP TABLE proposals_proposal; --" = 1', "not a queryable"),
    ("\"author__email\" = 'x'", "not a queryable"),
    ('"pk" > 0', "not a queryable"),
    ("\"title) OR 1=1 --\" = 'x'", "not a queryable"),
    # Through values: they are parameters; the broken quoting does not even parse.
    ("title = 'x' OR '1'='1'", None),
    ("title = 'x'; DROP TABLE proposals_proposal; --'", None),
    ("title = 'x'' OR 1=1 --'", None),
    ("title = '\x00'", None),
]


@pytest.mark.parametrize(("text", "reason"), INJECTIONS)
def test_injection_attempts_are_refused(client, data, text, reason):  # type: ignore[no-untyped-def]
    response = client.get(ITEMS, {"filter": text}, HTTP_ACCEPT_LANGUAGE="en")
    if reason is None and response.status_code == 200:
        # A quoted value that parses is only ever compared as text: nothing matches it.
        assert ids(response) == set()
    else:
        description = refusal(response)
        if reason:
            assert reason in description
    assert Proposal.objects.count() == 4


def test_injection_through_a_json_property_name(client, data):  # type: ignore[no-untyped-def]
    document = {"op": "=", "args": [{"property": "author__password"}, "x"]}
    description = refusal(
        client.get(
            ITEMS,
            {"filter": json.dumps(document), "filter-lang": "cql2-json"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    )
    assert "not a queryable" in description


def test_filter_parameters_are_checked(client, data):  # type: ignore[no-untyped-def]
    refusal(client.get(ITEMS, {"filter": "status = 'x'", "filter-lang": "sql"}))
    refusal(client.get(ITEMS, {"filter-lang": "cql2-text"}))
    refusal(client.get(ITEMS, {"filter": "{not json", "filter-lang": "cql2-json"}))
    refusal(client.get(ITEMS, {"filter": "[1, 2]", "filter-lang": "cql2-json"}))
    refusal(client.get(ITEMS, {"filter": "status = 'x'", "filter-crs": "EPSG:3857"}))
    refusal(client.get(ITEMS, {"filter": "status = 'x' AND " * 1000 + "status = 'y'"}))


def test_filter_applies_to_other_collections(client):  # type: ignore[no-untyped-def]
    SiteFactory(slug="a", name="Stiftsplatz")
    SiteFactory(slug="b", name="Schillerplatz", kind="lot")
    response = client.get("/ogc/collections/sites/items", {"filter": "kind = 'lot'"})
    assert [f["properties"]["name"] for f in response.json()["features"]] == ["Schillerplatz"]
    refusal(client.get("/ogc/collections/sites/items", {"filter": "vote_count > 1"}))


# --- queryables and the schema ------------------------------------------------------------


def test_queryables_are_a_json_schema_typed_from_the_feature_spec(client):  # type: ignore[no-untyped-def]
    response = client.get("/ogc/collections/proposals/queryables")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    document = response.json()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == "http://testserver/ogc/collections/proposals/queryables"
    assert document["type"] == "object"
    properties = document["properties"]
    assert properties["vote_count"]["type"] == ["integer", "null"]
    assert properties["comment_count"]["type"] == "integer"
    assert properties["is_option"]["type"] == "boolean"
    assert properties["created_at"] == {
        "title": "created_at", "type": "string", "format": "date-time"
    }  # fmt: skip
    assert properties["geometry"]["format"] == "geometry-point"
    assert "author" not in properties
    # The list GDAL 3.6 reads.
    assert {item["id"] for item in document["queryables"]} == set(properties)
    as_json = client.get("/ogc/collections/proposals/queryables", HTTP_ACCEPT="application/json")
    assert as_json["Content-Type"] == "application/json"


def test_schema_types_every_property_for_gdal(client):  # type: ignore[no-untyped-def]
    collection = client.get("/ogc/collections/proposals").json()
    [link] = [link for link in collection["links"] if link["rel"] == "describedBy"]
    assert link["type"] == "application/schema+json"
    document = client.get(link["href"], HTTP_ACCEPT="application/schema+json").json()
    properties = document["properties"]["properties"]["properties"]
    assert properties["vote_count"]["type"] == "integer"
    assert properties["vote_count"]["nullable"] is True
    assert properties["created_at"]["format"] == "date-time"
    queryables = next(link for link in collection["links"] if link["rel"] == "queryables")
    assert queryables["href"].endswith("/ogc/collections/proposals/queryables")


# --- sortby, properties, skipGeometry -------------------------------------------------------


def test_sortby_orders_and_pages_stably(client, data):  # type: ignore[no-untyped-def]
    response = client.get(ITEMS, {"sortby": "-vote_count,title"})
    titles = [f["properties"]["title"] for f in response.json()["features"]]
    # Nulls last either way; then the title.
    assert titles == ["Bühne West", "Markt Ost", "100% Grün", "O'Brien's Idee"]
    response = client.get(ITEMS, {"sortby": "+title", "limit": 2, "offset": 2})
    assert [f["properties"]["title"] for f in response.json()["features"]] == [
        "Markt Ost", "O'Brien's Idee"
    ]  # fmt: skip
    links = client.get(ITEMS, {"sortby": "title", "limit": 1}).json()["links"]
    next_link = next(
        link for link in links if link["rel"] == "next" and link["type"] == "application/geo+json"
    )
    assert "sortby=title" in next_link["href"]
    refusal(client.get(ITEMS, {"sortby": "author"}))
    refusal(client.get(ITEMS, {"sortby": "geometry"}))


def test_properties_and_skip_geometry(client, data):  # type: ignore[no-untyped-def]
    response = client.get(ITEMS, {"properties": "title,vote_count", "skipGeometry": "true"})
    features = response.json()["features"]
    assert len(features) == 4
    for feature in features:
        assert list(feature["properties"]) == ["title", "vote_count"]
        assert feature["geometry"] is None
    response = client.get(ITEMS, {"properties": "", "crs": EPSG_25832})
    assert all(f["properties"] == {} and f["geometry"] for f in response.json()["features"])
    refusal(client.get(ITEMS, {"properties": "title,author"}))
    refusal(client.get(ITEMS, {"skipGeometry": "ja"}))


# --- bbox across the antimeridian -------------------------------------------------------------


def test_bbox_across_the_antimeridian(client):  # type: ignore[no-untyped-def]
    project = ProjectFactory()
    fiji = ProposalFactory(project=project, location=Point(179.5, -17, srid=4326))
    samoa = ProposalFactory(project=project, location=Point(-172, -13.8, srid=4326))
    ProposalFactory(project=project, location=Point(7.7, 49.4, srid=4326))
    response = client.get(ITEMS, {"bbox": "170,-20,-170,-10"})
    assert ids(response) == {fiji.pk, samoa.pk}
    # Latitude first in EPSG:4326.
    response = client.get(ITEMS, {"bbox": "-20,170,-10,-170", "bbox-crs": EPSG_4326})
    assert ids(response) == {fiji.pk, samoa.pk}
    refusal(client.get(ITEMS, {"bbox": "170,-10,-170,-20"}))


# --- errors, methods, languages -------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/ogc/nichts", "/ogc/collections/proposals/nichts", "/ogc/collections/", "/ogc/a/b/c"]
)
def test_unknown_paths_are_ogc_json_404(client, path):  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "NotFound"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_405_with_allow(method):  # type: ignore[no-untyped-def]
    from django.test import Client

    # CSRF checks on, as for a real browser.
    client = Client(enforce_csrf_checks=True)
    for path in (ITEMS, "/ogc/", "/ogc/collections/proposals/queryables", "/ogc/nichts"):
        response = getattr(client, method)(path)
        assert response.status_code == 405, (path, response.content)
        assert response["Allow"] == "GET, HEAD"
        assert response.json()["code"] == "MethodNotAllowed"


def test_texts_follow_accept_language(client):  # type: ignore[no-untyped-def]
    german = client.get("/ogc/collections/proposals")
    english = client.get("/ogc/collections/proposals", HTTP_ACCEPT_LANGUAGE="en")
    assert german.json()["title"] == "Vorschläge"
    assert english.json()["title"] == "Proposals"
    assert english["Content-Language"] == "en"
    assert "Accept-Language" in english["Vary"]
    error = client.get(ITEMS, {"limit": "x"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert "whole number" in error["description"]


# --- site outlines ------------------------------------------------------------------------------


def test_site_outlines_collection(client):  # type: ignore[no-untyped-def]
    outline = MultiPolygon(Polygon.from_bbox((7.76, 49.44, 7.77, 49.45)), srid=4326)
    with_outline = SiteFactory(slug="mit", outline=outline)
    SiteFactory(slug="ohne")
    response = client.get("/ogc/collections/site-outlines/items")
    document = response.json()
    assert [f["id"] for f in document["features"]] == [with_outline.pk]
    [feature] = document["features"]
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["slug"] == "mit"
    metric = client.get("/ogc/collections/site-outlines/items", {"crs": EPSG_25832}).json()
    x, y = metric["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 400_000 < x < 420_000 and 5_470_000 < y < 5_480_000


@pytest.mark.parametrize("count", [3, 30])
def test_filtered_sorted_items_query_count_is_constant(  # type: ignore[no-untyped-def]
    client, count, django_assert_num_queries
):
    project = ProjectFactory(voting=True, results_visibility="live")
    for proposal in ProposalFactory.create_batch(count, project=project):
        VoteFactory(proposal=proposal)
    params = {
        "filter": f"vote_count >= 1 AND S_INTERSECTS(geometry, {EAST_BOX.replace('7.78', '7.70')})",
        "sortby": "-vote_count,title",
        "properties": "title,vote_count",
    }
    # The count, the page (whose results are public is part of its statement).
    with django_assert_num_queries(2):
        response = client.get(ITEMS, params)
    assert response.json()["numberReturned"] == count
