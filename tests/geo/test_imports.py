"""Imports of sites and districts: files made with ogr2ogr, read by GDAL, stored all or nothing."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from django.utils import translation

from geo.models import Area
from locations.models import Site
from tests.factories import AreaFactory, box

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def feature(geometry: dict | None, **properties: object) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def point(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def rectangle(x1: float, y1: float, x2: float, y2: float) -> dict:
    ring = [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]
    return {"type": "Polygon", "coordinates": [ring]}


# A bow tie: its edges cross, so the polygon intersects itself.
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[7.76, 49.44], [7.77, 49.445], [7.77, 49.44], [7.76, 49.445], [7.76, 49.44]]],
}


def write_geojson(path: Path, *features: dict) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return path


def ogr2ogr(*args: str) -> None:
    subprocess.run(["ogr2ogr", *args], capture_output=True, text=True, check=True)


def run(command: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


SITES = (
    feature(point(7.7689, 49.4447), external_id="S-1", name="Stiftsplatz", kind="square",
            description="Im Zentrum", flaeche=1200),
    feature(rectangle(7.760, 49.440, 7.762, 49.441), external_id="S-2", name="Brache Nord",
            kind="Vacant lot"),
    feature(point(7.7705, 49.4440), external_id="S-3", name="Schillerplatz", kind="Platz"),
)  # fmt: skip


def test_geojson_sites_are_imported_with_kinds_districts_and_attributes(tmp_path):
    district = AreaFactory(name="Innenstadt", geometry=box(7.74, 49.43, 7.79, 49.45))
    path = write_geojson(tmp_path / "sites.geojson", *SITES)
    out, _err = run("import_sites", str(path))
    assert "3 features read: 3 new, 0 updated, 0 refused." in out
    stift = Site.objects.get(external_id="S-1")
    assert stift.kind == Site.Kind.SQUARE
    assert stift.location.coords == pytest.approx((7.7689, 49.4447))
    assert stift.district == district
    assert stift.description == "Im Zentrum"
    assert stift.attributes == {"flaeche": 1200}
    lot = Site.objects.get(external_id="S-2")
    assert lot.kind == Site.Kind.LOT  # the English label is understood
    assert lot.outline is not None and lot.outline.covers(lot.location)
    assert Site.objects.get(external_id="S-3").kind == Site.Kind.SQUARE  # and the German one


def test_geopackage_in_utm_is_transformed_to_wgs84(tmp_path):
    source = write_geojson(tmp_path / "sites.geojson", *SITES)
    gpkg = tmp_path / "sites.gpkg"
    ogr2ogr("-f", "GPKG", str(gpkg), str(source), "-s_srs", "EPSG:4326", "-t_srs", "EPSG:25832",
            "-nln", "standorte")  # fmt: skip
    info = subprocess.run(["ogrinfo", "-so", "-al", str(gpkg)], capture_output=True, text=True)
    assert 'ID["EPSG",25832]]' in info.stdout  # the file really is in UTM
    run("import_sites", str(gpkg), "--layer", "standorte")
    stift = Site.objects.get(external_id="S-1")
    assert stift.location.srid == 4326
    assert stift.location.x == pytest.approx(7.7689, abs=1e-7)
    assert stift.location.y == pytest.approx(49.4447, abs=1e-7)
    assert Site.objects.count() == 3


def test_shapefile_districts_plain_and_zipped(tmp_path):
    source = write_geojson(
        tmp_path / "districts.geojson",
        feature(rectangle(7.74, 49.43, 7.765, 49.45), bez_id=1, bez_name="West", einwohner=9000),
        feature(rectangle(7.765, 49.43, 7.79, 49.45), bez_id=2, bez_name="Ost", einwohner=None),
    )
    folder = tmp_path / "shape"
    folder.mkdir()
    ogr2ogr("-f", "ESRI Shapefile", str(folder / "bezirke.shp"), str(source),
            "-t_srs", "EPSG:25832")  # fmt: skip
    options = ["--kind", "district", "--id-field", "bez_id", "--name-field", "bez_name",
               "--population-field", "einwohner", "--source", "Stadt KL"]  # fmt: skip
    out, _err = run("import_areas", str(folder / "bezirke.shp"), *options)
    assert "2 new" in out
    west = Area.objects.get(external_id="1")
    assert (west.name, west.kind, west.population, west.source) == (
        "West",
        "district",
        9000,
        "Stadt KL",
    )
    assert west.geometry.extent == pytest.approx((7.74, 49.43, 7.765, 49.45), abs=1e-7)
    assert Area.objects.get(external_id="2").population is None

    # The same data as a zip with the Shapefile in a sub-folder: an update, not duplicates.
    archive = tmp_path / "bezirke.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in folder.iterdir():
            zipped.write(file, f"daten/{file.name}")
    out, _err = run("import_areas", str(archive), *options)
    assert "0 new, 2 updated" in out
    assert Area.objects.count() == 2


def test_second_import_updates_instead_of_duplicating(tmp_path):
    path = write_geojson(tmp_path / "sites.geojson", *SITES)
    run("import_sites", str(path))
    first = Site.objects.get(external_id="S-1")
    changed = [dict(f, properties=dict(f["properties"])) for f in SITES]
    changed[0]["properties"]["name"] = "Stiftsplatz (neu)"
    changed[0]["geometry"] = point(7.7690, 49.4448)
    write_geojson(path, *changed)
    out, _err = run("import_sites", str(path))
    assert "0 new, 3 updated" in out
    assert Site.objects.count() == 3
    again = Site.objects.get(external_id="S-1")
    assert again.pk == first.pk and again.slug == first.slug
    assert again.name == "Stiftsplatz (neu)"
    assert again.location.coords == pytest.approx((7.7690, 49.4448))


def test_dry_run_validates_and_stores_nothing(tmp_path):
    path = write_geojson(tmp_path / "sites.geojson", *SITES)
    out, _err = run("import_sites", str(path), "--dry-run")
    assert "3 new" in out and "Dry run" in out
    assert Site.objects.count() == 0


def test_one_self_intersecting_polygon_stores_nothing_and_is_reported(tmp_path):
    path = write_geojson(
        tmp_path / "sites.geojson",
        SITES[0],
        feature(BOW_TIE, external_id="S-9", name="Fliege", kind="lot"),
        SITES[2],
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 3 features were refused, so nothing was stored"):
        call_command("import_sites", str(path), stdout=io.StringIO(), stderr=err)
    assert Site.objects.count() == 0
    report = err.getvalue()
    assert "feature 2 (id 'S-9'): outline:" in report
    assert "Self-intersection" in report
    assert "Traceback" not in report


def test_skip_invalid_stores_the_valid_ones(tmp_path):
    path = write_geojson(
        tmp_path / "sites.geojson",
        SITES[0],
        feature(BOW_TIE, external_id="S-9", name="Fliege", kind="lot"),
    )
    out, err = run("import_sites", str(path), "--skip-invalid")
    assert "1 new, 0 updated, 1 refused" in out
    assert "feature 2 (id 'S-9')" in err
    assert list(Site.objects.values_list("external_id", flat=True)) == ["S-1"]


def test_every_problem_of_every_feature_is_reported(tmp_path):
    path = write_geojson(
        tmp_path / "sites.geojson",
        feature(point(7.7, 49.4), external_id="A", name="", kind="spaceport"),
        feature(None, external_id="B", name="Nirgendwo", kind="lot"),
        feature({"type": "GeometryCollection", "geometries": []}, external_id="C", name="Leer",
                kind="lot"),
        feature(point(200.0, 49.4), external_id="D", name="Weit weg", kind="lot"),
        feature({"type": "LineString", "coordinates": [[7.7, 49.4], [7.71, 49.41]]},
                external_id="E", name="Strecke", kind="street_space"),
        feature(point(7.7, 49.4), name="Ohne Id", kind="lot"),
        feature(point(7.7, 49.4), external_id="A", name="Doppelt", kind="lot"),
    )  # fmt: skip
    err = io.StringIO()
    with pytest.raises(CommandError, match="7 of 7 features"):
        call_command("import_sites", str(path), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "feature 1 (id 'A'): name: The name is missing." in report
    assert "feature 1 (id 'A'): kind: Unknown kind 'spaceport'" in report
    assert "feature 2 (id 'B'): geometry: The feature has no geometry." in report
    assert "feature 3 (id 'C'): geometry: The geometry is empty." in report
    assert "feature 4 (id 'D'): geometry: After conversion to WGS 84" in report
    assert (
        "feature 5 (id 'E'): geometry: A site is a point or a polygon, not a LineString" in report
    )
    assert "feature 6: external_id: The id is missing." in report
    assert "feature 7 (id 'A'): external_id: The id appears twice in the file (also feature 1)" in (
        report
    )
    assert Site.objects.count() == 0


def test_coordinates_that_cannot_be_transformed_are_refused(tmp_path):
    path = write_geojson(
        tmp_path / "utm.geojson", feature(point(5e7, 5e7), external_id="X", name="X", kind="lot")
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_sites", str(path), "--srid", "25832", stdout=io.StringIO(),
                     stderr=err)  # fmt: skip
    assert "cannot be converted to WGS 84" in err.getvalue()


def test_area_refusals(tmp_path):
    path = write_geojson(
        tmp_path / "areas.geojson",
        feature(BOW_TIE, external_id="1", name="Fliege", population=10),
        feature(point(7.7, 49.4), external_id="2", name="Punkt", population=10),
        feature(rectangle(7.7, 49.4, 7.71, 49.41), external_id="3", name="Neg", population=-5),
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 of 3"):
        call_command("import_areas", str(path), "--kind", "district", stdout=io.StringIO(),
                     stderr=err)  # fmt: skip
    report = err.getvalue()
    assert "feature 1 (id '1'): geometry: " in report and "Self-intersection" in report
    assert "feature 2 (id '2'): geometry: Expected a polygon, not a Point." in report
    assert "feature 3 (id '3'): population: " in report
    assert Area.objects.count() == 0


def test_new_area_never_takes_over_another_areas_slug(tmp_path):
    existing = AreaFactory(name="West", slug="west", external_id="old")
    path = write_geojson(
        tmp_path / "a.geojson", feature(rectangle(7.7, 49.4, 7.71, 49.41), external_id="new",
                                        name="West")
    )  # fmt: skip
    run("import_areas", str(path), "--kind", "district")
    existing.refresh_from_db()
    assert existing.external_id == "old"
    assert Area.objects.get(external_id="new").slug == "west-2"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a GIS file", "GDAL cannot read"),
        (b'{"type": "FeatureCollection", "features": [', "GDAL cannot read"),
    ],
)
def test_unreadable_file_is_a_clean_error(tmp_path, content, message):
    path = tmp_path / "broken.geojson"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run("import_sites", str(path))


def test_missing_file_bad_zip_and_missing_fields_are_clean_errors(tmp_path):
    with pytest.raises(CommandError, match="There is no file"):
        run("import_sites", str(tmp_path / "nope.gpkg"))
    bad_zip = tmp_path / "x.zip"
    bad_zip.write_bytes(b"PK but not really")
    with pytest.raises(CommandError, match="not a readable zip"):
        run("import_sites", str(bad_zip))
    empty_zip = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty_zip, "w") as zipped:
        zipped.writestr("readme.txt", "nothing here")
    with pytest.raises(CommandError, match="no Shapefile, GeoPackage or GeoJSON"):
        run("import_sites", str(empty_zip))
    path = write_geojson(tmp_path / "s.geojson", *SITES)
    with pytest.raises(CommandError, match=r"no field 'titel'.*--name-field"):
        run("import_sites", str(path), "--name-field", "titel")
    with pytest.raises(CommandError, match="no layer 'x'"):
        run("import_sites", str(path), "--layer", "x")


def test_progress_bar_only_when_asked(tmp_path):
    path = write_geojson(tmp_path / "sites.geojson", *SITES)
    _out, err = run("import_sites", str(path), "--dry-run")
    assert "%" not in err  # stderr is not a terminal here
    _out, err = run("import_sites", str(path), "--dry-run", "--progress")
    assert "100% (3/3)" in err


def test_command_line_exit_status_and_no_traceback(tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"garbage")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "import_sites", str(path),
         "--skip-checks"],
        capture_output=True, text=True, env=env, cwd=settings.BASE_DIR,
    )  # fmt: skip
    assert result.returncode == 1
    assert "CommandError" in result.stderr
    assert "Traceback" not in result.stderr


def test_point_outline_pairs_keep_the_district(tmp_path):
    AreaFactory(name="Mitte", geometry=box(7.74, 49.43, 7.79, 49.45))
    path = write_geojson(tmp_path / "s.geojson", SITES[1])
    run("import_sites", str(path))
    lot = Site.objects.get()
    assert lot.district is not None
    assert lot.outline is not None
    assert lot.outline.covers(Point(lot.location.x, lot.location.y, srid=4326))
