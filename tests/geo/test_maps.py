"""The map factory: self-hosted assets only, the tile server from settings, labels escaped.

geo/maps.py is the mechanism only; the maps of projects and proposals are tested with their
app (tests/proposals/test_maps.py, tests/workspace/).
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import folium
import pytest
from django.conf import settings as django_settings
from django.template import engines

from geo.maps import Map, RenderedMap, base_map, render_map
from tests.html_hosts import referenced_hosts

TILE_URL = "https://tiles.example.test/osm/{z}/{x}/{y}.png"
DOMAIN_APPS = {"locations", "proposals", "accounts", "audit", "api", "surveys"}


@pytest.fixture
def tiles(settings: Any) -> Any:
    settings.MAP_TILE_URL = TILE_URL
    settings.MAP_TILE_ATTRIBUTION = "© Example tiles"
    settings.MAP_TILE_MAX_ZOOM = 18
    return settings


def whole(rendered: RenderedMap) -> str:
    return f"{rendered.header}\n{rendered.html}\n<script>{rendered.script}</script>"


def a_map(label: str = "Karte der Innenstadt") -> RenderedMap:
    m = base_map(label=label, location=[49.44, 7.77], zoom_start=13)
    folium.GeoJson(
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [7.77, 49.44]}},
        name="point",
        control=False,
    ).add_to(m)
    return render_map(m)


def test_a_map_names_no_host_but_the_tile_server(tiles: Any) -> None:
    rendered = a_map()

    assert referenced_hosts(whole(rendered)) == {"tiles.example.test"}
    assert "/static/vendor/leaflet/leaflet.js" in rendered.header
    assert "/static/vendor/jquery/jquery.min.js" in rendered.header
    assert "/static/js/mitmachkarte-common.js" in rendered.header
    for dropped in ("bootstrap", "awesome", "fontawesome", "glyphicons", "cdn"):
        assert dropped not in whole(rendered).lower()


def test_the_default_attribution_only_links_to_its_copyright_page() -> None:
    rendered = a_map()

    tile_host = urlsplit(django_settings.MAP_TILE_URL).hostname
    assert referenced_hosts(whole(rendered)) - {tile_host} <= {"www.openstreetmap.org"}
    assert tile_host in referenced_hosts(rendered.script)


def test_changing_the_tile_setting_changes_the_map(tiles: Any) -> None:
    tiles.MAP_TILE_URL = "https://karten.kaiserslautern.example/{z}/{x}/{y}.png"
    tiles.MAP_TILE_MAX_ZOOM = 17

    rendered = a_map()

    assert referenced_hosts(whole(rendered)) == {"karten.kaiserslautern.example"}
    assert "https://karten.kaiserslautern.example/{z}/{x}/{y}.png" in rendered.script
    assert "tiles.example.test" not in rendered.script
    # The layer carries maxZoom (clustering needs one), from the setting.
    assert '"maxZoom": 17' in rendered.script


def test_the_map_has_an_accessible_name_and_a_role(tiles: Any) -> None:
    rendered = a_map()

    assert 'role="region"' in rendered.html
    assert 'aria-label="Karte der Innenstadt"' in rendered.html
    # Leaflet's zoom buttons get the page's language (German by default).
    assert '["Hineinzoomen", "Herauszoomen"]' in rendered.script


def test_the_label_cannot_break_out_of_the_page(tiles: Any) -> None:
    rendered = a_map(label='"><script>alert("x")</script>')

    assert "<script>alert" not in rendered.html
    assert "&lt;script&gt;" in rendered.html


def test_asset_lists_are_our_own_and_folium_s_stay_untouched(tiles: Any) -> None:
    before_js, before_css = list(folium.Map.default_js), list(folium.Map.default_css)

    a_map()

    assert Map.default_js is not folium.Map.default_js
    assert folium.Map.default_js == before_js
    assert folium.Map.default_css == before_css
    assert all("/static/" in str(url) for _, url in Map.default_js + Map.default_css)


def test_folium_s_page_wide_styles_are_not_rendered(tiles: Any) -> None:
    rendered = a_map()

    # folium's own template would size html/body and forbid zooming the page.
    assert "user-scalable=no" not in whole(rendered)
    assert "html, body" not in whole(rendered)
    assert "<!DOCTYPE" not in whole(rendered)


def test_the_map_factory_knows_no_domain_app() -> None:
    source = Path(django_settings.BASE_DIR, "geo", "maps.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)

    assert imported & DOMAIN_APPS == set()
    assert "proposals:" not in source and "api-v1:" not in source


def test_map_script_tag_writes_each_map_s_code_with_the_request_s_nonce(tiles: Any) -> None:
    first, second = a_map("Erste"), a_map("Zweite")
    page = engines["django"].from_string("{% load maps %}{% map_script first missing second %}")

    html = page.render({"first": first, "second": second, "missing": None}).strip()
    assert html.startswith('<script nonce="">')  # no request, no nonce: CSP refuses it
    html = page.render(
        {"first": first, "second": second, "missing": None},
        request=SimpleNamespace(csp_nonce="n0nce", META={}),  # type: ignore[arg-type]
    )

    assert html.count('<script nonce="n0nce">') == 2
    assert html.index(str(first.script)) < html.index(str(second.script))
    assert "&lt;" not in html  # the code is placed as it is, not HTML-escaped
