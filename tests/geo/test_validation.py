"""Geometry from outside is checked before any transformation (geo/validation.py)."""

from __future__ import annotations

import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError

from geo.crs import plausible_bounds, srid_from_name
from geo.validation import (
    MAX_VERTICES,
    as_storage_multipolygon,
    as_storage_point,
    check_extent,
    check_geometry,
    parse_geometry,
)


def code_of(exc: pytest.ExceptionInfo[ValidationError], field: str = "location") -> str | None:
    return exc.value.error_dict[field][0].code


def geojson_point(coordinates: list[float], crs: str | None = None) -> dict[str, object]:
    value: dict[str, object] = {"type": "Point", "coordinates": coordinates}
    if crs is not None:
        value["crs"] = {"type": "name", "properties": {"name": crs}}
    return value


@pytest.mark.parametrize(
    "value",
    [
        "SRID=3857;POINT(1e20 1e20)",
        "SRID=25832;POINT(1e15 5e6)",
        "SRID=4326;POINT(7 95)",
        geojson_point([1e20, 1e20], "EPSG:3857"),
        geojson_point([1e20, 1e20], "urn:ogc:def:crs:EPSG::3857"),
        json.dumps(geojson_point([-1e19, 3], "http://www.opengis.net/def/crs/EPSG/0/25832")),
    ],
    ids=["ewkt-3857", "ewkt-25832", "ewkt-4326-lat", "geojson-crs", "geojson-urn", "text-uri"],
)
def test_absurd_coordinates_are_refused_for_their_crs(value):
    with pytest.raises(ValidationError) as exc:
        parse_geometry(value, field="location")
    assert code_of(exc) == "out_of_range"


def test_a_plausible_point_in_another_crs_is_kept_in_that_crs_and_converted_later():
    # Kaiserslautern's Stiftsplatz in ETRS89 / UTM 32N.
    utm = Point(7.7689, 49.4447, srid=4326).transform(25832, clone=True)
    parsed = parse_geometry(f"SRID=25832;POINT({utm.x} {utm.y})", field="location")
    assert parsed.srid == 25832
    point = as_storage_point(parsed)
    assert point.srid == 4326
    assert abs(point.x - 7.7689) < 1e-7 and abs(point.y - 49.4447) < 1e-7


@pytest.mark.parametrize(
    "value",
    [
        "SRID=999999;POINT(7 49)",
        geojson_point([7, 49], "EPSG:999999"),
        geojson_point([7, 49], "EPSG:bogus"),
        {"type": "Point", "coordinates": [7, 49], "crs": {"type": "link", "properties": {}}},
    ],
    ids=["ewkt", "geojson-unknown-code", "geojson-no-code", "geojson-link"],
)
def test_unknown_crs_is_refused_not_taken_as_wgs84(value):
    with pytest.raises(ValidationError) as exc:
        parse_geometry(value, field="location")
    assert code_of(exc) == "crs"


@pytest.mark.parametrize(
    "kind", [{}, [], ["Point"], 7, None], ids=["object", "list", "list-of-name", "number", "null"]
)
def test_a_geojson_type_that_is_not_a_name_is_an_invalid_geometry(kind):
    """Found by Schemathesis: `{"type": {}}` once raised TypeError (a 500) instead of a 400."""
    with pytest.raises(ValidationError) as exc:
        parse_geometry({"type": kind, "coordinates": [7.77, 49.44]}, field="location")
    assert code_of(exc) == "syntax"


@pytest.mark.parametrize(
    "value",
    [
        "POINT(7 49 1 2)",
        "POINT ZM (7 49 1 2)",
        "POINT M (7 49 2)",
        geojson_point([7, 49, 1, 2]),
        geojson_point([7]),
    ],
    ids=["wkt-4", "wkt-zm", "wkt-m", "geojson-4", "geojson-1"],
)
def test_positions_have_two_or_three_numbers(value):
    with pytest.raises(ValidationError) as exc:
        parse_geometry(value, field="location")
    assert code_of(exc) == "invalid"
    assert "x, y" in exc.value.messages[0]


@pytest.mark.parametrize(
    "value",
    ["POINT EMPTY", "SRID=3857;POINT EMPTY", geojson_point([]), "POLYGON EMPTY"],
)
def test_empty_geometry_is_refused(value):
    with pytest.raises(ValidationError) as exc:
        parse_geometry(value, field="location")
    assert code_of(exc) == "empty"


def test_non_finite_numbers_are_refused():
    with pytest.raises(ValidationError) as exc:
        parse_geometry('{"type": "Point", "coordinates": [NaN, 49]}', field="location")
    assert code_of(exc) == "syntax"
    with pytest.raises(ValidationError) as exc:
        parse_geometry(geojson_point([float("inf"), 49.0]), field="location")
    assert code_of(exc) == "out_of_range"
    with pytest.raises(ValidationError) as exc:
        check_geometry(Point(float("nan"), 49, srid=4326), field="location")
    assert code_of(exc) == "out_of_range"


def test_vertex_limit():
    ring = [(7.7 + 0.01 * i / MAX_VERTICES, 49.4) for i in range(MAX_VERTICES)]
    ring = [*ring, (7.71, 49.41), ring[0]]
    geojson = {"type": "Polygon", "coordinates": [ring]}
    with pytest.raises(ValidationError) as exc:
        parse_geometry(geojson, field="polygon")
    assert code_of(exc, "polygon") == "too_many_vertices"
    with pytest.raises(ValidationError) as exc:
        as_storage_multipolygon(MultiPolygon(Polygon(ring), srid=4326), field="polygon")
    assert code_of(exc, "polygon") == "too_many_vertices"
    small = parse_geometry({"type": "Polygon", "coordinates": [[*ring[:50], ring[0]]]}, field="p")
    assert small.num_coords == 51


def test_services_check_before_they_transform():
    # The path every writer takes (pins, sites, areas): no transform of absurd numbers.
    with pytest.raises(ValidationError) as exc:
        as_storage_point(Point(1e20, 1e20, srid=3857))
    assert code_of(exc) == "out_of_range"
    outline = MultiPolygon(Polygon.from_bbox((1e19, 1e19, 2e19, 2e19)), srid=3857)
    with pytest.raises(ValidationError) as exc:
        as_storage_multipolygon(outline, field="outline")
    assert code_of(exc, "outline") == "out_of_range"
    with pytest.raises(ValidationError) as exc:
        as_storage_point(Point(7, 49, srid=999999))
    assert code_of(exc) == "crs"


def test_plausible_bounds_come_from_the_area_of_use():
    assert plausible_bounds(4326) == (-180.0, -90.0, 180.0, 90.0)
    xmin, ymin, xmax, ymax = plausible_bounds(3857) or (0, 0, 0, 0)
    # Web Mercator spans ±20,037,508 m in x; the margin adds a tenth on each side.
    assert 20_037_508 < xmax < 25_000_000 and xmin == -xmax
    xmin, ymin, xmax, ymax = plausible_bounds(25832) or (0, 0, 0, 0)
    assert xmin < 411_170 < xmax and ymin < 5_477_780 < ymax
    assert xmax < 1_000_000  # a UTM zone is a few hundred kilometres wide
    assert plausible_bounds(999999) is None


@pytest.mark.parametrize(
    ("name", "srid"),
    [
        ("EPSG:25832", 25832),
        ("urn:ogc:def:crs:EPSG::3857", 3857),
        ("urn:ogc:def:crs:EPSG:6.6:4326", 4326),
        ("http://www.opengis.net/def/crs/EPSG/0/25832", 25832),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", 4326),
        ("EPSG:", None),
        ("25832", None),
        ("EPSG:25832 ; DROP", None),
    ],
)
def test_crs_names(name, srid):
    assert srid_from_name(name) == srid


def test_an_extent_read_by_gdal_is_checked_the_same_way():
    # What an import can ask of an OGR envelope before it transforms the feature.
    check_extent((400_000.0, 5_400_000.0, 420_000.0, 5_500_000.0), 25832, field="geometry")
    with pytest.raises(ValidationError) as exc:
        check_extent((1e20, 1e20, 1e20, 1e20), 3857, field="geometry")
    assert code_of(exc, "geometry") == "out_of_range"
    with pytest.raises(ValidationError) as exc:
        check_extent((0.0, 0.0, 1.0, 1.0), 999999, field="geometry")
    assert code_of(exc, "geometry") == "crs"
