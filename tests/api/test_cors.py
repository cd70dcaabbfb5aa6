"""CORS: public reads may be read from any origin (or the configured ones); nothing else."""

from __future__ import annotations

import pytest

from tests.factories import ProjectFactory, ProposalFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://gis.example.org"
PUBLIC = [
    "/ogc/",
    "/ogc/collections/proposals/items",
    "/ogc/collections/proposals/queryables",
    "/api/v1/proposals/",
    "/api/v1/projects/",
    "/api/v1/tiles/proposals/0/0/0.mvt",
    "/api/schema/",
]


@pytest.fixture
def proposal():  # type: ignore[no-untyped-def]
    return ProposalFactory(project=ProjectFactory(slug="stadtraum"))


@pytest.mark.parametrize("path", PUBLIC)
def test_public_reads_allow_any_origin(client, proposal, path):  # type: ignore[no-untyped-def]
    response = client.get(path, HTTP_ORIGIN=ORIGIN)
    assert response.status_code in (200, 204), response.content[:300]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Content-Crs" in response["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response
    head = client.head(path, HTTP_ORIGIN=ORIGIN)
    assert head["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", PUBLIC)
def test_preflight_for_reads_is_answered(client, path):  # type: ignore[no-untyped-def]
    response = client.options(
        path,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="Accept-Language, If-None-Match",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert set(response["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert response["Access-Control-Allow-Headers"] == "accept-language, if-none-match"
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_preflight_for_writes_grants_nothing(client, method):  # type: ignore[no-untyped-def]
    for path in ("/api/v1/proposals/", "/api/v1/votes/", "/ogc/collections/proposals/items"):
        response = client.options(
            path, HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method
        )
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Methods" not in response


def test_preflight_with_credentials_headers_grants_nothing(client):  # type: ignore[no-untyped-def]
    response = client.options(
        "/api/v1/proposals/",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="Authorization",
    )
    assert "Access-Control-Allow-Origin" not in response


def test_writes_never_get_cors_headers(client, citizen, proposal):  # type: ignore[no-untyped-def]
    client.force_login(citizen)
    response = client.post(
        "/api/v1/votes/",
        {"proposal": proposal.pk},
        HTTP_ORIGIN=ORIGIN,
        content_type="application/json",
    )
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize(
    "path",
    [
        "/api/exports/proposals.geojson",
        "/api/exports/",
        "/api/workspace/proposals/",
        "/api/v1/projects/stadtraum/tallies/",
        "/konto/login/",
        "/",
    ],
)
def test_session_resources_and_pages_get_no_cors(client, proposal, path):  # type: ignore[no-untyped-def]
    response = client.get(path, HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in response
    preflight = client.options(path, HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert "Access-Control-Allow-Origin" not in preflight


def test_configured_origins_only(client, settings, proposal):  # type: ignore[no-untyped-def]
    settings.CORS_ALLOWED_ORIGINS = (ORIGIN,)
    allowed = client.get("/ogc/collections", HTTP_ORIGIN=ORIGIN)
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in allowed["Vary"]
    other = client.get("/ogc/collections", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other
    assert "Origin" in other["Vary"]
    preflight = client.options(
        "/ogc/collections",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert "Access-Control-Allow-Origin" not in preflight


def test_bad_origin_setting_stops_the_start():  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    env = {**os.environ, "CORS_ALLOWED_ORIGINS": "gis.example.org/karte"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "CORS_ALLOWED_ORIGINS" in result.stderr
