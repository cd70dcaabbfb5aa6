"""Security headers: CSP with the tile server as the only other origin, Permissions-Policy."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from config.security import content_security_policy, tile_origin
from tests.factories import ProjectFactory, ProposalFactory, planner

pytestmark = pytest.mark.django_db
CSP = "Content-Security-Policy"


def directives(response: Any) -> dict[str, list[str]]:
    policy = response[CSP]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def third_party(policy: dict[str, list[str]]) -> set[str]:
    keywords = {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"}
    return {
        source
        for values in policy.values()
        for source in values
        if source not in keywords and not source.startswith("'nonce-")
    }


def test_project_page_policy_admits_only_the_tile_server(client: Any) -> None:
    project = ProjectFactory()
    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    policy = directives(response)
    assert third_party(policy) == {"https://tile.openstreetmap.org"}
    assert policy["img-src"] == ["'self'", "data:", "https://tile.openstreetmap.org"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    # The map's inline script carries this response's nonce, and no inline script lacks it.
    nonce = next(v for v in policy["script-src"] if v.startswith("'nonce-"))[7:-1]
    html = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline, "the project page has the map's inline script"
    for attributes in inline:
        assert f'nonce="{nonce}"' in attributes or "application/json" in attributes
    assert response["Permissions-Policy"].startswith("geolocation=(self)")
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_nonces_differ_per_response(client: Any) -> None:
    url = ProposalFactory().get_absolute_url()
    first = directives(client.get(url))["script-src"]
    second = directives(client.get(url))["script-src"]
    assert first != second


def test_pages_without_inline_scripts_get_no_nonce(client: Any) -> None:
    policy = directives(client.get("/konto/login/"))
    assert policy["script-src"] == ["'self'"]


def test_the_api_docs_keep_their_own_policy_with_same_origin_scripts(client: Any) -> None:
    for url in ("/api/docs/", "/api/redoc/"):
        response = client.get(url)
        assert response.status_code == 200
        policy = directives(response)
        assert third_party(policy) == set(), url
        assert policy["frame-ancestors"] == ["'none'"]
        for src in re.findall(r'<script[^>]*\ssrc="([^"]+)"', response.content.decode()):
            assert src.startswith("/"), src


def test_the_admin_allows_its_inline_code_but_no_other_origin(client: Any) -> None:
    client.force_login(planner(is_staff=True, is_superuser=True))
    response = client.get("/admin/geo/area/add/")
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert third_party(policy) == {"https://tile.openstreetmap.org"}


def test_the_policy_follows_the_tile_setting(client: Any) -> None:
    policy = content_security_policy("https://{s}.tiles.example.net:8443/{z}/{x}/{y}.png")
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        response = client.get("/")
    assert third_party(directives(response)) == {"https://*.tiles.example.net:8443"}


def test_tile_origins() -> None:
    assert tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == (
        "https://tile.openstreetmap.org"
    )
    assert tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == (
        "https://*.tile.example.org"
    )
    assert tile_origin("http://localhost:8080/tiles/{z}/{x}/{y}.png") == "http://localhost:8080"
    with pytest.raises(ImproperlyConfigured):
        tile_origin("https://tiles.{s}.example.org/{z}/{x}/{y}.png")
