"""The admin: every model's pages render for a superuser, maps on vendored OpenLayers, no CDN."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.urls import reverse

from geo.models import Area
from locations.models import Site
from proposals.models import Vote
from tests.factories import (
    AreaFactory,
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    SiteFactory,
    VoteFactory,
)
from tests.html_hosts import referenced_hosts

pytestmark = pytest.mark.django_db

TILE_HOST = "tiles.example.test"
MODELS = [
    ("geo", "area"),
    ("locations", "site"),
    ("proposals", "project"),
    ("proposals", "proposal"),
    ("proposals", "comment"),
    ("proposals", "vote"),
]


@pytest.fixture(autouse=True)
def tiles(settings: Any) -> Any:
    settings.MAP_TILE_URL = f"https://{TILE_HOST}/{{z}}/{{x}}/{{y}}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Example tiles"
    return settings


@pytest.fixture
def admin_client(client: Any) -> Any:
    user = get_user_model().objects.create_superuser("chef", "chef@example.org", "pw-12345-x")
    client.force_login(user)
    return client


@pytest.fixture
def data() -> dict[str, Any]:
    project = ProjectFactory()
    CategoryFactory(project=project)
    vote = VoteFactory(proposal__project=project)
    return {
        "area": AreaFactory(),
        "site": SiteFactory(),
        "project": project,
        "proposal": vote.proposal,
        "comment": CommentFactory(proposal=vote.proposal),
        "vote": vote,
    }


def widget_value(geometry: Any) -> str:
    """What the map widget posts: GeoJSON in the map's Web Mercator (EPSG:3857)."""
    return geometry.transform(3857, clone=True).geojson


def assert_no_third_party_host(html: str) -> None:
    assert referenced_hosts(html) <= {TILE_HOST}
    assert "cdn." not in html


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_changelist_and_change_pages_render(
    admin_client: Any, data: dict[str, Any], app: str, model: str
) -> None:
    changelist = admin_client.get(reverse(f"admin:{app}_{model}_changelist"))
    change = admin_client.get(reverse(f"admin:{app}_{model}_change", args=[data[model].pk]))

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert_no_third_party_host(changelist.content.decode())
    assert_no_third_party_host(change.content.decode())


# Proposals, comments and votes are made by people on the site, through their services.
@pytest.mark.parametrize(
    ("app", "model"), [m for m in MODELS if m[1] not in {"proposal", "comment", "vote"}]
)
def test_add_pages_render_without_a_cdn(admin_client: Any, app: str, model: str) -> None:
    response = admin_client.get(reverse(f"admin:{app}_{model}_add"))

    assert response.status_code == 200
    assert_no_third_party_host(response.content.decode())


@pytest.mark.parametrize(("app", "model"), [("geo", "area"), ("locations", "site")])
def test_map_widgets_load_the_vendored_openlayers_and_the_tile_setting(
    admin_client: Any, app: str, model: str
) -> None:
    html = admin_client.get(reverse(f"admin:{app}_{model}_add")).content.decode()

    assert "/static/vendor/ol/ol.js" in html
    assert "/static/vendor/ol/ol.css" in html
    assert "/static/gis/js/OLMapWidget.js" in html
    assert f"https://{TILE_HOST}/{{z}}/{{x}}/{{y}}.png" in html.replace("\\u002D", "-")
    assert "ol.source.OSM" not in html


def test_empty_maps_centre_on_the_city(admin_client: Any) -> None:
    AreaFactory(
        kind=Area.Kind.CITY,
        geometry=MultiPolygon(Polygon.from_bbox((7.6, 49.3, 7.9, 49.5)), srid=4326),
    )

    html = admin_client.get(reverse("admin:locations_site_add")).content.decode()

    assert "options['default_lon'] = 7." in html
    assert "options['default_lat'] = 49." in html


def test_votes_are_read_only_and_never_show_the_voter(
    admin_client: Any, data: dict[str, Any]
) -> None:
    vote = data["vote"]
    change_url = reverse("admin:proposals_vote_change", args=[vote.pk])

    assert admin_client.get(reverse("admin:proposals_vote_add")).status_code == 403
    assert admin_client.post(change_url, {"weight": 5}).status_code == 403
    delete_url = reverse("admin:proposals_vote_delete", args=[vote.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    vote.refresh_from_db()
    assert vote.weight == 1 and Vote.objects.filter(pk=vote.pk).exists()
    for url in (reverse("admin:proposals_vote_changelist"), change_url):
        assert vote.user.username not in admin_client.get(url).content.decode()


def test_site_admin_saves_through_the_service_deriving_the_district(admin_client: Any) -> None:
    district = AreaFactory(name="Innenstadt-West")
    outline = MultiPolygon(Polygon.from_bbox((7.76, 49.44, 7.77, 49.445)), srid=4326)

    response = admin_client.post(
        reverse("admin:locations_site_add"),
        {
            "name": "  Stiftsplatz  ",
            "slug": "stiftsplatz",
            "kind": Site.Kind.SQUARE,
            "description": "",
            "location": "",
            "outline": widget_value(outline),
            "attributes": "{}",
            "external_id": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    site = Site.objects.get(slug="stiftsplatz")
    assert site.name == "Stiftsplatz"  # the service strips it
    assert site.district == district
    assert site.outline is not None and site.outline.covers(site.location)
    assert site.created_by is not None and site.created_by.username == "chef"


def test_site_admin_refuses_a_site_without_place_with_a_message(admin_client: Any) -> None:
    response = admin_client.post(
        reverse("admin:locations_site_add"),
        {"name": "Nirgends", "slug": "nirgends", "kind": Site.Kind.OTHER, "attributes": "{}"},
    )

    assert response.status_code == 200
    assert "location" in response.context["adminform"].form.errors
    assert not Site.objects.filter(slug="nirgends").exists()


def test_site_admin_updates_the_district_when_the_point_moves(admin_client: Any) -> None:
    AreaFactory(name="Nord", geometry=MultiPolygon(Polygon.from_bbox((7.7, 49.44, 7.8, 49.5))))
    south = AreaFactory(
        name="Süd", geometry=MultiPolygon(Polygon.from_bbox((7.7, 49.4, 7.8, 49.44)))
    )
    site = SiteFactory(location=Point(7.75, 49.45, srid=4326))

    response = admin_client.post(
        reverse("admin:locations_site_change", args=[site.pk]),
        {
            "name": site.name,
            "slug": site.slug,
            "kind": site.kind,
            "location": widget_value(Point(7.75, 49.42, srid=4326)),
            "outline": "",
            "attributes": "{}",
        },
    )

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.district == south
