"""The OGC API's HTML pages show the features on a self-hosted Leaflet map."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from playwright.sync_api import Browser, Route

from tests.factories import ProjectFactory, ProposalFactory

pytestmark = pytest.mark.django_db


def test_items_page_embeds_the_map_data(client):  # type: ignore[no-untyped-def]
    ProposalFactory(project=ProjectFactory(), title="<b>Bühne</b>")
    html = client.get("/ogc/collections/proposals/items", {"f": "html"}).content.decode()
    assert 'id="ogc-map"' in html
    assert 'id="ogc-map-data"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "<b>Bühne</b>" not in html  # escaped, in the table and in the JSON
    other_crs = client.get(
        "/ogc/collections/proposals/items",
        {"f": "html", "crs": "http://www.opengis.net/def/crs/EPSG/0/25832"},
    ).content.decode()
    assert 'id="ogc-map-data"' not in other_crs


@pytest.mark.parametrize(
    "path", ["/ogc/collections/proposals/items", "/ogc/collections/proposals/items/{id}"]
)
def test_map_draws_the_features_in_a_browser(
    browser: Browser, live_server: Any, transactional_db: Any, path: str
) -> None:
    project = ProjectFactory()
    first = ProposalFactory(project=project, location=Point(7.75, 49.44, srid=4326))
    ProposalFactory(project=project, location=Point(7.77, 49.445, srid=4326))
    own_host = urlsplit(live_server.url).netloc
    tile_host = urlsplit(settings.MAP_TILE_URL).netloc
    foreign: list[str] = []

    def route(route: Route) -> None:
        host = urlsplit(route.request.url).netloc
        if host == own_host:
            route.continue_()
        else:
            # The base map's tiles are the one third party allowed; there is no internet here.
            if host != tile_host:
                foreign.append(route.request.url)
            route.abort()

    tab = browser.new_page()
    errors: list[str] = []
    tab.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "tile" not in message.text
            else None
        ),
    )
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        tab.route("**/*", route)
        tab.goto(live_server.url + path.format(id=first.pk) + "?f=html")
        tab.wait_for_selector("#ogc-map[data-ready]", timeout=20000)
        drawn = tab.get_attribute("#ogc-map", "data-ready")
        markers = tab.locator("#ogc-map path.leaflet-interactive").count()
    finally:
        tab.context.close()
    expected = 2 if path.endswith("items") else 1
    assert drawn == str(expected)
    assert markers == expected
    assert foreign == []
    assert [e for e in errors if "Content Security Policy" in e] == []
