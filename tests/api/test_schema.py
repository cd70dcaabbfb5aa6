"""The OpenAPI schema generates cleanly; its docs pages are self-hosted."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from playwright.sync_api import Browser, Route

from tests.html_hosts import referenced_hosts

pytestmark = pytest.mark.django_db


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        self.urls.extend(value for name, value in attrs if name == wanted and value)


def assets(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


def test_schema_is_openapi_3_with_the_endpoints(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/projects/",
        "/api/v1/projects/{slug}/",
        "/api/v1/sites/",
        "/api/v1/proposals/",
        "/api/v1/proposals/{id}/",
        "/api/v1/comments/",
        "/api/v1/votes/",
        "/api/v1/votes/{proposal}/",
    } <= set(schema["paths"])
    listing = schema["paths"]["/api/v1/proposals/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "project",
        "bbox",
        "category",
        "status",
        "limit",
        "offset",
    }
    geojson = listing["responses"]["200"]["content"]["application/geo+json"]["schema"]
    assert geojson == {"$ref": "#/components/schemas/ProposalCollection"}
    collection = schema["components"]["schemas"]["ProposalCollection"]["properties"]
    assert {"type", "features", "numberMatched", "numberReturned", "links"} <= set(collection)

    as_json = client.get("/api/schema/", {"format": "json"})
    assert json.loads(as_json.content)["openapi"] == schema["openapi"]


def test_schema_generates_without_warnings(tmp_path: Path):
    target = tmp_path / "schema.yaml"
    # --fail-on-warn turns every warning of drf-spectacular into an error (non-zero exit).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["info"]["title"] == "Mitmachkarte API"


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_only_local_assets(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    urls = assets(html)
    assert any(url.endswith(".js") for url in urls)
    for url in urls:
        assert url.startswith(settings.STATIC_URL), url
        assert finders.find(url.removeprefix(settings.STATIC_URL)), f"{url} is not a static file"
    assert referenced_hosts(html) == set()
    # What the bundles themselves might fetch from elsewhere, the browser is told not to.
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_swagger_ui_does_not_call_the_online_validator(client):
    html = client.get("/api/docs/").content.decode()
    assert '"validatorUrl": null' in html


@pytest.mark.parametrize(
    ("page", "rendered"),
    [("/api/docs/", ".opblock-tag"), ("/api/redoc/", "[data-section-id]")],
    ids=["swagger-ui", "redoc"],
)
def test_docs_render_in_a_browser_without_third_party_requests(
    browser: Browser, live_server: Any, transactional_db: Any, page: str, rendered: str
) -> None:
    own_host = urlsplit(live_server.url).netloc
    foreign: list[str] = []

    def route(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    tab = browser.new_page()
    try:
        tab.route("**/*", route)
        tab.goto(live_server.url + page)
        # The UI has fetched the schema and drawn the operations.
        tab.wait_for_selector(rendered, timeout=20000)
        assert "proposals" in tab.content()
        tab.wait_for_load_state("networkidle")
    finally:
        tab.context.close()
    assert foreign == []
