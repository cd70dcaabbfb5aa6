"""The sites export: points, and the outlines beside them in every format."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from typing import cast

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.management import call_command
from django.utils import translation

from tests.factories import INSIDE, ProjectFactory, SiteFactory
from tests.geofiles import ogr_dump

pytestmark = pytest.mark.django_db

# Stiftsplatz in ETRS89 / UTM 32N: about 410 760 E, 5 477 621 N.
INSIDE_UTM = cast(Point, Point(INSIDE.x, INSIDE.y, srid=4326).transform(25832, clone=True))
OUTLINE = MultiPolygon(Polygon.from_bbox((7.768, 49.444, 7.770, 49.4455)), srid=4326)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def sites():
    SiteFactory(name="Stiftsplatz", slug="stiftsplatz", external_id="S-1", outline=OUTLINE)
    SiteFactory(name="Schillerplatz", slug="schillerplatz",
                location=Point(7.7705, 49.4440, srid=4326))  # fmt: skip


def test_geojson_to_stdout_names_the_crs_for_25832(sites):
    out = io.StringIO()
    call_command("export_data", "sites", "--srid", "25832", "-o", "-", stdout=out)
    collection = json.loads(out.getvalue())
    assert collection["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::25832"
    features = {f["properties"]["name"]: f for f in collection["features"]}
    assert set(features) == {"Stiftsplatz", "Schillerplatz"}
    stift = features["Stiftsplatz"]["properties"]
    assert stift["has_outline"] is True
    assert stift["external_id"] == "S-1"
    x, y = features["Stiftsplatz"]["geometry"]["coordinates"]
    assert (x, y) == pytest.approx((INSIDE_UTM.x, INSIDE_UTM.y), abs=0.01)
    # The outline rides along as a GeoJSON geometry in the same CRS (metres, not degrees).
    assert stift["outline"]["type"] == "MultiPolygon"
    ring = stift["outline"]["coordinates"][0][0]
    assert all(400_000 < px < 420_000 and 5_470_000 < py < 5_485_000 for px, py in ring)
    assert features["Schillerplatz"]["properties"]["outline"] is None


def test_project_filter_limits_sites_to_its_perimeter(sites):
    ProjectFactory(slug="klein", perimeter=MultiPolygon(
        Polygon.from_bbox((7.770, 49.443, 7.771, 49.445)), srid=4326
    ))  # fmt: skip
    out = io.StringIO()
    call_command("export_data", "sites", "--project", "klein", "-o", "-", stdout=out)
    names = {f["properties"]["name"] for f in json.loads(out.getvalue())["features"]}
    assert names == {"Schillerplatz"}


def test_exports_carry_the_outlines(sites, tmp_path):
    """GeoPackage: a polygon layer beside the points; Shapefile: a second file; CSV: WKT."""
    gpkg = tmp_path / "s.gpkg"
    call_command("export_data", "sites", "--format", "gpkg", "--srid", "25832", "-o", str(gpkg))
    layers = subprocess.run(["ogrinfo", "-ro", "-q", str(gpkg)], capture_output=True, text=True,
                            check=True).stdout  # fmt: skip
    assert "sites (Point)" in layers and "site_outlines (Multi Polygon)" in layers
    outlines = ogr_dump(str(gpkg), "site_outlines")["features"]
    assert [f["properties"]["slug"] for f in outlines] == ["stiftsplatz"]
    assert outlines[0]["geometry"]["coordinates"][0][0][0][0] > 400_000  # metres

    shp = tmp_path / "s.shp.zip"
    call_command("export_data", "sites", "--format", "shp", "-o", str(shp))
    names = set(zipfile.ZipFile(shp).namelist())
    assert {"sites.shp", "sites.dbf", "site_outlines.shp", "site_outlines.prj"} <= names
    assert len(ogr_dump(f"/vsizip/{shp}/site_outlines.shp")["features"]) == 1

    csv_file = tmp_path / "s.csv"
    call_command("export_data", "sites", "--format", "csv", "-o", str(csv_file))
    text = csv_file.read_text(encoding="utf-8")
    assert text.splitlines()[0].endswith(",outline")
    assert "MULTIPOLYGON(((7.768 49.444," in text
