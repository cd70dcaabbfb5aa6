"""The citizens' maps (proposals/maps.py): hosts, names, escaping, and links from the URLconf."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from geo.maps import RenderedMap
from geo.models import Area
from proposals.maps import pins_url, project_map, proposal_map, proposal_tiles_url
from proposals.workspace.maps import proposals_map
from tests.factories import (
    CENTRE_BOX,
    AreaFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
)
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
    project = ProjectFactory.build(title="Stiftsplatz", slug="stiftsplatz")
    sites = [SiteFactory.build(name="Stiftsplatz Mitte")]
    return project_map(project, pins_url="/api/v1/proposals/?project=p", sites=sites, **kwargs)


def tiles_option(rendered: RenderedMap) -> dict[str, Any]:
    start = rendered.script.index("tiles: ") + len("tiles: ")
    value, _end = json.JSONDecoder().raw_decode(rendered.script[start:])
    return dict(value)


def test_project_map_names_no_host_but_the_tile_server(tiles: Any) -> None:
    rendered = a_project_map()

    assert referenced_hosts(whole(rendered)) == {"tiles.example.test"}
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in rendered.header
    assert "/static/js/mitmachkarte-map.js" in rendered.header
    for dropped in ("bootstrap", "awesome", "fontawesome", "glyphicons", "cdn"):
        assert dropped not in whole(rendered).lower()


def test_proposal_map_names_no_host_but_the_tile_server(tiles: Any) -> None:
    proposal = ProposalFactory.build(project=ProjectFactory.build(), title="Bänke")
    rendered = proposal_map(proposal)

    assert referenced_hosts(whole(rendered)) == {"tiles.example.test"}
    assert '"title": "B\\u00e4nke"' in rendered.script or '"title": "Bänke"' in rendered.script


def test_the_project_map_has_an_accessible_name_and_a_status(tiles: Any) -> None:
    rendered = a_project_map()

    assert 'role="region"' in rendered.html
    assert 'aria-label="Karte des Projekts „Stiftsplatz“' in rendered.html  # German by default
    assert 'role="status"' in rendered.html  # where the pin loader reports progress


def test_user_data_cannot_break_out_of_the_page(tiles: Any) -> None:
    evil = '</script><script>alert("x")</script><b>'
    project = ProjectFactory.build(title=evil, slug="x")
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
    project = ProjectFactory.build(slug="lot")

    rendered = project_map(project, pins_url="/p", sites=[site])

    x1, y1, x2, y2 = CENTRE_BOX
    assert f"[[{y1}, {x1}], [{y2}, {x2}]]" in rendered.script
    assert '"type": "MultiPolygon"' in rendered.script
    assert "MitmachkarteMap.loadPins(" in rendered.script
    assert '"/p"' in rendered.script


def test_the_pins_come_from_the_rest_api_with_the_list_s_filters() -> None:
    project = ProjectFactory.build(slug="bahnhof")

    url = pins_url(project, category="kultur")

    assert url == reverse("api-v1:proposals-list") + "?project=bahnhof&category=kultur"


@override_settings(ROOT_URLCONF="tests.proposals.moved_urls")
def test_map_links_follow_the_urlconf_not_a_written_down_path(tiles: Any) -> None:
    """Mount the pages and the API elsewhere: every link on the map moves with them."""
    project = ProjectFactory.build(slug="bahnhof")

    rendered = project_map(project, pins_url=pins_url(project))
    option = tiles_option(rendered)

    assert option["url"] == "/daten/v1/tiles/proposals/{z}/{x}/{y}.mvt?project=bahnhof"
    assert option["proposalUrl"] == "/beteiligung/projekte/bahnhof/vorschlaege/{id}/"
    assert '"/daten/v1/proposals/?project=bahnhof"' in rendered.script


def test_a_proposal_link_on_the_map_speaks_the_page_s_language(tiles: Any) -> None:
    project = ProjectFactory.build(slug="bahnhof")

    with translation.override("en"):
        option = tiles_option(project_map(project, pins_url=pins_url(project)))

    assert option["proposalUrl"] == "/en/projekte/bahnhof/vorschlaege/{id}/"
    assert proposal_tiles_url() == "/api/v1/tiles/proposals/{z}/{x}/{y}.mvt"


def map_centre(rendered: RenderedMap) -> list[float]:
    start = rendered.script.index("center: ") + len("center: ")
    value, _end = json.JSONDecoder().raw_decode(rendered.script[start:])
    return [float(v) for v in value]


@pytest.mark.django_db
def test_an_empty_workspace_map_centres_on_the_city_from_the_data(tiles: Any) -> None:
    # A city far from Kaiserslautern: the centre must come from its boundary, not a constant.
    boundary = MultiPolygon(Polygon.from_bbox((8.20, 49.95, 8.30, 50.05)), srid=4326)
    AreaFactory(kind=Area.Kind.CITY, geometry=boundary)

    rendered = proposals_map(api_url="/api/workspace/proposals/", bounds=None)

    lat, lon = map_centre(rendered)
    assert boundary.intersects(Point(lon, lat, srid=4326))
    assert 49.95 <= lat <= 50.05 and 8.20 <= lon <= 8.30


@pytest.mark.django_db
def test_a_workspace_map_with_proposals_centres_on_them(tiles: Any) -> None:
    rendered = proposals_map(api_url="/api/workspace/proposals/", bounds=(7.0, 49.0, 7.2, 49.2))

    assert map_centre(rendered) == pytest.approx([49.1, 7.1])
    assert "fitBounds" in rendered.script


def test_the_same_map_is_built_once_and_reused(tiles: Any) -> None:
    """A page view of an unchanged project takes the rendered map, not another folium build."""
    project = ProjectFactory.build(pk=7001, title="Stiftsplatz", slug="stiftsplatz")
    site = SiteFactory.build(pk=7002, name="Stiftsplatz Mitte")

    first = project_map(project, pins_url="/p", sites=[site])
    again = project_map(project, pins_url="/p", sites=[site])

    assert again is first


def test_a_changed_input_gives_a_new_map(tiles: Any) -> None:
    """The inputs are the cache's version: nothing changed is ever served from the cache."""
    project = ProjectFactory.build(pk=7003, title="Stiftsplatz", slug="stiftsplatz")
    site = SiteFactory.build(pk=7004, name="Stiftsplatz Mitte")
    first = project_map(project, pins_url="/p", sites=[site])

    site.name = "Neuer Name"
    renamed_site = project_map(project, pins_url="/p", sites=[site])
    project.title = "Neuer Titel"
    retitled = project_map(project, pins_url="/p", sites=[site])
    project.perimeter = MultiPolygon(Polygon.from_bbox((7.7, 49.4, 7.8, 49.5)), srid=4326)
    moved = project_map(project, pins_url="/p", sites=[site])
    filtered = project_map(project, pins_url="/p?category=kultur", sites=[site])
    with translation.override("en"):
        english = project_map(project, pins_url="/p?category=kultur", sites=[site])

    assert "Stiftsplatz Mitte" in first.script
    assert "Neuer Name" in renamed_site.script and "Stiftsplatz Mitte" not in renamed_site.script
    assert "Neuer Titel" in retitled.html
    assert "[[49.4, 7.7], [49.5, 7.8]]" in moved.script
    assert '"/p?category=kultur"' in filtered.script
    assert 'aria-label="Map of the project' in english.html
    assert 'aria-label="Karte des Projekts' in filtered.html


def test_a_proposal_map_follows_its_pin(tiles: Any) -> None:
    proposal = ProposalFactory.build(pk=7005, title="Bank", location=Point(7.765, 49.442))
    first = proposal_map(proposal)

    proposal.location = Point(7.766, 49.443, srid=4326)
    moved = proposal_map(proposal)

    assert proposal_map(proposal) is moved
    assert "[49.442, 7.765]" in first.script
    assert "[49.443, 7.766]" in moved.script
