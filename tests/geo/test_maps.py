"""The map factory: self-hosted assets only, the tile server from settings, user data escaped."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import folium
import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from geo.maps import Map, RenderedMap, project_map, proposal_map
from tests.factories import CENTRE_BOX, ProjectFactory, ProposalFactory, SiteFactory
from tests.html_hosts import referenced_hosts

TILE_URL = "https://tiles.example.test/osm/{z}/{x}/{y}.png"


@pytest.fixture
def tiles(settings: Any) -> Any:
    settings.MAP_TILE_URL = TILE_URL
    settings.MAP_TILE_ATTRIBUTION = "© Example tiles"
    settings.MAP_TILE_MAX_ZOOM = 18
    return settings


def whole(rendered: RenderedMap) -> str:
    return f"{rendered.header}\n{rendered.html}\n<script>{rendered.script}</script>"


def a_project_map(**kwargs: object) -> RenderedMap:
    project = ProjectFactory.build(title="Stiftsplatz")
    sites = [SiteFactory.build(name="Stiftsplatz Mitte")]
    return project_map(project, pins_url="/api/v1/proposals/?project=p", sites=sites, **kwargs)


def test_project_map_names_no_host_but_the_tile_server(tiles: Any) -> None:
    rendered = a_project_map()

    assert referenced_hosts(whole(rendered)) == {"tiles.example.test"}
    assert "/static/vendor/leaflet/leaflet.js" in rendered.header
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in rendered.header
    assert "/static/js/mitmachkarte-map.js" in rendered.header
    for dropped in ("bootstrap", "awesome", "fontawesome", "glyphicons", "cdn"):
        assert dropped not in whole(rendered).lower()


def test_proposal_map_names_no_host_but_the_tile_server(tiles: Any) -> None:
    proposal = ProposalFactory.build(project=ProjectFactory.build(), title="Bänke")
    rendered = proposal_map(proposal)

    assert referenced_hosts(whole(rendered)) == {"tiles.example.test"}
    assert '"title": "B\\u00e4nke"' in rendered.script or '"title": "Bänke"' in rendered.script


def test_the_default_attribution_only_links_to_its_copyright_page(settings: Any) -> None:
    rendered = a_project_map()

    tile_host = urlsplit(settings.MAP_TILE_URL).hostname
    assert referenced_hosts(whole(rendered)) - {tile_host} <= {"www.openstreetmap.org"}
    assert tile_host in referenced_hosts(rendered.script)


def test_changing_the_tile_setting_changes_the_map(tiles: Any) -> None:
    tiles.MAP_TILE_URL = "https://karten.kaiserslautern.example/{z}/{x}/{y}.png"
    tiles.MAP_TILE_MAX_ZOOM = 17

    rendered = a_project_map()

    assert referenced_hosts(whole(rendered)) == {"karten.kaiserslautern.example"}
    assert "https://karten.kaiserslautern.example/{z}/{x}/{y}.png" in rendered.script
    assert "tiles.example.test" not in rendered.script
    # The layer carries maxZoom (clustering needs one), from the setting.
    assert '"maxZoom": 17' in rendered.script


def test_the_map_has_an_accessible_name_and_a_role(tiles: Any) -> None:
    rendered = a_project_map()

    assert 'role="region"' in rendered.html
    assert 'aria-label="Karte des Projekts „Stiftsplatz“' in rendered.html  # German by default
    assert 'role="status"' in rendered.html  # where the pin loader reports progress


def test_user_data_cannot_break_out_of_the_page(tiles: Any) -> None:
    evil = '</script><script>alert("x")</script><b>'
    project = ProjectFactory.build(title=evil)
    site = SiteFactory.build(name=evil)

    rendered = project_map(project, pins_url="/api/v1/proposals/?project=x", sites=[site])

    assert "</script>" not in rendered.script
    assert "<script>alert" not in rendered.html
    assert "&lt;/script&gt;" in rendered.html  # the label, HTML-escaped
    assert "\\u003c/script\\u003e" in rendered.script  # the site name, JSON-escaped
    # The tooltip gets the name as text, never as HTML.
    assert "textContent = feature.properties.name" in rendered.script


def test_the_map_fits_the_perimeter_and_draws_sites_with_outlines(tiles: Any) -> None:
    outline = MultiPolygon(Polygon.from_bbox((7.76, 49.44, 7.77, 49.445)), srid=4326)
    site = SiteFactory.build(name="Lot", outline=outline, location=Point(7.765, 49.442, srid=4326))
    project = ProjectFactory.build()

    rendered = project_map(project, pins_url="/p", sites=[site])

    x1, y1, x2, y2 = CENTRE_BOX
    assert f"[[{y1}, {x1}], [{y2}, {x2}]]" in rendered.script
    assert '"type": "MultiPolygon"' in rendered.script
    assert "MitmachkarteMap.loadPins(" in rendered.script
    assert '"/p"' in rendered.script


def test_asset_lists_are_our_own_and_folium_s_stay_untouched(tiles: Any) -> None:
    before_js, before_css = list(folium.Map.default_js), list(folium.Map.default_css)

    a_project_map()

    assert Map.default_js is not folium.Map.default_js
    assert folium.Map.default_js == before_js
    assert folium.Map.default_css == before_css
    assert all("/static/" in str(url) for _, url in Map.default_js + Map.default_css)


def test_folium_s_page_wide_styles_are_not_rendered(tiles: Any) -> None:
    rendered = a_project_map()

    # folium's own template would size html/body and forbid zooming the page.
    assert "user-scalable=no" not in whole(rendered)
    assert "html, body" not in whole(rendered)
    assert "<!DOCTYPE" not in whole(rendered)
