"""`site_save`, the one write of sites: geometry validated, district derived, slug kept."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.utils import translation

from locations.models import Site
from locations.services import site_save
from tests.factories import AreaFactory, UserFactory, box

pytestmark = pytest.mark.django_db

# A thin L-shaped square: its centroid (about 7.7686, 49.4446) lies outside both arms.
L_SHAPE = MultiPolygon(
    Polygon(((7.768, 49.444), (7.770, 49.444), (7.770, 49.4442), (7.7682, 49.4442),
             (7.7682, 49.446), (7.768, 49.446), (7.768, 49.444))),
    srid=4326,
)  # fmt: skip


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def west_and_east():
    return (
        AreaFactory(name="West", geometry=box(7.74, 49.43, 7.765, 49.45)),
        AreaFactory(name="Ost", geometry=box(7.765, 49.43, 7.79, 49.45)),
    )


def test_a_point_site_gets_its_district_and_a_unique_slug(west_and_east):
    west, _east = west_and_east
    first = site_save(name=" Marktplatz ", kind=Site.Kind.SQUARE,
                      location=Point(7.75, 49.44, srid=4326))  # fmt: skip
    second = site_save(name="Marktplatz", location=Point(7.751, 49.44, srid=4326))
    assert (first.name, first.slug, first.district) == ("Marktplatz", "marktplatz", west)
    assert second.slug == "marktplatz-2"
    assert second.kind == Site.Kind.OTHER
    assert Site.objects.count() == 2


def test_an_outline_alone_gets_a_point_inside_it_not_its_centroid():
    assert not L_SHAPE.contains(L_SHAPE.centroid)
    site = site_save(name="Winkel", outline=L_SHAPE[0])  # a Polygon becomes a MultiPolygon
    site.refresh_from_db()
    assert isinstance(site.outline, MultiPolygon)
    assert site.outline.covers(site.location)


def test_geometry_in_another_crs_is_stored_in_4326():
    utm = Point(410_760, 5_477_621, srid=25832)
    site = site_save(name="Stiftsplatz", location=utm)
    site.refresh_from_db()
    assert site.location.srid == 4326
    assert site.location.x == pytest.approx(7.7689, abs=1e-3)
    assert site.location.y == pytest.approx(49.4447, abs=1e-3)


def test_an_update_keeps_slug_and_author_and_derives_the_district_again(west_and_east):
    west, east = west_and_east
    planner = UserFactory(username="planerin")
    site = site_save(name="Platz", location=Point(7.75, 49.44, srid=4326), actor=planner)
    assert (site.created_by, site.district) == (planner, west)
    moved = site_save(site=site, name="Platz (neu)", location=Point(7.78, 49.44, srid=4326),
                      actor=UserFactory(username="other"))  # fmt: skip
    moved.refresh_from_db()
    assert (moved.pk, moved.slug, moved.created_by) == (site.pk, "platz", planner)
    assert moved.district == east
    assert moved.name == "Platz (neu)"


@pytest.mark.parametrize(
    ("geometry", "field", "message"),
    [
        ({}, "location", "Choose a place on the map."),
        ({"location": Point(200, 49.44, srid=4326)}, "location", "EPSG:4326"),
        (
            {"outline": Polygon(((7.76, 49.44), (7.77, 49.445), (7.77, 49.44), (7.76, 49.445),
                                 (7.76, 49.44)), srid=4326)},
            "outline", "Self-intersection",
        ),
    ],
)  # fmt: skip
def test_bad_geometry_is_a_field_error_and_nothing_is_stored(geometry, field, message):
    with pytest.raises(ValidationError) as refused:
        site_save(name="Falsch", **geometry)
    assert message in " ".join(refused.value.message_dict[field])
    assert not Site.objects.exists()


def test_a_point_outside_its_outline_is_refused():
    with pytest.raises(ValidationError):
        site_save(name="Daneben", outline=L_SHAPE, location=Point(7.75, 49.43, srid=4326))
    assert not Site.objects.exists()


def test_a_taken_slug_or_external_id_is_a_field_error():
    site_save(name="A", slug="a", external_id="X-1", location=Point(7.75, 49.44, srid=4326))
    with pytest.raises(ValidationError) as refused:
        site_save(name="B", slug="a", external_id="X-1", location=Point(7.75, 49.44, srid=4326))
    assert {"slug", "external_id"} <= set(refused.value.message_dict)
    assert Site.objects.count() == 1
