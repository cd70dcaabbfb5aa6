"""The OpenAPI documents say what the API does: bounds, patterns, every status, 405s."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from api.ogc.params import MAX_LIMIT as OGC_MAX_LIMIT
from api.pagination import MAX_ID
from api.v1.tiles import MAX_ZOOM

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def rest(client: Any) -> dict[str, Any]:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_every_rest_operation_declares_the_statuses_it_can_answer(rest):
    for path, method, operation in operations(rest):
        statuses = set(operation["responses"])
        where = f"{method.upper()} {path}"
        assert "503" in statuses, where
        if "requestBody" in operation:
            assert {"400", "403", "411", "413", "415"} <= statuses, where
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in statuses, where
        if {} not in operation.get("security", [{}]):
            assert "403" in statuses, where
    for path in ("/api/v1/proposals/", "/api/v1/comments/", "/api/v1/votes/"):
        assert "429" in rest["paths"][path]["post"]["responses"], path


def test_rest_parameters_carry_their_bounds_and_patterns(rest):
    paths = rest["paths"]
    bbox = parameter(paths["/api/v1/proposals/"]["get"], "bbox")["schema"]
    assert bbox["pattern"].startswith("^")
    tile = paths["/api/v1/tiles/proposals/{z}/{x}/{y}.mvt"]["get"]
    assert parameter(tile, "z")["schema"]["maximum"] == MAX_ZOOM
    assert parameter(tile, "x")["schema"]["maximum"] == 2**MAX_ZOOM - 1
    assert parameter(tile, "y")["schema"]["minimum"] == 0
    slug = parameter(paths["/api/v1/projects/{slug}/"]["get"], "slug")["schema"]
    assert slug["pattern"] == "^[-a-zA-Z0-9_]+$"
    comments = paths["/api/v1/comments/"]["get"]
    assert parameter(comments, "limit")["schema"]["minimum"] == 1
    assert parameter(comments, "offset")["schema"]["maximum"] >= 10**9
    vote_id = parameter(paths["/api/v1/votes/{proposal}/"]["delete"], "proposal")["schema"]
    assert vote_id["maximum"] == MAX_ID


def test_the_bbox_pattern_is_the_servers_rule(client, rest):
    # What the document refuses, the server refuses, with the field named.
    for bbox in ("1e1,49,8,50", "7,49,8", "7, 49, 8, 50"):
        response = client.get("/api/v1/proposals/", {"bbox": bbox})
        assert response.status_code == 400, bbox
        assert list(response.json()) == ["bbox"]
    assert client.get("/api/v1/proposals/", {"bbox": "7.7,49.4,7.8,49.5"}).status_code == 200


def test_ogc_limit_declares_its_maximum(client):
    document = client.get("/ogc/api", {"f": "json"}).json()
    limit = document["components"]["parameters"]["limit"]["schema"]
    assert limit["maximum"] == OGC_MAX_LIMIT


def test_every_ogc_operation_declares_503_and_its_refusals(client):
    document = client.get("/ogc/api", {"f": "json"}).json()
    for path, item in document["paths"].items():
        assert {"400", "503"} <= set(item["get"]["responses"]), path
    assert client.get("/ogc/api", {"fmt": "x"}).status_code == 400


def test_an_unmatched_ogc_path_is_an_ogc_exception(client):
    response = client.get("/ogc/collections/sites/items/1/etwas")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
@pytest.mark.parametrize("path", ["/ogc/", "/ogc/collections", "/ogc/collections/sites/items"])
def test_undeclared_methods_are_405_with_allow(client, method, path):
    # Not a CSRF refusal (403): the OGC API is read-only, whoever asks.
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_rest_405_for_undeclared_methods(client, citizen):
    # Anonymous writes are refused first (403: sign in); a signed-in client learns the methods.
    client.force_login(citizen)
    response = client.put("/api/v1/proposals/")
    assert response.status_code == 405
    assert "GET" in response["Allow"]


def test_an_unmatched_api_path_is_a_json_404(client):
    response = client.get("/api/v1/projects/kein slug/results/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    # Pages keep their own error page.
    assert client.get("/gibt-es-nicht/").headers["Content-Type"].startswith("text/html")
