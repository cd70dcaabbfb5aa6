"""Every geometry from outside is checked before it is transformed: REST, workspace, OGC."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from proposals.models import Proposal
from tests.factories import INSIDE, ProjectFactory

pytestmark = pytest.mark.django_db

PROPOSALS = "/api/v1/proposals/"
EPSG_25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"


def post_pin(client: Any, location: Any) -> Any:
    body = {"project": ProjectFactory().slug, "title": "Boule", "location": location}
    return client.post(PROPOSALS, json.dumps(body), content_type="application/json")


def crs_member(name: str) -> dict[str, Any]:
    return {"type": "name", "properties": {"name": name}}


@pytest.mark.parametrize(
    ("location", "code_word"),
    [
        # PROJ spun for more than 20 s on this one before it was checked.
        ("SRID=3857;POINT(1e20 1e20)", "EPSG:3857"),
        ({"type": "Point", "coordinates": [1e20, 1e20], "crs": crs_member("EPSG:3857")}, "3857"),
        ("SRID=999999;POINT(7.77 49.44)", "999999"),
        (
            {"type": "Point", "coordinates": [7.77, 49.44], "crs": crs_member("EPSG:999999")},
            "999999",
        ),
        ("POINT(7.77 49.44 1 2)", "x, y"),
        ({"type": "Point", "coordinates": [7.77, 49.44, 1, 2]}, "x, y"),
        ("POINT EMPTY", ""),
    ],
    ids=[
        "ewkt-3857",
        "geojson-crs-3857",
        "ewkt-unknown",
        "geojson-unknown",
        "wkt-4",
        "json-4",
        "empty",
    ],
)
def test_pins_from_outside_are_checked_before_any_transformation(
    client, citizen, location, code_word
):
    client.force_login(citizen)
    response = post_pin(client, location)
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["location"]
    assert code_word in response.json()["location"][0]
    assert not Proposal.objects.exists()


def test_a_pin_in_utm_is_placed_where_it_belongs(client, citizen):
    client.force_login(citizen)
    utm = INSIDE.transform(25832, clone=True)
    response = post_pin(client, f"SRID=25832;POINT({utm.x} {utm.y})")
    assert response.status_code == 201, response.content
    stored = Proposal.objects.get().location
    assert stored.distance(INSIDE) < 1e-7


def test_the_refusal_is_translated(client, citizen):
    client.force_login(citizen)
    response = post_pin(client, "SRID=3857;POINT(1e20 1e20)")
    assert response.headers["Content-Language"] == "de"
    assert "außerhalb" in response.json()["location"][0]


@pytest.mark.parametrize(
    "polygon",
    [
        "SRID=3857;POLYGON((1e20 1e20, 2e20 1e20, 2e20 2e20, 1e20 1e20))",
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [[[1e20, 1e20], [2e20, 1e20], [2e20, 2e20], [1e20, 1e20]]],
                "crs": crs_member("EPSG:3857"),
            }
        ),
        "SRID=999999;POLYGON((7.77 49.44, 7.78 49.44, 7.78 49.45, 7.77 49.44))",
    ],
    ids=["ewkt", "geojson-crs", "unknown-crs"],
)
def test_planners_polygon_filter_is_checked_before_any_transformation(
    client, planner_user, polygon
):
    client.force_login(planner_user)
    response = client.get("/api/workspace/proposals/", {"polygon": polygon})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["polygon"]
    assert client.get("/planung/", {"polygon": polygon}).status_code == 400


def test_planners_polygon_filter_in_utm_still_works(client, planner_user):
    client.force_login(planner_user)
    near = INSIDE.transform(25832, clone=True)
    x, y = near.x, near.y
    ring = f"{x - 50} {y - 50}, {x + 50} {y - 50}, {x + 50} {y + 50}, {x - 50} {y + 50}"
    polygon = f"SRID=25832;POLYGON(({ring}, {x - 50} {y - 50}))"
    response = client.get("/api/workspace/proposals/", {"polygon": polygon})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "bbox", ["1e20,1e20,2e20,2e20", "-1e300,-1e300,1e300,1e300", "400000,5e9,410000,6e9"]
)
def test_ogc_bbox_in_a_projected_crs_is_checked_before_any_transformation(client, bbox):
    response = client.get(
        "/ogc/collections/proposals/items", {"bbox": bbox, "bbox-crs": EPSG_25832}
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "InvalidParameterValue"
    assert "EPSG:25832" in response.json()["description"]


def test_ogc_bbox_in_utm_still_filters(client):
    near = Point(INSIDE.x, INSIDE.y, srid=4326).transform(25832, clone=True)
    bbox = f"{near.x - 100},{near.y - 100},{near.x + 100},{near.y + 100}"
    response = client.get(
        "/ogc/collections/proposals/items", {"bbox": bbox, "bbox-crs": EPSG_25832}
    )
    assert response.status_code == 200, response.content
